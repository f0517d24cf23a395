// Mesh TLS handshakes over Asio sockets: handshake, then verify, then a TlsSession.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ztls/proxy/asio.h"
#include "ztls/tls/context.h"
#include "ztls/tls/errors.h"
#include "ztls/tls/session.h"

namespace ztls::tls {

struct HandshakeResult {
  std::optional<TlsSession> session;  // set on success
  HandshakeError error;               // kind == kNone on success

  bool ok() const { return session.has_value(); }
};

// Both handshakes drive OpenSSL over the socket's file descriptor through a BIO of ours
// (recv/send with MSG_DONTWAIT | MSG_NOSIGNAL, so no SIGPIPE and no dependence on the
// descriptor's blocking mode) and wait for readiness with socket.async_wait. OpenSSL reads
// records exactly (no read-ahead), so when the handshake ends the socket still holds every
// byte after it: nothing is buffered in userspace that the kernel TLS hand-off would miss.
//
// Never throws. The whole handshake must finish within `timeout` (a silent or stalled peer
// gets kTimeout); terminal cancellation ends it with kCancelled. On failure the socket is
// closed (after any alert OpenSSL sent). Run on one thread at a time per socket, like the
// plain relay.
//
// In TLS 1.3 the client finishes before the server has checked the client's certificate
// (RFC 8446 §4.4): a rejected client sees success here and the server's alert on its first
// read. The relay then ends with that alert as its error.

// Server side. `alreadyRead` holds bytes the caller consumed from the socket before (for
// example while sniffing); OpenSSL reads them first. Empty when the sniffer peeked.
asio::awaitable<HandshakeResult> acceptMesh(asio::ip::tcp::socket socket,
                                            std::shared_ptr<const ServerContext> context,
                                            std::chrono::milliseconds timeout,
                                            std::vector<std::uint8_t> alreadyRead = {});

// Client side, on a connected socket. Fails unless the server's SPIFFE ID equals
// `expectedServerId` exactly (checked during the handshake, so the client aborts before
// sending its Finished).
asio::awaitable<HandshakeResult> connectMesh(asio::ip::tcp::socket connected,
                                             std::shared_ptr<const ClientContext> context,
                                             std::string expectedServerId,
                                             std::chrono::milliseconds timeout);

}  // namespace ztls::tls
