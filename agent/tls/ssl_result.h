// What one OpenSSL read, write or shutdown came to, once it no longer wants to wait.
#pragma once

#include <cstddef>
#include <system_error>

namespace ztls::tls::detail {

enum class SslOutcome {
  kDone,    // the call succeeded; `bytes` says how much it moved
  kClosed,  // the peer's close_notify arrived
  kEof,     // TCP EOF exactly at a record boundary, without close_notify
  kFailed,  // see `error`; the session is unusable
};

struct SslResult {
  SslOutcome outcome = SslOutcome::kDone;
  std::size_t bytes = 0;
  std::error_code error;
};

}  // namespace ztls::tls::detail
