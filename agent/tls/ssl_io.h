// Driving non-blocking OpenSSL calls from coroutines: call, and when OpenSSL wants the
// socket readable or writable, wait for that with async_wait and call again.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

#include "session_state.h"
#include "ssl_result.h"
#include "ztls/proxy/asio.h"

namespace ztls::tls::detail {

enum class SslWait { kNone, kRead, kWrite };

// Waits until the socket is ready as `wait` says, or `deadline` (if any) expires
// (asio::error::timed_out). Cancellation gives operation_aborted.
asio::awaitable<std::error_code> waitReady(SessionState& state, SslWait wait,
                                           asio::steady_timer* deadline);

// After a failed SSL call, what OpenSSL wants: kNone means it will not succeed by waiting.
SslWait wanted(int sslError);

// Each reads/writes/shuts down once it can, never throws, and fails with
// operation_aborted once the socket is closed (the other direction of a relay failed).
// SSL_read_ex into `buffer`: one record's worth at most.
asio::awaitable<SslResult> sslRead(SessionState& state, std::span<std::byte> buffer);
// Seals all of `data` into records in `sealed` (cleared first, reused as the caller's
// scratch) and sends them with as few sends as the socket allows. kDone means all of
// `data` went out.
asio::awaitable<SslResult> sslWriteSealed(SessionState& state, std::span<const std::byte> data,
                                          std::vector<std::uint8_t>& sealed);
// Sends close_notify and returns without waiting for the peer's (RFC 8446 §6.1: each
// direction is closed on its own).
asio::awaitable<SslResult> sslShutdown(SessionState& state);

}  // namespace ztls::tls::detail
