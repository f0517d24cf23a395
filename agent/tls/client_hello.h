// Parsing a complete ClientHello message body (RFC 8446 §4.1.2), for the sniffer.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ztls::tls::detail {

struct ClientHelloSummary {
  // Empty when well-formed; otherwise what is wrong (static text).
  std::string_view problem;
  bool offersMesh = false;
  std::string serverName;         // printable rendering
  std::vector<std::string> alpn;  // printable renderings, in offered order
};

// `body` is the handshake message without its 4-byte header.
ClientHelloSummary parseClientHello(std::span<const std::uint8_t> body);

}  // namespace ztls::tls::detail
