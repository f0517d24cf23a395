#include "ztls/tls/handshake.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "handshake_failure.h"
#include "session_cache.h"
#include "session_state.h"
#include "ssl_io.h"

namespace ztls::tls {

namespace {

using asio::ip::tcp;

HandshakeResult failure(HandshakeError error) {
  HandshakeResult result;
  result.error = std::move(error);
  return result;
}

HandshakeResult internalFailure(std::string reason) {
  HandshakeError error;
  error.kind = HandshakeFailure::kInternal;
  error.reason = std::move(reason);
  error.opensslError = ERR_peek_error();
  ERR_clear_error();
  return failure(std::move(error));
}

// A client offers a ticket from an earlier session with the same server, if it has one.
// Without a peer address there is no key, and the handshake is simply a full one.
void offerTicket(detail::SessionState& state) {
  detail::SessionCache* cache = state.context->sessionCache();
  if (cache == nullptr) return;
  std::error_code error;
  const tcp::endpoint server = state.socket.remote_endpoint(error);
  if (error) return;
  state.checks.sessionCacheKey =
      detail::sessionCacheKey(server.address().to_string() + ':' + std::to_string(server.port()),
                              state.checks.expectedPeerId);
  if (const detail::SslSessionPtr ticket = cache->take(state.checks.sessionCacheKey)) {
    // SSL_set_session takes its own reference; ours goes with `ticket`.
    SSL_set_session(state.ssl.get(), ticket.get());
  }
}

// The SSL for one connection, wired to the session state; an error message when OpenSSL
// cannot allocate it.
std::string prepare(detail::SessionState& state, Role role) {
  state.checks.role = role;
  state.ssl.reset(SSL_new(state.context->native()));
  if (!state.ssl) return "SSL_new failed";
  BIO* bio = detail::newSocketBio(state.io);
  if (bio == nullptr) return "allocating the socket BIO failed";
  SSL_set_bio(state.ssl.get(), bio, bio);  // one reference, owned by the SSL from here
  if (!state.checks.attachTo(state.ssl.get())) return "SSL_set_ex_data failed";
  if (state.context->kernelTlsHandoff() && !state.handoff.attachTo(state.ssl.get())) {
    return "SSL_set_ex_data failed";
  }
  if (role == Role::kServer) {
    SSL_set_accept_state(state.ssl.get());
  } else {
    SSL_set_connect_state(state.ssl.get());
    offerTicket(state);
  }
  // Records are whole messages for the relay; Nagle would hold back each direction's last
  // partial record for an ACK.
  std::error_code ignored;
  state.socket.set_option(tcp::no_delay(true), ignored);
  return {};
}

asio::awaitable<HandshakeResult> handshake(std::unique_ptr<detail::SessionState> state,
                                           std::chrono::milliseconds timeout) {
  try {
    asio::steady_timer deadline(state->socket.get_executor());
    deadline.expires_after(timeout);
    for (;;) {
      ERR_clear_error();
      state->io.lastErrno = 0;
      const int result = SSL_do_handshake(state->ssl.get());
      if (result == 1) break;
      const int sslError = SSL_get_error(state->ssl.get(), result);
      const detail::SslWait wait = detail::wanted(sslError);
      if (wait == detail::SslWait::kNone) {
        co_return failure(detail::classifyHandshakeFailure(*state, sslError));
      }
      ERR_clear_error();
      const std::error_code waitError = co_await detail::waitReady(*state, wait, &deadline);
      if (waitError) co_return failure(detail::waitFailure(waitError));
    }
    HandshakeError problem = detail::confirmPeer(*state);
    if (problem.kind != HandshakeFailure::kNone) {
      ERR_clear_error();
      co_return failure(std::move(problem));
    }
    HandshakeResult success;
    success.session.emplace(std::move(state));
    co_return success;
  } catch (const std::system_error& error) {
    // Asio throws operation_aborted when an operation starts after cancellation.
    co_return failure(detail::waitFailure(error.code()));
  } catch (...) {
    co_return internalFailure("out of memory during the handshake");
  }
}

asio::awaitable<HandshakeResult> start(tcp::socket socket,
                                       std::shared_ptr<const MeshTlsContext> context, Role role,
                                       std::string expectedPeerId,
                                       std::vector<std::uint8_t> alreadyRead,
                                       std::chrono::milliseconds timeout) {
  std::unique_ptr<detail::SessionState> state;
  try {
    if (!context) co_return internalFailure("no TLS context");
    if (!socket.is_open()) co_return internalFailure("the socket is not open");
    // An empty expectation must never mean "anyone".
    if (role == Role::kClient && expectedPeerId.empty()) {
      co_return internalFailure("no expected server SPIFFE ID");
    }
    state = std::make_unique<detail::SessionState>(std::move(socket), std::move(context));
    state->checks.expectedPeerId = std::move(expectedPeerId);
    state->io.prefix = std::move(alreadyRead);
    if (std::string problem = prepare(*state, role); !problem.empty()) {
      co_return internalFailure(std::move(problem));
    }
  } catch (...) {
    co_return internalFailure("out of memory starting the handshake");
  }
  co_return co_await handshake(std::move(state), timeout);
}

}  // namespace

asio::awaitable<HandshakeResult> acceptMesh(tcp::socket socket,
                                            std::shared_ptr<const ServerContext> context,
                                            std::chrono::milliseconds timeout,
                                            std::vector<std::uint8_t> alreadyRead) {
  return start(std::move(socket), std::move(context), Role::kServer, {}, std::move(alreadyRead),
               timeout);
}

asio::awaitable<HandshakeResult> connectMesh(tcp::socket connected,
                                             std::shared_ptr<const ClientContext> context,
                                             std::string expectedServerId,
                                             std::chrono::milliseconds timeout) {
  return start(std::move(connected), std::move(context), Role::kClient, std::move(expectedServerId),
               {}, timeout);
}

}  // namespace ztls::tls
