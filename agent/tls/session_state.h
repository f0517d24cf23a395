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
  ~SessionState() { ssl.reset(); }

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
