// Connecting the upstream side of a relay from a socket created in a pod's namespace.
#pragma once

#include <chrono>
#include <system_error>

#include "ztls/proxy/asio.h"
#include "ztls/proxy/counters.h"

namespace ztls::proxy {

// Adopts fd (from netns::makeSocket(); it is closed on every failure) into `socket`, which
// must not be open, and connects it to destination, giving up after timeout. Returns the
// failure (asio::error::timed_out when the timeout won), with `socket` closed again.
// Failures are counted (connectFailures, connectTimeouts); never throws.
asio::awaitable<std::error_code> connectUpstream(asio::ip::tcp::socket& socket, int fd,
                                                 asio::ip::tcp::endpoint destination,
                                                 std::chrono::steady_clock::duration timeout,
                                                 RelayCounters& counters);

}  // namespace ztls::proxy
