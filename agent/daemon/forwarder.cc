#include "daemon/forwarder.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "daemon/inbound_sniffer.h"
#include "daemon/xfcc.h"
#include "ztls/bpf/address.h"
#include "ztls/identity/spiffe_id.h"
#include "ztls/netns/sockets.h"
#include "ztls/policy/authz.h"
#include "ztls/policy/client_tls.h"
#include "ztls/policy/connection_decision.h"
#include "ztls/policy/peer_authn.h"
#include "ztls/proxy/connect.h"
#include "ztls/proxy/relay.h"
#include "ztls/proxy/socket_ends.h"
#include "ztls/tls/handshake.h"
#include "ztls/tls/relay.h"

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

using proxy::resetAndClose;

// Who is at an address, for logs and `ztlsctl connections`.
api::ConnectionEndpoint describe(const policy::Snapshot& snapshot,
                                 const asio::ip::tcp::endpoint& endpoint) {
  api::ConnectionEndpoint described{toString(endpoint), "", ""};
  if (const auto* workload = snapshot.workloadByIp(endpoint.address().to_string())) {
    described.workload = workload->qualifiedName();
  }
  return described;
}

// A TCP connection from inside the pod's namespace; the socket is closed on failure.
asio::awaitable<std::error_code> connectFrom(const PodContext& pod, asio::ip::tcp::socket& upstream,
                                             const asio::ip::tcp::endpoint& destination,
                                             proxy::RelayCounters& failures) {
  int fd = -1;
  try {
    fd = netns::makeSocket(pod.netns, destination.address().is_v4() ? AF_INET : AF_INET6);
  } catch (const std::exception& error) {
    spdlog::error("cannot create a socket in pod {}: {}", pod.qualifiedName(), error.what());
    failures.connectFailures.fetch_add(1, std::memory_order_relaxed);
    co_return std::make_error_code(std::errc::io_error);
  }
  co_return co_await proxy::connectUpstream(upstream, fd, destination, kConnectTimeout, failures);
}

std::optional<identity::SpiffeId> spiffeIdOf(const policy::Workload& workload) {
  return identity::SpiffeId::parse(workload.identity);
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
  const auto snapshot = config_.snapshot();
  auto record = std::make_shared<ConnectionRecord>();
  record->direction = "inbound";
  record->source = describe(*snapshot, peer);
  record->destination = describe(*snapshot, destination);
  record->destination.workload = pod->qualifiedName();

  const policy::Workload* workload = snapshot->findWorkload(pod->namespace_, pod->name);
  if (workload == nullptr) {
    // Captured, but not (yet) in the config: without its policy nothing may pass.
    accessLog_.rejected(*record, "the destination pod is not in the agent's config");
    resetAndClose(downstream);
    co_return;
  }
  const policy::ModeDecision mode =
      policy::effectivePeerAuthn(*snapshot, *workload).forPort(destination.port());
  const std::string modeName(config::mtlsModeName(mode.mode));

  const SniffOutcome sniffed =
      co_await sniffInbound(downstream, timeouts_.firstBytes, timeouts_.handshake);
  std::optional<tls::TlsSession> session;
  if (sniffed.kind == tls::SniffKind::kMeshTls) {
    const auto serverId = spiffeIdOf(*workload);
    std::shared_ptr<const tls::ServerContext> context;
    try {
      if (serverId) context = identity_.serverContext(*serverId);
    } catch (const std::exception& failure) {
      spdlog::error("no certificate for {}: {}", workload->identity, failure.what());
    }
    if (!context) {
      accessLog_.rejected(*record,
                          "no certificate to terminate mutual TLS as " + workload->identity);
      resetAndClose(downstream);
      co_return;
    }
    auto handshake = co_await tls::acceptMesh(std::move(downstream), context, timeouts_.handshake);
    if (!handshake.ok()) {
      counters_.handshakeFailures.fetch_add(1, std::memory_order_relaxed);
      accessLog_.rejected(*record, "mutual TLS handshake failed (" +
                                       std::string(tls::toString(handshake.error.kind)) +
                                       "): " + handshake.error.reason);
      co_return;
    }
    session = std::move(handshake.session);
    if (session->resumed()) counters_.resumedHandshakes.fetch_add(1, std::memory_order_relaxed);
    record->source.identity = session->peerId();
    record->destination.identity = session->localId();
    record->security = "mutual_tls";
  } else {
    record->security = "plaintext";
    if (mode.mode == config::MtlsMode::kStrict) {
      counters_.strictRejections.fetch_add(1, std::memory_order_relaxed);
      std::string what = std::string(tls::toString(sniffed.kind)) + " traffic";
      if (sniffed.clientFinished) {
        what = "a client that closed before its first bytes could be classified";
      } else if (sniffed.kind == tls::SniffKind::kNeedMore) {
        what = sniffed.anyBytes ? "a client that stalled before its first bytes could be classified"
                                : "a silent client";
      }
      accessLog_.rejected(*record, "STRICT mutual TLS on port " +
                                       std::to_string(destination.port()) + " (" + mode.reason +
                                       ") refuses " + what);
      resetAndClose(downstream);
      co_return;
    }
  }

  policy::ConnectionAttributes attributes;
  if (session) attributes.sourcePrincipal = session->peerId();
  attributes.sourceIp = peer.address().to_string();
  attributes.destinationIp = destination.address().to_string();
  attributes.destinationPort = destination.port();
  const auto policies = policy::authorizationPoliciesFor(*snapshot, *workload);
  const policy::AuthzVerdict verdict = policy::authorize(policies, attributes);
  if (!verdict.allowed) {
    counters_.authorizationDenials.fetch_add(1, std::memory_order_relaxed);
    record->decision = "deny";
    accessLog_.rejected(*record, "AuthorizationPolicy: " + verdict.reason);
    if (session) resetAndClose(session->socket());
    resetAndClose(downstream);
    co_return;
  }
  record->decision = "allow";
  record->reason = (session ? "mutual TLS from " + session->peerId() : std::string("plaintext")) +
                   " accepted on port " + std::to_string(destination.port()) + " in " + modeName +
                   " mode; " + verdict.reason;

  asio::ip::tcp::socket app(session ? session->socket().get_executor() : downstream.get_executor());
  if (co_await connectFrom(*pod, app, destination, counters_.inbound)) {
    accessLog_.rejected(*record, "the app does not accept on " + toString(destination));
    if (session) resetAndClose(session->socket());
    resetAndClose(downstream);
    co_return;
  }
  record->killFd = ::dup(session ? session->socket().native_handle() : downstream.native_handle());
  record->admission = InboundAdmission{pod->namespace_, pod->name, destination.port(),
                                       session.has_value(), attributes};
  std::unique_ptr<tls::PlaintextRewriter> xfcc;
  MeshRelayPlan plan;
  if (session) {
    record->xfcc =
        xfccValue(session->localId(), session->peerCertificateSha256(), session->peerId());
    xfcc = makeXfccRewriter(record->xfcc,
                            record->source.address + " -> " + record->destination.address);
    plan = handOff(std::move(*session), *record);
  } else {
    record->relay = "plain";
  }
  counters_.connections.open(record);
  proxy::RelayResult result;
  if (session) {
    // Named locals only in the co_await: g++ 12 mishandles temporaries there.
    result = co_await relayMesh(std::move(app), std::move(plan), *record, std::move(xfcc));
  } else {
    result = co_await proxy::relay(std::move(downstream), std::move(app), record->counters);
  }
  finish(record, result);
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
  const auto snapshot = config_.snapshot();
  auto record = std::make_shared<ConnectionRecord>();
  record->direction = "outbound";
  record->source = describe(*snapshot, peer);
  record->source.workload = pod->qualifiedName();  // the peer address is loopback
  record->destination = describe(*snapshot, originalEndpoint);

  const auto endpoint = resolve(*snapshot, originalEndpoint);
  if (!endpoint) {
    counters_.serviceWithoutEndpoints.fetch_add(1, std::memory_order_relaxed);
    accessLog_.rejected(*record, "the service has no endpoint");
    resetAndClose(downstream);
    co_return;
  }
  record->destination = describe(*snapshot, *endpoint);

  const policy::Workload* source = snapshot->findWorkload(pod->namespace_, pod->name);
  if (source == nullptr) {
    accessLog_.rejected(*record, "the source pod is not in the agent's config");
    resetAndClose(downstream);
    co_return;
  }
  // The client decision is about the endpoint this connection really goes to.
  policy::Destination destination = policy::resolveDestination(
      *snapshot, pod->namespace_, originalEndpoint.address().to_string(), originalEndpoint.port());
  destination.endpoint = snapshot->workloadByIp(endpoint->address().to_string());
  destination.targetPort = endpoint->port();
  destination.endpointAddress = toString(*endpoint);
  const policy::ClientTlsDecision client =
      policy::clientTlsDecision(*snapshot, *source, destination);

  const bool mutualTls = client.tls == policy::ClientTls::kIstioMutual;
  if (client.tls == policy::ClientTls::kSimple || client.tls == policy::ClientTls::kMutual ||
      (mutualTls && (destination.endpoint == nullptr || !destination.endpoint->enrolled))) {
    counters_.clientPolicyDenials.fetch_add(1, std::memory_order_relaxed);
    record->decision = "deny";
    accessLog_.rejected(
        *record, mutualTls ? "ISTIO_MUTUAL to a destination without an agent: " + client.reason
                           : client.reason);
    resetAndClose(downstream);
    co_return;
  }
  record->decision = "allow";
  record->reason = std::string(policy::clientTlsName(client.tls)) + ": " + client.reason;

  asio::ip::tcp::socket upstream(downstream.get_executor());
  if (co_await connectFrom(*pod, upstream, *endpoint, counters_.outbound)) {
    accessLog_.rejected(*record, "upstream connect to " + toString(*endpoint) + " failed");
    resetAndClose(downstream);
    co_return;
  }
  if (!mutualTls) {
    record->security = "plaintext";
    record->relay = "plain";
    counters_.connections.open(record);
    const auto result =
        co_await proxy::relay(std::move(downstream), std::move(upstream), record->counters);
    finish(record, result);
    co_return;
  }

  const auto sourceId = spiffeIdOf(*source);
  std::shared_ptr<const tls::ClientContext> context;
  try {
    if (sourceId) context = identity_.clientContext(*sourceId);
  } catch (const std::exception& failure) {
    spdlog::error("no certificate for {}: {}", source->identity, failure.what());
  }
  if (!context) {
    accessLog_.rejected(*record, "no certificate to present as " + source->identity);
    resetAndClose(upstream);
    resetAndClose(downstream);
    co_return;
  }
  // The identities this side presents and expects, so that a failed handshake is logged
  // with both; the verified ones replace them below.
  record->source.identity = source->identity;
  record->destination.identity = destination.endpoint->identity;
  auto handshake = co_await tls::connectMesh(std::move(upstream), context,
                                             destination.endpoint->identity, timeouts_.handshake);
  if (!handshake.ok()) {
    counters_.handshakeFailures.fetch_add(1, std::memory_order_relaxed);
    accessLog_.rejected(*record, "mutual TLS handshake failed (" +
                                     std::string(tls::toString(handshake.error.kind)) +
                                     "): " + handshake.error.reason);
    resetAndClose(downstream);
    co_return;
  }
  record->security = "mutual_tls";
  if (handshake.session->resumed()) {
    counters_.resumedHandshakes.fetch_add(1, std::memory_order_relaxed);
  }
  record->source.identity = handshake.session->localId();
  record->destination.identity = handshake.session->peerId();
  MeshRelayPlan plan = handOff(std::move(*handshake.session), *record);
  counters_.connections.open(record);
  std::unique_ptr<tls::PlaintextRewriter> noRewriter;
  const auto result =
      co_await relayMesh(std::move(downstream), std::move(plan), *record, std::move(noRewriter));
  finish(record, result);
}

Forwarder::MeshRelayPlan Forwarder::handOff(tls::TlsSession session, ConnectionRecord& record) {
  MeshRelayPlan plan;
  if (!kernelTls_.available()) {
    record.relay = "userspace";
    plan.session.emplace(std::move(session));
    return plan;
  }
  tls::HandoffResult handoff = tls::handOffToKernel(std::move(session), kernelTls_);
  if (handoff.kernel) {
    counters_.kernelTlsHandoffs.fetch_add(1, std::memory_order_relaxed);
    record.relay = "kernel-tls/splice";
    record.pause = std::make_shared<tls::KernelRelayPause>();
    plan.kernel = std::move(handoff.kernel);
    return plan;
  }
  counters_.kernelTlsFallbacks[static_cast<std::size_t>(handoff.refusal)].fetch_add(
      1, std::memory_order_relaxed);
  const std::string reason(tls::toString(handoff.refusal));
  spdlog::warn("{} {} -> {}: kernel TLS hand-off refused ({}{}); {}", record.direction,
               record.source.address, record.destination.address, reason,
               handoff.error ? ": " + handoff.error.message() : std::string(),
               handoff.session ? "relaying in userspace" : "connection lost");
  record.relay = "userspace (kernel TLS refused: " + reason + ")";
  plan.session = std::move(handoff.session);
  plan.broken = handoff.error;
  return plan;
}

asio::awaitable<proxy::RelayResult> Forwarder::relayMesh(
    asio::ip::tcp::socket plain, MeshRelayPlan plan, ConnectionRecord& record,
    std::unique_ptr<tls::PlaintextRewriter> rewriter) {
  if (plan.kernel) {
    tls::KernelRelayOptions options;
    options.pause = record.pause;
    co_return co_await tls::relayKernelTls(std::move(plain), std::move(*plan.kernel),
                                           record.counters, options, std::move(rewriter));
  }
  if (plan.session) {
    const proxy::RelayOptions options;
    co_return co_await tls::relayTls(std::move(plain), std::move(*plan.session), record.counters,
                                     options, std::move(rewriter));
  }
  // Half installed: neither OpenSSL nor the kernel can carry on. Both peers get a reset.
  resetAndClose(plain);
  proxy::RelayResult broken;
  broken.end = proxy::RelayEnd::kError;
  broken.side = proxy::Side::kRelay;
  broken.error = plan.broken;
  co_return broken;
}

asio::awaitable<void> Forwarder::resume(std::shared_ptr<ConnectionRecord> record,
                                        tls::PausedKernelRelay relay) {
  // The record's counters already hold what the previous agent moved.
  const std::uint64_t upstreamBefore = record->counters.bytesDownstreamToUpstream;
  const std::uint64_t downstreamBefore = record->counters.bytesUpstreamToDownstream;
  tls::KernelRelayOptions options;
  options.pause = record->pause;
  std::unique_ptr<tls::PlaintextRewriter> xfcc;
  if (!record->xfcc.empty()) {
    xfcc = makeXfccRewriter(record->xfcc,
                            record->source.address + " -> " + record->destination.address, true);
  }
  const auto executor = co_await asio::this_coro::executor;
  proxy::RelayResult result = co_await tls::resumeKernelTls(
      executor, std::move(relay), record->counters, options, std::move(xfcc));
  result.bytesDownstreamToUpstream += upstreamBefore;
  result.bytesUpstreamToDownstream += downstreamBefore;
  result.duration = std::chrono::steady_clock::now() - record->started;
  finish(record, result);
}

void Forwarder::finish(const std::shared_ptr<ConnectionRecord>& record,
                       const proxy::RelayResult& result) {
  counters_.connections.close(record);
  accessLog_.closed(*record, result);
}

std::optional<asio::ip::tcp::endpoint> Forwarder::resolve(const policy::Snapshot& snapshot,
                                                          const asio::ip::tcp::endpoint& original) {
  const config::Service* service = snapshot.serviceByClusterIp(original.address().to_string());
  if (service == nullptr) return original;
  for (const auto& port : service->ports) {
    if (port.port != original.port() || port.protocol != "TCP") continue;
    std::vector<asio::ip::tcp::endpoint> endpoints;
    for (const auto* workload : snapshot.endpointsOf(*service)) {
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
