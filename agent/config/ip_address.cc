#include "ztls/config/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace ztls::config {

std::string IpAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof(text));
  return text;
}

bool IpAddress::isIpv4Mapped() const {
  static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return v6 && std::memcmp(bytes.data(), kPrefix, sizeof(kPrefix)) == 0;
}

namespace {
IpAddress unmapped(const IpAddress& mapped) {
  IpAddress v4;
  std::memcpy(v4.bytes.data(), mapped.bytes.data() + 12, 4);
  return v4;
}
}  // namespace

bool IpPrefix::contains(const IpAddress& candidate) const {
  if (candidate.v6 != address.v6) return false;
  int remaining = length;
  for (std::size_t i = 0; remaining > 0; ++i, remaining -= 8) {
    const int bits = remaining >= 8 ? 8 : remaining;
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((candidate.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<IpAddress> parseIpAddress(std::string_view text) {
  // inet_pton reads a C string: an embedded NUL would silently truncate the input.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, text.data(), text.size());
  IpAddress result;
  if (inet_pton(AF_INET, buffer, result.bytes.data()) == 1) return result;
  result.v6 = true;
  if (inet_pton(AF_INET6, buffer, result.bytes.data()) == 1) return result;
  return std::nullopt;
}

std::optional<IpPrefix> parseIpPrefix(std::string_view text) {
  const std::size_t slash = text.find('/');
  std::optional<IpAddress> address = parseIpAddress(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int maxLength = address->v6 ? 128 : 32;
  if (slash == std::string_view::npos) {
    if (address->isIpv4Mapped()) return IpPrefix{unmapped(*address), 32};
    return IpPrefix{*address, maxLength};
  }
  const std::string_view lengthText = text.substr(slash + 1);
  int length = -1;
  auto [ptr, ec] =
      std::from_chars(lengthText.data(), lengthText.data() + lengthText.size(), length);
  if (ec != std::errc() || ptr != lengthText.data() + lengthText.size() || lengthText.empty() ||
      length < 0 || length > maxLength) {
    return std::nullopt;
  }
  if (address->isIpv4Mapped() && length >= 96) return IpPrefix{unmapped(*address), length - 96};
  return IpPrefix{*address, length};
}

std::optional<std::uint16_t> parsePort(std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 1 ||
      value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<IpAddress> parsePeerAddress(std::string_view text) {
  std::optional<IpAddress> address = parseIpAddress(text.substr(0, text.find('%')));
  if (address && address->isIpv4Mapped()) return unmapped(*address);
  return address;
}

}  // namespace ztls::config
