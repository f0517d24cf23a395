#include "daemon/inbound_sniffer.h"

#include <sys/socket.h>

#include <vector>

namespace ztls::daemon {
namespace {

// Readiness for "more bytes than we have already peeked at": poll() honours
// SO_RCVLOWAT on TCP sockets, so waiting never spins on bytes already seen.
void wantAtLeast(asio::ip::tcp::socket& socket, std::size_t bytes) {
  const int lowWater = static_cast<int>(bytes);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &lowWater, sizeof lowWater);
}

}  // namespace

asio::awaitable<SniffOutcome> sniffInbound(asio::ip::tcp::socket& socket,
                                           std::chrono::milliseconds firstBytes,
                                           std::chrono::milliseconds total) {
  using namespace asio::experimental::awaitable_operators;
  SniffOutcome outcome;
  std::vector<std::uint8_t> buffer(tls::kMaxSniffBytes);
  const auto start = std::chrono::steady_clock::now();
  std::size_t seen = 0;
  asio::steady_timer timer(socket.get_executor());
  while (true) {
    timer.expires_at(start + (seen == 0 ? firstBytes : total));
    wantAtLeast(socket, seen + 1);
    const auto woken = co_await (socket.async_wait(asio::socket_base::wait_read, proxy::kAsTuple) ||
                                 timer.async_wait(proxy::kAsTuple));
    if (woken.index() == 1) break;  // out of time
    const ssize_t peeked =
        ::recv(socket.native_handle(), buffer.data(), buffer.size(), MSG_PEEK | MSG_DONTWAIT);
    if (peeked <= 0) {
      if (peeked < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      // EOF or an error before a decision: nothing to sniff; the caller's next step fails
      // on the socket and reports it.
      outcome.kind = tls::SniffKind::kPlaintext;
      break;
    }
    if (static_cast<std::size_t>(peeked) == seen) {
      // Readable, yet nothing beyond what we saw: the client shut its side (FIN) or reset,
      // and SO_RCVLOWAT does not hold back that wake-up. Its bytes are all there will be;
      // waiting again would spin until the timer, which Asio checks after socket events.
      outcome.kind = tls::SniffKind::kPlaintext;
      outcome.clientFinished = true;
      break;
    }
    seen = static_cast<std::size_t>(peeked);
    outcome.anyBytes = true;
    const tls::SniffResult result = tls::sniff(std::span<const std::uint8_t>(buffer.data(), seen));
    if (result.kind != tls::SniffKind::kNeedMore) {
      outcome.kind = result.kind;
      break;
    }
  }
  wantAtLeast(socket, 1);
  co_return outcome;
}

}  // namespace ztls::daemon
