// What both TLS relay strategies (userspace, kernel TLS) share: counting the bytes each
// direction hands on, and turning how a relay ended into its RelayResult.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <system_error>

#include "ztls/proxy/counters.h"
#include "ztls/proxy/relay.h"
#include "ztls/proxy/socket_ends.h"

namespace ztls::tls::detail {

struct Tally {
  std::atomic<std::uint64_t>& counter;
  std::uint64_t& total;

  void add(std::size_t bytes) {
    total += bytes;
    counter.fetch_add(bytes, std::memory_order_relaxed);
  }
};

// `connection` (null when it could not even be built) has failure(): the first failure,
// if any, with end, side and error; and close(), for a relay whose directions all ended
// cleanly. Completes `result` and counts the ending.
template <class Connection>
void finishRelay(proxy::RelayResult& result, Connection* connection,
                 std::chrono::steady_clock::time_point started, proxy::RelayCounters& counters) {
  if (connection != nullptr && connection->failure()) {
    const auto& failure = *connection->failure();
    result.end = failure.end;
    result.side = failure.side;
    result.error = failure.error;
  } else if (connection != nullptr) {
    connection->close();
  } else {
    result.end = proxy::RelayEnd::kError;
    result.error = std::make_error_code(std::errc::not_enough_memory);
  }
  result.duration = std::chrono::steady_clock::now() - started;
  proxy::countRelayEnd(counters, result.end);
}

}  // namespace ztls::tls::detail
