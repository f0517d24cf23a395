// Blocking reads on a session's socket for tests that drive OpenSSL by hand.
#pragma once

#include <openssl/ssl.h>
#include <poll.h>

#include <stdexcept>
#include <string>

#include "ztls/tls/session.h"

namespace ztls::tls::test {

// Throws when nothing arrives within 10 s.
inline void waitReadable(int fd) {
  pollfd entry{fd, POLLIN, 0};
  if (::poll(&entry, 1, 10000) != 1) throw std::runtime_error("nothing to read within 10 s");
}

// The application data of the next record(s) OpenSSL decrypts on the session.
inline std::string sslReadSome(TlsSession& session) {
  char buffer[256];
  for (;;) {
    const int got = SSL_read(session.nativeHandle(), buffer, sizeof(buffer));
    if (got > 0) return std::string(buffer, static_cast<std::size_t>(got));
    if (SSL_get_error(session.nativeHandle(), got) != SSL_ERROR_WANT_READ) {
      throw std::runtime_error("SSL_read failed");
    }
    waitReadable(session.socket().native_handle());
  }
}

}  // namespace ztls::tls::test
