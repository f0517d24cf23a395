// Everything a TlsSession owns, at one stable heap address: the BIO and the OpenSSL
// callbacks hold pointers into it.
#pragma once

#include <memory>
#include <optional>

#include "handoff_capture.h"
#include "openssl_ptr.h"
#include "peer_checks.h"
#include "socket_bio.h"
#include "ssl_result.h"
#include "ztls/proxy/asio.h"
#include "ztls/tls/context.h"

namespace ztls::tls::detail {

struct SessionState {
  SessionState(asio::ip::tcp::socket s, std::shared_ptr<const MeshTlsContext> c)
      : socket(std::move(s)), context(std::move(c)), io(socket) {}
  SessionState(const SessionState&) = delete;
  SessionState& operator=(const SessionState&) = delete;
  // The SSL goes first (it holds the BIO, which points at `io` and `socket`); the socket
  // closes last, after OpenSSL can no longer touch it.
  ~SessionState() {
    // OpenSSL forgets a completed session at SSL_free unless close_notify went out through
    // it, which a kernel TLS session's never does. Its ticket stays good: nothing about how
    // a TLS 1.3 connection ends weakens the resumption secret.
    if (ssl && SSL_is_init_finished(ssl.get()) == 1) {
      SSL_set_shutdown(ssl.get(), SSL_get_shutdown(ssl.get()) | SSL_SENT_SHUTDOWN);
    }
    ssl.reset();
  }

  asio::ip::tcp::socket socket;
  // Keeps the MeshTlsContext (and with it the key log hook and the SSL_CTX's callbacks'
  // data) alive for as long as the SSL exists, across certificate rotation.
  std::shared_ptr<const MeshTlsContext> context;
  SocketIo io;
  PeerChecks checks;
  // Attached only when the context allows a kernel TLS hand-off.
  HandoffCapture handoff;
  SslPtr ssl;
  // A failure found while reading ahead of the caller, returned by the next read.
  std::optional<SslResult> deferredRead;
};

}  // namespace ztls::tls::detail
