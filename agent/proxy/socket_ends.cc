#include "ztls/proxy/socket_ends.h"

#include <sys/socket.h>

namespace ztls::proxy {

RelayEnd classifyEnd(const std::error_code& error) {
  if (error == asio::error::operation_aborted) return RelayEnd::kCancelled;
  if (error == asio::error::connection_reset || error == asio::error::broken_pipe) {
    return RelayEnd::kReset;
  }
  return RelayEnd::kError;
}

void resetAndClose(asio::ip::tcp::socket& socket) {
  if (!socket.is_open()) return;
  const linger abortive{1, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  std::error_code ignored;
  socket.close(ignored);
}

void countRelayStart(RelayCounters& counters) {
  counters.connectionsOpened.fetch_add(1, std::memory_order_relaxed);
  counters.connectionsActive.fetch_add(1, std::memory_order_relaxed);
}

void countRelayEnd(RelayCounters& counters, RelayEnd end) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  counters.connectionsClosed.fetch_add(1, kRelaxed);
  counters.connectionsActive.fetch_sub(1, kRelaxed);
  switch (end) {
    case RelayEnd::kClosed:
      break;
    case RelayEnd::kReset:
      counters.resets.fetch_add(1, kRelaxed);
      break;
    case RelayEnd::kError:
      counters.errors.fetch_add(1, kRelaxed);
      break;
    case RelayEnd::kCancelled:
      counters.cancelled.fetch_add(1, kRelaxed);
      break;
  }
}

}  // namespace ztls::proxy
