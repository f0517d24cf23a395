// Real ClientHellos, as OpenSSL writes them, for the sniffer tests.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ztls::tls::test {

struct HelloOptions {
  std::vector<std::string> alpn;  // offered in this order; none: no ALPN extension
  std::string serverName;         // none: no SNI
  bool tls12Only = false;
};

// The bytes a fresh OpenSSL client sends first: its ClientHello records.
std::vector<std::uint8_t> captureClientHello(const HelloOptions& options);
// The same from an SSL_CTX someone else configured (a ClientContext).
std::vector<std::uint8_t> captureClientHello(SSL_CTX* ctx);

// The handshake message inside `records` (a single-record hello), re-split into records
// carrying at most `fragmentSize` bytes each.
std::vector<std::uint8_t> refragment(const std::vector<std::uint8_t>& records,
                                     std::size_t fragmentSize);

}  // namespace ztls::tls::test
