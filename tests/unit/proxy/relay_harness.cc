#include "relay_harness.h"

#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>

#include "ztls/netns/sockets.h"
#include "ztls/proxy/connect.h"

namespace ztls::proxy::test {

namespace {

void setBuffer(int fd, int option, int size) {
  if (size > 0 && ::setsockopt(fd, SOL_SOCKET, option, &size, sizeof(size)) != 0) {
    throw std::system_error(errno, std::generic_category(), "setting a socket buffer size");
  }
}

}  // namespace

RelayHarness::RelayHarness(asio::ip::tcp::endpoint upstream, HarnessOptions options)
    : upstream_(upstream), options_(options) {
  const netns::Netns& listenerNetns = options_.listenerNetns ? *options_.listenerNetns : home_;
  const int fd = netns::makeListener(listenerNetns, *netns::SocketAddress::parse("127.0.0.1:0"),
                                     /*backlog=*/128);
  try {
    setBuffer(fd, SO_RCVBUF, options_.kernelBuffer);
  } catch (...) {
    ::close(fd);
    throw;
  }
  std::error_code error;
  listener_ = Listener::adopt(
      io_.get_executor(), fd,
      [this](asio::ip::tcp::socket downstream) { return handle(std::move(downstream)); }, counters,
      error);
  if (!listener_) throw std::system_error(error, "adopting the relay's listener");
  thread_ = std::thread([this] { io_.run(); });
}

RelayHarness::~RelayHarness() {
  listener_.reset();
  io_.stop();
  thread_.join();
}

asio::awaitable<void> RelayHarness::handle(asio::ip::tcp::socket downstream) {
  const netns::Netns& upstreamNetns = options_.upstreamNetns ? *options_.upstreamNetns : home_;
  const int fd = netns::makeSocket(upstreamNetns, AF_INET);
  try {
    setBuffer(fd, SO_SNDBUF, options_.kernelBuffer);
  } catch (...) {
    ::close(fd);
    throw;
  }
  asio::ip::tcp::socket upstream(downstream.get_executor());
  const std::error_code error =
      co_await connectUpstream(upstream, fd, upstream_, std::chrono::seconds(10), counters);
  if (error) throw std::system_error(error, "connecting upstream");
  RelayResult result =
      co_await relay(std::move(downstream), std::move(upstream), counters, options_.relay);
  {
    const std::lock_guard lock(mutex_);
    results_.push_back(result);
  }
  finished_.notify_all();
}

RelayResult RelayHarness::nextResult(std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  if (!finished_.wait_for(lock, timeout, [this] { return !results_.empty(); })) {
    throw std::runtime_error("no relay finished within the timeout");
  }
  RelayResult result = results_.front();
  results_.pop_front();
  return result;
}

}  // namespace ztls::proxy::test
