#include "ztls/proxy/connect.h"

#include <unistd.h>

namespace ztls::proxy {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

asio::awaitable<std::error_code> connectUpstream(tcp::socket& socket, int fd,
                                                 tcp::endpoint destination,
                                                 std::chrono::steady_clock::duration timeout,
                                                 RelayCounters& counters) {
  std::error_code error;
  try {
    socket.assign(destination.protocol(), fd, error);
    if (error) {
      ::close(fd);
    } else {
      asio::steady_timer timer(socket.get_executor(), timeout);
      // The loser of the race is cancelled and waited for before this returns.
      auto winner =
          co_await (socket.async_connect(destination, kAsTuple) || timer.async_wait(kAsTuple));
      error = winner.index() == 0 ? std::get<0>(std::get<0>(winner))
                                  : std::error_code(asio::error::timed_out);
    }
  } catch (const std::system_error& thrown) {
    error = thrown.code();
  } catch (...) {
    error = std::make_error_code(std::errc::not_enough_memory);
  }
  if (error) {
    auto& counter =
        error == asio::error::timed_out ? counters.connectTimeouts : counters.connectFailures;
    counter.fetch_add(1, std::memory_order_relaxed);
    std::error_code ignored;
    socket.close(ignored);
  }
  co_return error;
}

}  // namespace ztls::proxy
