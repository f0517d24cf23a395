#include "syntax.h"

#include <algorithm>

namespace ztls::http::detail {

namespace {

char lowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::uint64_t> parseDigits(std::string_view digits, std::uint64_t base,
                                         int (*digitValue)(char)) {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    const int digit = digitValue(c);
    if (digit < 0 || static_cast<std::uint64_t>(digit) >= base) return std::nullopt;
    if (value > (UINT64_MAX - static_cast<std::uint64_t>(digit)) / base) return std::nullopt;
    value = value * base + static_cast<std::uint64_t>(digit);
  }
  return value;
}

}  // namespace

bool isTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  constexpr std::string_view kPunctuation = "!#$%&'*+-.^_`|~";
  return kPunctuation.find(c) != std::string_view::npos;
}

bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), isTchar);
}

std::string_view trimOws(std::string_view text) {
  while (!text.empty() && isOws(text.front())) text.remove_prefix(1);
  while (!text.empty() && isOws(text.back())) text.remove_suffix(1);
  return text;
}

bool isLenientWhitespace(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == ' ' || (byte >= 0x09 && byte <= 0x0d) || (byte >= 0x1c && byte <= 0x1f) ||
         byte == 0x85 || byte == 0xa0;
}

bool isFieldValueByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lowerAscii(x) == lowerAscii(y);
         });
}

bool isXfccFieldName(std::string_view name) {
  constexpr std::string_view kLowerName = "x-forwarded-client-cert";
  return name.size() == kLowerName.size() &&
         std::equal(name.begin(), name.end(), kLowerName.begin(), [](char c, char expected) {
           return (c == '_' ? '-' : lowerAscii(c)) == expected;
         });
}

std::optional<std::uint64_t> parseDecimal(std::string_view digits) {
  return parseDigits(digits, 10, [](char c) { return c >= '0' && c <= '9' ? c - '0' : -1; });
}

std::optional<std::uint64_t> parseHex(std::string_view digits) {
  return parseDigits(digits, 16, hexDigitValue);
}

}  // namespace ztls::http::detail
