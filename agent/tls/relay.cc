// The userspace relay strategy: OpenSSL encrypts and decrypts in this process. The kernel
// TLS strategy will start from the same TlsSession.
#include "ztls/tls/relay.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "relay_ending.h"
#include "session_state.h"
#include "ssl_io.h"
#include "ztls/proxy/socket_ends.h"

namespace ztls::tls {

namespace {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using proxy::kAsTuple;
using proxy::RelayEnd;
using proxy::Side;

// The plain socket and the TLS session of one relayed connection. The first failure
// decides how the relay ends; what the other direction reports afterwards follows from it.
class Connection {
 public:
  struct Failure {
    RelayEnd end;
    Side side;
    std::error_code error;
  };

  Connection(tcp::socket plain, TlsSession tls)
      : plain_(std::move(plain)),
        tls_(std::move(tls)),
        tlsSide_(tls_.role() == Role::kClient ? Side::kUpstream : Side::kDownstream),
        plainSide_(tlsSide_ == Side::kUpstream ? Side::kDownstream : Side::kUpstream) {}

  tcp::socket& plain() { return plain_; }
  detail::SessionState& tls() { return tls_.state(); }
  Side tlsSide() const { return tlsSide_; }
  Side plainSide() const { return plainSide_; }
  const std::optional<Failure>& failure() const { return failure_; }

  // Resets both peers. Closing the TLS socket also ends the other direction's pending
  // waits, and the SSL is never called again (ssl_io checks the socket first). No alert is
  // sent: the RST says it all, and OpenSSL may be mid-record in either direction.
  void fail(Side side, const std::error_code& error) {
    if (failure_) return;
    const RelayEnd end = proxy::classifyEnd(error);
    failure_ = Failure{end, end == RelayEnd::kCancelled ? Side::kRelay : side, error};
    proxy::resetAndClose(plain_);
    proxy::resetAndClose(tls_.socket());
  }

  // Only after both directions ended cleanly: nothing is left unread.
  void close() {
    std::error_code ignored;
    plain_.close(ignored);
    tls_.socket().close(ignored);
  }

 private:
  tcp::socket plain_;
  TlsSession tls_;
  Side tlsSide_;
  Side plainSide_;
  std::optional<Failure> failure_;
};

using detail::Tally;

asio::awaitable<void> plainToTls(Connection& connection, std::span<std::byte> buffer, Tally tally) {
  tcp::socket& plain = connection.plain();
  detail::SessionState& tls = connection.tls();
  std::vector<std::uint8_t> sealed;
  try {
    for (;;) {
      auto [readError, received] =
          co_await plain.async_read_some(asio::buffer(buffer.data(), buffer.size()), kAsTuple);
      if (readError == asio::error::eof) {
        // close_notify first (RFC 8446 §6.1), then the FIN; the peer may keep sending.
        const detail::SslResult closed = co_await detail::sslShutdown(tls);
        if (closed.outcome == detail::SslOutcome::kFailed) {
          connection.fail(connection.tlsSide(), closed.error);
          co_return;
        }
        std::error_code shutdownError;
        tls.socket.shutdown(tcp::socket::shutdown_send, shutdownError);
        if (shutdownError) connection.fail(connection.tlsSide(), shutdownError);
        co_return;
      }
      if (readError) {
        connection.fail(connection.plainSide(), readError);
        co_return;
      }
      // Reading again only after the whole chunk went out is the backpressure.
      const detail::SslResult written =
          co_await detail::sslWriteSealed(tls, buffer.first(received), sealed);
      if (written.outcome != detail::SslOutcome::kDone) {
        connection.fail(connection.tlsSide(), written.error);
        co_return;
      }
      tally.add(written.bytes);
    }
  } catch (const std::system_error& error) {
    connection.fail(Side::kRelay, error.code());
  } catch (...) {
    connection.fail(Side::kRelay, std::make_error_code(std::errc::not_enough_memory));
  }
}

asio::awaitable<void> tlsToPlain(Connection& connection, std::span<std::byte> buffer, Tally tally,
                                 PlaintextRewriter* rewriter) {
  tcp::socket& plain = connection.plain();
  detail::SessionState& tls = connection.tls();
  std::string rewritten;
  try {
    for (;;) {
      const detail::SslResult read = co_await detail::sslRead(tls, buffer);
      if (read.outcome == detail::SslOutcome::kClosed || read.outcome == detail::SslOutcome::kEof) {
        std::error_code shutdownError;
        plain.shutdown(tcp::socket::shutdown_send, shutdownError);
        if (shutdownError) connection.fail(connection.plainSide(), shutdownError);
        co_return;
      }
      if (read.outcome == detail::SslOutcome::kFailed) {
        connection.fail(connection.tlsSide(), read.error);
        co_return;
      }
      asio::const_buffer out(buffer.data(), read.bytes);
      if (rewriter != nullptr) {
        rewritten.clear();
        const auto verdict = rewriter->rewrite(buffer.first(read.bytes), rewritten);
        if (verdict == PlaintextRewriter::Verdict::kReset) {
          connection.fail(connection.tlsSide(), std::make_error_code(std::errc::protocol_error));
          co_return;
        }
        if (verdict == PlaintextRewriter::Verdict::kPassThrough) rewriter = nullptr;
        out = asio::buffer(rewritten);
      }
      auto [writeError, sent] = co_await asio::async_write(plain, out, kAsTuple);
      // Counted as the peer sent them: rewriting is this agent's business.
      tally.add(sent == out.size() ? read.bytes : std::min(sent, read.bytes));
      if (writeError) {
        connection.fail(connection.plainSide(), writeError);
        co_return;
      }
    }
  } catch (const std::system_error& error) {
    connection.fail(Side::kRelay, error.code());
  } catch (...) {
    connection.fail(Side::kRelay, std::make_error_code(std::errc::not_enough_memory));
  }
}

}  // namespace

asio::awaitable<proxy::RelayResult> relayTls(tcp::socket plain, TlsSession tls,
                                             proxy::RelayCounters& counters,
                                             proxy::RelayOptions options,
                                             std::unique_ptr<PlaintextRewriter> rewriter) {
  const auto started = std::chrono::steady_clock::now();
  proxy::countRelayStart(counters);
  proxy::RelayResult result;
  std::optional<Connection> connection;
  try {
    connection.emplace(std::move(plain), std::move(tls));
    if (!connection->plain().is_open()) {
      connection->fail(connection->plainSide(), asio::error::bad_descriptor);
    } else if (!connection->tls().socket.is_open()) {
      connection->fail(connection->tlsSide(), asio::error::bad_descriptor);
    } else {
      std::error_code ignored;
      connection->plain().set_option(tcp::no_delay(true), ignored);
      connection->tls().socket.set_option(tcp::no_delay(true), ignored);
      // This strategy keeps the session in userspace to the end, so OpenSSL may read
      // ahead of the record it decrypts: about one recv per record instead of two (header,
      // then body). The kernel TLS strategy must not, and does not inherit this.
      const std::size_t size = std::max<std::size_t>(options.bufferSize, 1);
      SSL* ssl = connection->tls().ssl.get();
      SSL_set_read_ahead(ssl, 1);
      // And a read buffer as large as the relay's: one recv takes several records.
      // OpenSSL sizes its buffer when it allocates it, so the handshake's is let go first
      // (SSL_free_buffers refuses, harmlessly, when it still holds unread bytes). From then
      // on OpenSSL lets its buffers go whenever they are empty: an idle connection holds
      // none, and each read starts at the front of a fresh one (measured on the bench:
      // 1-stream throughput up from 3.6-4.1 to 5.1-5.3 Gbit/s, RSS with 1000 idle
      // connections down 12%).
      SSL_set_default_read_buffer_len(ssl, size);
      SSL_free_buffers(ssl);
      SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
      const auto buffers = std::make_unique_for_overwrite<std::byte[]>(2 * size);
      // Downstream to upstream is plain to TLS on a client session, TLS to plain on a
      // server session.
      const bool plainIsDownstream = connection->plainSide() == Side::kDownstream;
      Tally upstreamBound{counters.bytesDownstreamToUpstream, result.bytesDownstreamToUpstream};
      Tally downstreamBound{counters.bytesUpstreamToDownstream, result.bytesUpstreamToDownstream};
      co_await (plainToTls(*connection, {buffers.get(), size},
                           plainIsDownstream ? upstreamBound : downstreamBound) &&
                tlsToPlain(*connection, {buffers.get() + size, size},
                           plainIsDownstream ? downstreamBound : upstreamBound, rewriter.get()));
    }
  } catch (const std::system_error& error) {
    if (connection) connection->fail(Side::kRelay, error.code());
  } catch (...) {
    if (connection) {
      connection->fail(Side::kRelay, std::make_error_code(std::errc::not_enough_memory));
    }
  }
  detail::finishRelay(result, connection ? &*connection : nullptr, started, counters);
  co_return result;
}

}  // namespace ztls::tls
