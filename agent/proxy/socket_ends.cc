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

}  // namespace ztls::proxy
