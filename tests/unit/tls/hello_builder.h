// Hand-built ClientHellos, for the shapes OpenSSL never sends.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ztls::tls::test {

using Bytes = std::vector<std::uint8_t>;

Bytes u16(std::size_t value);
Bytes concat(std::initializer_list<Bytes> parts);

Bytes extension(std::uint16_t type, const Bytes& data);
Bytes alpnExtension(const std::vector<std::string>& protocols);
Bytes sniExtension(const std::string& host);

struct HelloParts {
  std::size_t sessionIdLength = 32;
  Bytes cipherSuites = {0x13, 0x01, 0x13, 0x02};
  Bytes compression = {0x00};
  bool withExtensions = true;
  Bytes extensions;  // concatenated extension() blocks
};

// The ClientHello body (after the handshake header).
Bytes helloBody(const HelloParts& parts);
// Handshake header (type, 24-bit length) + body.
Bytes handshakeMessage(std::uint8_t type, const Bytes& body);
// One record around `payload`.
Bytes record(const Bytes& payload, std::uint8_t type = 22, std::uint16_t version = 0x0301);
// A single-record ClientHello offering `alpn`.
Bytes simpleHello(const std::vector<std::string>& alpn);

}  // namespace ztls::tls::test
