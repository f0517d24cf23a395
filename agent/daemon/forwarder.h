// The per-connection data path of this issue: plain TCP relays, inbound to the app
// from inside its pod, outbound to the original destination (a Service cluster IP is
// resolved to one endpoint with the agent's own snapshot).
#pragma once

#include <atomic>
#include <memory>

#include "daemon/config_source.h"
#include "daemon/connection_table.h"
#include "daemon/pod_context.h"
#include "ztls/bpf/capture.h"
#include "ztls/proxy/asio.h"
#include "ztls/proxy/counters.h"

namespace ztls::daemon {

struct DataPathCounters {
  // Listener and upstream-connect failures per direction; relays count into their
  // connection's own record in `connections`.
  proxy::RelayCounters inbound;
  proxy::RelayCounters outbound;
  ConnectionTable connections;
  std::atomic<std::uint64_t> outboundWithoutDestination{0};
  std::atomic<std::uint64_t> serviceWithoutEndpoints{0};
  std::atomic<std::uint64_t> loopsRefused{0};
};

class Forwarder {
 public:
  Forwarder(ConfigSource& config, bpf::Capture& capture, DataPathCounters& counters)
      : config_(config), capture_(capture), counters_(counters) {}

  asio::awaitable<void> inbound(std::shared_ptr<const PodContext> pod,
                                asio::ip::tcp::socket downstream);
  asio::awaitable<void> outbound(std::shared_ptr<const PodContext> pod,
                                 asio::ip::tcp::socket downstream);

 private:
  // A cluster IP:port becomes one endpoint's pod IP:targetPort; anything else as is.
  std::optional<asio::ip::tcp::endpoint> resolve(const asio::ip::tcp::endpoint& original);

  ConfigSource& config_;
  bpf::Capture& capture_;
  DataPathCounters& counters_;
  std::atomic<std::uint64_t> roundRobin_{0};
};

}  // namespace ztls::daemon
