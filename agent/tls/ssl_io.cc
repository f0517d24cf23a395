#include "ssl_io.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <utility>

#include "ztls/tls/errors.h"

namespace ztls::tls::detail {

namespace {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using proxy::kAsTuple;

SslResult failed(std::error_code error) { return {SslOutcome::kFailed, 0, error}; }

// What a failed call means beyond "wait": the errno our BIO saw, the end of the stream,
// or OpenSSL's own verdict. Clears the thread's error queue either way.
SslResult classifyFailure(SessionState& state, int sslError) {
  SslResult result;
  if (sslError == SSL_ERROR_ZERO_RETURN) {
    result.outcome = SslOutcome::kClosed;
  } else if (state.io.lastErrno != 0) {
    result = failed({state.io.lastErrno, asio::error::get_system_category()});
  } else if (state.io.eof) {
    // OpenSSL 3.0 reports every EOF without close_notify as an error
    // (SSL_R_UNEXPECTED_EOF_WHILE_READING), whether or not it cut a record short; the BIO
    // knows which it was.
    result = state.io.inbound.atBoundary() ? SslResult{SslOutcome::kEof, 0, {}}
                                           : failed(TlsErrc::kTruncatedRecord);
  } else if (const unsigned long error = ERR_peek_error(); error != 0) {
    result = failed(makeOpensslError(error));
  } else {
    result = failed(std::make_error_code(std::errc::io_error));
  }
  ERR_clear_error();
  return result;
}

// `call` makes one OpenSSL call, storing what it moved in its argument, and returns 1 on
// success or the value to pass to SSL_get_error.
template <class Call>
asio::awaitable<SslResult> drive(SessionState& state, Call call) {
  for (;;) {
    // A closed socket's descriptor number may already belong to someone else; the BIO
    // would see -1, but there is no reason to even try.
    if (!state.socket.is_open()) co_return failed(asio::error::operation_aborted);
    ERR_clear_error();
    state.io.lastErrno = 0;
    std::size_t bytes = 0;
    const int result = call(bytes);
    // Checked before anything else: data that arrives under new keys is already refused.
    if (state.checks.keyUpdateReceived) {
      ERR_clear_error();
      co_return failed(TlsErrc::kKeyUpdateRefused);
    }
    if (result == 1) co_return SslResult{SslOutcome::kDone, bytes, {}};
    const int sslError = SSL_get_error(state.ssl.get(), result);
    const SslWait wait = wanted(sslError);
    if (wait == SslWait::kNone) co_return classifyFailure(state, sslError);
    ERR_clear_error();
    const std::error_code waitError = co_await waitReady(state, wait, nullptr);
    if (waitError) co_return failed(waitError);
  }
}

}  // namespace

SslWait wanted(int sslError) {
  switch (sslError) {
    case SSL_ERROR_WANT_READ:
      return SslWait::kRead;
    case SSL_ERROR_WANT_WRITE:
      return SslWait::kWrite;
    default:
      return SslWait::kNone;
  }
}

asio::awaitable<std::error_code> waitReady(SessionState& state, SslWait wait,
                                           asio::steady_timer* deadline) {
  const auto type = wait == SslWait::kWrite ? tcp::socket::wait_write : tcp::socket::wait_read;
  if (deadline == nullptr) {
    auto [error] = co_await state.socket.async_wait(type, kAsTuple);
    co_return error;
  }
  // Whichever finishes first cancels the other.
  auto first = co_await (state.socket.async_wait(type, kAsTuple) || deadline->async_wait(kAsTuple));
  if (first.index() == 0) co_return std::get<0>(std::get<0>(first));
  const std::error_code timerError = std::get<0>(std::get<1>(first));
  co_return timerError ? timerError : std::error_code(asio::error::timed_out);
}

asio::awaitable<SslResult> sslRead(SessionState& state, std::span<std::byte> buffer) {
  if (state.deferredRead) {
    const SslResult deferred = *state.deferredRead;
    state.deferredRead.reset();
    co_return deferred;
  }
  SSL* ssl = state.ssl.get();
  SslResult result = co_await drive(state, [ssl, buffer](std::size_t& bytes) {
    return SSL_read_ex(ssl, buffer.data(), buffer.size(), &bytes);
  });
  // SSL_read_ex returns one record at most. Whatever else OpenSSL already holds (with
  // read-ahead, usually the next records) goes into the same buffer, so the plain side
  // gets one write per buffer rather than one per record.
  while (result.outcome == SslOutcome::kDone && result.bytes < buffer.size() &&
         SSL_has_pending(ssl) == 1) {
    ERR_clear_error();
    state.io.lastErrno = 0;
    std::size_t more = 0;
    const int status =
        SSL_read_ex(ssl, buffer.data() + result.bytes, buffer.size() - result.bytes, &more);
    if (state.checks.keyUpdateReceived) {
      // What came before the KeyUpdate is delivered; what came after it never is.
      ERR_clear_error();
      state.deferredRead = failed(TlsErrc::kKeyUpdateRefused);
      break;
    }
    if (status != 1) {
      // Reported by the next call, with the details only available now (errno, EOF,
      // OpenSSL's queue): a repeated SSL_read would only say "error state".
      const int sslError = SSL_get_error(ssl, status);
      if (wanted(sslError) == SslWait::kNone) state.deferredRead = classifyFailure(state, sslError);
      ERR_clear_error();
      break;
    }
    result.bytes += more;
  }
  co_return result;
}

asio::awaitable<SslResult> sslWriteSealed(SessionState& state, std::span<const std::byte> data,
                                          std::vector<std::uint8_t>& sealed) {
  if (!state.socket.is_open()) co_return failed(asio::error::operation_aborted);
  SSL* ssl = state.ssl.get();
  sealed.clear();
  state.io.sealed = &sealed;
  std::size_t consumed = 0;
  SslResult result;
  // The BIO takes every record, so OpenSSL never waits here; partial writes make each
  // call seal one record.
  while (consumed < data.size()) {
    ERR_clear_error();
    state.io.lastErrno = 0;
    std::size_t bytes = 0;
    const int status = SSL_write_ex(ssl, data.data() + consumed, data.size() - consumed, &bytes);
    if (status != 1) {
      result = classifyFailure(state, SSL_get_error(ssl, status));
      break;
    }
    consumed += bytes;
  }
  state.io.sealed = nullptr;
  if (result.outcome != SslOutcome::kDone) co_return result;
  auto [error, sent] = co_await asio::async_write(state.socket, asio::buffer(sealed), kAsTuple);
  if (error) co_return failed(error);
  co_return SslResult{SslOutcome::kDone, consumed, {}};
}

asio::awaitable<SslResult> sslShutdown(SessionState& state) {
  SSL* ssl = state.ssl.get();
  return drive(state, [ssl](std::size_t&) {
    // 0: close_notify sent, the peer's not seen yet; 1: both seen. Either is done for us.
    // A retry after WANT_WRITE only flushes the pending alert; OpenSSL reads the peer's
    // close_notify only on a call after that, which is never made (the relay's read side
    // does the reading).
    const int result = SSL_shutdown(ssl);
    if (result >= 0) return 1;
    // WANT_READ would mean OpenSSL moved on to waiting for the peer's close_notify, which
    // means ours is out.
    return SSL_get_error(ssl, result) == SSL_ERROR_WANT_READ ? 1 : result;
  });
}

}  // namespace ztls::tls::detail
