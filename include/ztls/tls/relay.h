// The userspace TLS relay: plaintext on one socket, a mesh TLS session on the other.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "ztls/proxy/asio.h"
#include "ztls/proxy/counters.h"
#include "ztls/proxy/relay.h"
#include "ztls/tls/session.h"

namespace ztls::tls {

// Changes the plaintext that comes out of a server session before the app sees it (the
// inbound side adds X-Forwarded-Client-Cert to HTTP/1 requests). Called on the relay's
// thread only.
class PlaintextRewriter {
 public:
  enum class Verdict {
    kRewriting,    // keep calling
    kPassThrough,  // `output` holds the rest of this input; relay later bytes untouched
    kReset,        // the stream cannot be relayed faithfully: reset both peers
  };
  virtual ~PlaintextRewriter() = default;
  // Appends what the app must receive to `output` (which starts empty).
  virtual Verdict rewrite(std::span<const std::byte> input, std::string& output) = 0;
  // True when nothing is held back and no message is in progress, so that a new rewriter
  // of the same kind, told the stream goes on, would carry on correctly from here (an
  // agent hand-over pauses a relay only at such a point).
  virtual bool atBoundary() const noexcept { return false; }
};

// proxy::relay's contract with one side encrypted. Bytes are counted as plaintext.
//
// Sides follow the session's role, as the agent uses them: a client session (connectMesh,
// outbound) has the app's plain socket as downstream and TLS as upstream; a server session
// (acceptMesh, inbound) has TLS as downstream and the app as upstream.
//
// - Plain EOF: close_notify (SSL_shutdown once), then shutdown(SHUT_WR) on the TLS socket,
//   while the TLS side keeps being read (TLS 1.3 closes each direction on its own, RFC 8446
//   §6.1).
// - TLS close_notify, or TCP EOF exactly at a record boundary: shutdown(SHUT_WR) on the
//   plain socket. EOF inside a record is truncation: an error.
// - A reset or socket error on either side, a TLS alert or protocol error, or a KeyUpdate
//   from the peer (TlsErrc::kKeyUpdateRefused) reset both peers.
// - Backpressure as in proxy::relay: one buffer per direction, no read before the write.
//   OpenSSL reads ahead from here on (fewer syscalls), so a session given to this relay can
//   no longer be handed to kernel TLS; a strategy that may hand off must not start here.
//
// - With a rewriter (server sessions only), what the TLS side sends goes through it; bytes
//   are counted as received from the peer, before rewriting. kReset ends the relay as a
//   protocol error on the TLS side.
//
// Never throws. Both sockets must be used by one thread at a time (a strand); terminal
// cancellation resets both peers and ends with kCancelled.
asio::awaitable<proxy::RelayResult> relayTls(asio::ip::tcp::socket plain, TlsSession tls,
                                             proxy::RelayCounters& counters,
                                             proxy::RelayOptions options = {},
                                             std::unique_ptr<PlaintextRewriter> rewriter = {});

}  // namespace ztls::tls
