#include "hello_builder.h"

namespace ztls::tls::test {

Bytes u16(std::size_t value) {
  return {static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value & 0xff)};
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes extension(std::uint16_t type, const Bytes& data) {
  return concat({u16(type), u16(data.size()), data});
}

Bytes alpnExtension(const std::vector<std::string>& protocols) {
  Bytes list;
  for (const std::string& protocol : protocols) {
    list.push_back(static_cast<std::uint8_t>(protocol.size()));
    list.insert(list.end(), protocol.begin(), protocol.end());
  }
  return extension(16, concat({u16(list.size()), list}));
}

Bytes sniExtension(const std::string& host) {
  const Bytes name(host.begin(), host.end());
  const Bytes entry = concat({{0x00}, u16(name.size()), name});
  return extension(0, concat({u16(entry.size()), entry}));
}

Bytes helloBody(const HelloParts& parts) {
  Bytes body = {0x03, 0x03};
  body.insert(body.end(), 32, 0xab);  // random
  body.push_back(static_cast<std::uint8_t>(parts.sessionIdLength));
  body.insert(body.end(), parts.sessionIdLength, 0xcd);
  body = concat({body, u16(parts.cipherSuites.size()), parts.cipherSuites});
  body.push_back(static_cast<std::uint8_t>(parts.compression.size()));
  body.insert(body.end(), parts.compression.begin(), parts.compression.end());
  if (parts.withExtensions) body = concat({body, u16(parts.extensions.size()), parts.extensions});
  return body;
}

Bytes handshakeMessage(std::uint8_t type, const Bytes& body) {
  return concat(
      {{type, static_cast<std::uint8_t>(body.size() >> 16),
        static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size() & 0xff)},
       body});
}

Bytes record(const Bytes& payload, std::uint8_t type, std::uint16_t version) {
  return concat({{type}, u16(version), u16(payload.size()), payload});
}

Bytes simpleHello(const std::vector<std::string>& alpn) {
  HelloParts parts;
  parts.extensions = concat({sniExtension("example.test"), alpnExtension(alpn)});
  return record(handshakeMessage(1, helloBody(parts)));
}

}  // namespace ztls::tls::test
