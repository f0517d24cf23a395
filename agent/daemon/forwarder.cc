#include "daemon/forwarder.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstring>

#include "ztls/bpf/address.h"
#include "ztls/netns/sockets.h"
#include "ztls/proxy/connect.h"
#include "ztls/proxy/relay.h"

namespace ztls::daemon {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(5);

std::string toString(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

asio::ip::tcp::endpoint endpointOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &v6.sin6_addr, bytes.size());
    return {asio::ip::address_v6(bytes), ntohs(v6.sin6_port)};
  }
  const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
  return {asio::ip::address_v4(ntohl(v4.sin_addr.s_addr)), ntohs(v4.sin_port)};
}

void resetAndClose(asio::ip::tcp::socket& socket) {
  asio::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// Who is at an address, for logs and `ztlsctl connections`.
api::ConnectionEndpoint describe(const policy::Snapshot& snapshot,
                                 const asio::ip::tcp::endpoint& endpoint) {
  api::ConnectionEndpoint described{toString(endpoint), "", ""};
  if (const auto* workload = snapshot.workloadByIp(endpoint.address().to_string())) {
    described.workload = workload->qualifiedName();
  }
  return described;
}

asio::awaitable<void> relayTo(const PodContext& pod, DataPathCounters& counters,
                              std::shared_ptr<ConnectionRecord> record,
                              asio::ip::tcp::socket downstream,
                              asio::ip::tcp::endpoint destination) {
  proxy::RelayCounters& failures =
      record->direction == "inbound" ? counters.inbound : counters.outbound;
  int fd = -1;
  try {
    fd = netns::makeSocket(pod.netns, destination.address().is_v4() ? AF_INET : AF_INET6);
  } catch (const std::exception& error) {
    spdlog::error("{} {} → {}: cannot create the upstream socket in pod {}: {}", record->direction,
                  record->source.address, toString(destination), pod.qualifiedName(), error.what());
    failures.connectFailures.fetch_add(1, std::memory_order_relaxed);
    resetAndClose(downstream);
    co_return;
  }
  asio::ip::tcp::socket upstream(downstream.get_executor());
  const std::error_code connectError =
      co_await proxy::connectUpstream(upstream, fd, destination, kConnectTimeout, failures);
  if (connectError) {
    spdlog::warn("{} {} → {} for pod {}: upstream connect failed: {}", record->direction,
                 record->source.address, toString(destination), pod.qualifiedName(),
                 connectError.message());
    resetAndClose(downstream);
    co_return;
  }
  counters.connections.open(record);
  const auto result =
      co_await proxy::relay(std::move(downstream), std::move(upstream), record->counters);
  counters.connections.close(record);
  spdlog::info(
      "{} src={} src_workload={} dst={} dst_workload={} security={} bytes_sent={} "
      "bytes_received={} end={} duration_ms={}",
      record->direction, record->source.address, record->source.workload,
      record->destination.address, record->destination.workload, record->security,
      result.bytesDownstreamToUpstream, result.bytesUpstreamToDownstream,
      proxy::toString(result.end),
      std::chrono::duration_cast<std::chrono::milliseconds>(result.duration).count());
}

}  // namespace

asio::awaitable<void> Forwarder::inbound(std::shared_ptr<const PodContext> pod,
                                         asio::ip::tcp::socket downstream) {
  asio::error_code error;
  // sk_lookup hands us the connection with its original destination as local address.
  const auto destination = downstream.local_endpoint(error);
  const auto peer = downstream.remote_endpoint(error);
  if (error) {
    resetAndClose(downstream);
    co_return;
  }
  if (destination.port() == kInboundListenerPort || destination.port() == ZTLS_OUTBOUND_PORT) {
    // Only reachable by dialling the agent's own ports: relaying would loop.
    counters_.loopsRefused.fetch_add(1, std::memory_order_relaxed);
    resetAndClose(downstream);
    co_return;
  }
  auto record = std::make_shared<ConnectionRecord>();
  const auto snapshot = config_.snapshot();
  record->direction = "inbound";
  record->source = describe(*snapshot, peer);
  record->destination = describe(*snapshot, destination);
  record->security = "plaintext";
  record->decision = "allow";
  record->reason = "plaintext relay to the app";
  co_await relayTo(*pod, counters_, std::move(record), std::move(downstream), destination);
}

asio::awaitable<void> Forwarder::outbound(std::shared_ptr<const PodContext> pod,
                                          asio::ip::tcp::socket downstream) {
  asio::error_code error;
  const auto peer = downstream.remote_endpoint(error);
  if (error) {
    resetAndClose(downstream);
    co_return;
  }
  sockaddr_storage peerAddress{};
  std::memcpy(&peerAddress, peer.data(), peer.size());
  const auto original = capture_.takeOriginalDestination(pod->netns.cookie(), peerAddress);
  if (!original) {
    // Not redirected by our program (someone dialled 127.0.0.1:15001 directly), or the
    // record was lost: without a destination there is nothing safe to do.
    counters_.outboundWithoutDestination.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("outbound from pod {} {}: no original destination recorded; refused",
                 pod->qualifiedName(), toString(peer));
    resetAndClose(downstream);
    co_return;
  }
  const auto originalEndpoint = endpointOf(bpf::socketAddressOf(*original));
  const auto destination = resolve(originalEndpoint);
  if (!destination) {
    counters_.serviceWithoutEndpoints.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("outbound from pod {} to {}: the service has no endpoint; refused",
                 pod->qualifiedName(), toString(originalEndpoint));
    resetAndClose(downstream);
    co_return;
  }
  auto record = std::make_shared<ConnectionRecord>();
  const auto snapshot = config_.snapshot();
  record->direction = "outbound";
  record->source = describe(*snapshot, peer);
  record->source.workload = pod->qualifiedName();  // the peer address is loopback
  record->destination = describe(*snapshot, *destination);
  record->security = "plaintext";
  record->decision = "allow";
  record->reason = *destination == originalEndpoint
                       ? "plaintext relay to " + toString(originalEndpoint)
                       : "plaintext relay to an endpoint of " + toString(originalEndpoint);
  co_await relayTo(*pod, counters_, std::move(record), std::move(downstream), *destination);
}

std::optional<asio::ip::tcp::endpoint> Forwarder::resolve(const asio::ip::tcp::endpoint& original) {
  const auto snapshot = config_.snapshot();
  const config::Service* service = snapshot->serviceByClusterIp(original.address().to_string());
  if (service == nullptr) return original;
  for (const auto& port : service->ports) {
    if (port.port != original.port() || port.protocol != "TCP") continue;
    std::vector<asio::ip::tcp::endpoint> endpoints;
    for (const auto* workload : snapshot->endpointsOf(*service)) {
      if (workload->kind != config::Kind::kPod || workload->ips.empty()) continue;
      std::optional<std::uint16_t> target = port.targetPort.number;
      if (port.targetPort.number == 0) target = workload->portNamed(port.targetPort.name);
      if (!target) continue;
      asio::error_code error;
      const auto address = asio::ip::make_address(workload->ips.front(), error);
      if (!error) endpoints.emplace_back(address, *target);
    }
    if (endpoints.empty()) return std::nullopt;
    return endpoints[roundRobin_.fetch_add(1, std::memory_order_relaxed) % endpoints.size()];
  }
  return std::nullopt;
}

}  // namespace ztls::daemon
