// The byte classes and small grammar pieces of RFC 9110 §5.5-5.6 that the request head,
// trailer section and chunk line parsers share.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ztls::http::detail {

// tchar (RFC 9110 §5.6.2): what methods, field names and transfer codings are made of.
bool isTchar(char c);
// token = 1*tchar
bool isToken(std::string_view text);

// OWS/BWS are made of SP and HTAB (RFC 9110 §5.6.3).
inline bool isOws(char c) { return c == ' ' || c == '\t'; }
std::string_view trimOws(std::string_view text);

// Bytes that some lenient request-line parser treats as whitespace: RFC 9112 §3 lets
// recipients split on SP, HTAB, VT, FF or bare CR, and Python's str.split() (the stdlib
// HTTP server) also splits on 0x1C-0x1F, 0x85 and 0xA0. Used only to decide whether the
// first bytes of a stream could be taken for an HTTP/1 request by someone.
bool isLenientWhitespace(char c);

// field-value bytes (RFC 9110 §5.5): VCHAR, obs-text, SP, HTAB. CR, LF, NUL and the other
// controls are refused (the RFC allows rejecting them or replacing them with SP; replacing
// would change bytes the app sees).
bool isFieldValueByte(char c);

// ASCII case-insensitive equality.
bool equalsIgnoringCase(std::string_view a, std::string_view b);
// Case-insensitive, and '_' equals '-': the comparison CGI-style servers effectively make
// when they turn field names into HTTP_X_FORWARDED_CLIENT_CERT.
bool isXfccFieldName(std::string_view name);

// 1*DIGIT as an unsigned 64-bit number; nullopt when not digits or too large.
std::optional<std::uint64_t> parseDecimal(std::string_view digits);
// 1*HEXDIG as an unsigned 64-bit number; nullopt when not hex digits or too large.
std::optional<std::uint64_t> parseHex(std::string_view digits);

// Calls visit(element) for each element of a comma-separated list (RFC 9110 §5.6.1),
// trimmed of OWS; empty elements are passed too, so callers decide about them. Returns
// false as soon as visit does.
template <typename Visit>
bool forEachListElement(std::string_view list, Visit visit) {
  while (true) {
    const std::size_t comma = list.find(',');
    if (!visit(trimOws(list.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace ztls::http::detail
