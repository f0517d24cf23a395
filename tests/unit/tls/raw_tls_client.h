// A plain OpenSSL client on a blocking socket, configurable in the ways a mesh client is
// not (no certificate, other ALPN, older TLS), for the server-side rejection tests.
#pragma once

#include <string>
#include <vector>

#include "test_pki.h"

namespace ztls::tls::test {

struct RawClientOptions {
  std::vector<std::string> alpn;     // none: no ALPN extension
  const KeyPair* leaf = nullptr;     // none: no client certificate
  const KeyPair* trusted = nullptr;  // verify the server against this root; none: no checks
  int maxVersion = 0;                // e.g. TLS1_2_VERSION; 0: library default
};

struct RawClientOutcome {
  bool connected = false;  // SSL_connect succeeded
  std::string error;       // the first OpenSSL error, from SSL_connect or the read after it
};

// Handshakes on `fd`, then reads once (up to 2 s) to see the server's verdict: in TLS 1.3
// a client learns that its certificate was refused only from the alert that follows.
RawClientOutcome runRawClient(int fd, const RawClientOptions& options);

}  // namespace ztls::tls::test
