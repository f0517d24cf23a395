// The relay as the agent will run it: a Listener on 127.0.0.1 whose handler connects an
// upstream socket and relays, on an io_context with a thread of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "ztls/netns/netns.h"
#include "ztls/proxy/listener.h"
#include "ztls/proxy/relay.h"

namespace ztls::proxy::test {

struct HarnessOptions {
  const netns::Netns* listenerNetns = nullptr;  // the relay's listener; current if null
  const netns::Netns* upstreamNetns = nullptr;  // the relay's upstream sockets; current if null
  // > 0: SO_RCVBUF on the relay's listener (inherited by what it accepts) and SO_SNDBUF
  // on its upstream sockets, so the kernel holds little and the relay's own buffering
  // shows.
  int kernelBuffer = 0;
  RelayOptions relay;
};

class RelayHarness {
 public:
  RelayHarness(asio::ip::tcp::endpoint upstream, HarnessOptions options = {});
  ~RelayHarness();

  std::uint16_t port() const { return listener_->localEndpoint().port(); }
  // The result of the next relay to finish; throws std::runtime_error after timeout.
  RelayResult nextResult(std::chrono::seconds timeout = std::chrono::seconds(60));

  RelayCounters counters;

 private:
  asio::awaitable<void> handle(asio::ip::tcp::socket downstream);

  const asio::ip::tcp::endpoint upstream_;
  const HarnessOptions options_;
  netns::Netns home_ = netns::Netns::current();
  std::mutex mutex_;
  std::condition_variable finished_;
  std::deque<RelayResult> results_;
  asio::io_context io_;
  std::unique_ptr<Listener> listener_;
  std::thread thread_;
};

}  // namespace ztls::proxy::test
