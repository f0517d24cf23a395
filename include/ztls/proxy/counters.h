// Process-wide proxy metrics, updated from the data path and read by `ztlsctl status`.
// Relaxed atomics: each value is exact on its own; a snapshot is not one instant.
#pragma once

#include <atomic>
#include <cstdint>

namespace ztls::proxy {

struct RelayCountersSnapshot {
  std::uint64_t connectionsOpened = 0;
  std::uint64_t connectionsClosed = 0;
  std::uint64_t connectionsActive = 0;
  std::uint64_t bytesDownstreamToUpstream = 0;
  std::uint64_t bytesUpstreamToDownstream = 0;
  std::uint64_t resets = 0;
  std::uint64_t errors = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t acceptErrors = 0;
  std::uint64_t handlerErrors = 0;
  std::uint64_t connectFailures = 0;
  std::uint64_t connectTimeouts = 0;
};

struct RelayCounters {
  // Relays started / finished / running now.
  std::atomic<std::uint64_t> connectionsOpened{0};
  std::atomic<std::uint64_t> connectionsClosed{0};
  std::atomic<std::uint64_t> connectionsActive{0};
  // Bytes handed to the kernel on the other side, counted as each chunk is written.
  std::atomic<std::uint64_t> bytesDownstreamToUpstream{0};
  std::atomic<std::uint64_t> bytesUpstreamToDownstream{0};
  // How relays that did not close cleanly ended (see RelayEnd).
  std::atomic<std::uint64_t> resets{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> cancelled{0};
  // Listener: accept() failures, and connection handlers that threw.
  std::atomic<std::uint64_t> acceptErrors{0};
  std::atomic<std::uint64_t> handlerErrors{0};
  // Upstream connects that failed, and those that did not finish in time.
  std::atomic<std::uint64_t> connectFailures{0};
  std::atomic<std::uint64_t> connectTimeouts{0};

  RelayCountersSnapshot snapshot() const;
};

}  // namespace ztls::proxy
