#include "daemon/node_agent.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <set>

#include "ztls/api/error.h"
#include "ztls/bpf/address.h"
#include "ztls/bpf/verdict.h"
#include "ztls/identity/local_ca.h"
#include "ztls/netns/sockets.h"
#include "ztls/policy/peer_authn.h"
#include "ztls/policy/policy_summary.h"

namespace ztls::daemon {
namespace {

std::optional<std::string> firstIpv4(const std::vector<std::string>& ips) {
  for (const auto& ip : ips) {
    in_addr parsed{};
    if (inet_pton(AF_INET, ip.c_str(), &parsed) == 1) return ip;
  }
  return std::nullopt;
}

sockaddr_storage storageOf(const std::string& ip) {
  sockaddr_storage storage{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, ip.c_str(), &v4.sin_addr);
  return storage;
}

netns::SocketAddress loopback(std::uint16_t port) {
  return *netns::SocketAddress::parse(fmt::format("127.0.0.1:{}", port));
}

std::string key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

}  // namespace

struct NodeAgent::CapturedPod {
  std::shared_ptr<const PodContext> context;
  ztls_inbound_key inboundKey{};
  std::unique_ptr<proxy::Listener> inbound;
  std::unique_ptr<proxy::Listener> outbound;
  std::unique_ptr<proxy::Listener> outbound6;  // connect6 redirects to [::1]
  std::string reason;
};

NodeAgent::NodeAgent(AgentOptions options, asio::any_io_executor executor)
    : options_(std::move(options)),
      executor_(std::move(executor)),
      kernelTls_(options_.kernelTls ? tls::probeKernelTls() : tls::KernelTlsSupport{}),
      config_(options_.configDir, options_.mesh),
      capture_(bpf::Capture::open(options_.pinDir)),
      identity_(std::make_shared<identity::LocalCa>(
                    identity::LocalCa::openOrCreate(options_.caDir, options_.mesh.trustDomain)),
                options_.mesh.trustDomain, kernelTls_.available()),
      forwarder_(config_, capture_, identity_, counters_, kernelTls_, options_.timeouts,
                 options_.accessLogFormat),
      registry_(options_.stateDir / "pods.json") {
  capture_.attachCgroup(options_.podCgroup);
  if (!options_.kernelTls) {
    spdlog::info("kernel TLS: off (--kernel-tls off); sessions stay in userspace");
  } else if (kernelTls_.available()) {
    std::vector<std::string_view> names;
    for (const auto cipher : kernelTls_.ciphers) names.push_back(tls::toString(cipher));
    spdlog::info("kernel TLS: available for {}{}", fmt::join(names, ", "),
                 kernelTls_.problem.empty() ? "" : " (" + kernelTls_.problem + ")");
  } else {
    spdlog::info("kernel TLS: unavailable, sessions stay in userspace: {}", kernelTls_.problem);
  }
  // Metric labels name workloads by their owner, which only the snapshot knows.
  counters_.connections.setSnapshotSource([this] { return config_.snapshot(); });
}

NodeAgent::~NodeAgent() { shutdown(); }

void NodeAgent::start() {
  std::lock_guard lock(mutex_);
  config_.refresh(true);
  registry_.load();
  // Namespaces still enrolled in the pinned maps but unknown to the registry belong to
  // pods that went away while no agent ran.
  std::set<std::uint64_t> known;
  for (const auto& pod : registry_.pods()) {
    try {
      known.insert(netns::Netns::open(pod.netnsPath).cookie());
    } catch (const std::exception&) {
    }
  }
  for (const std::uint64_t cookie : capture_.enrolledNetns()) {
    if (!known.contains(cookie)) capture_.releaseNetns(cookie);
  }
  reconcileLocked();
}

void NodeAgent::tick() {
  // Half-life rotation; connections keep the certificate they started with.
  if (const std::size_t rotated =
          identity_.certificates().rotateDue(std::chrono::system_clock::now());
      rotated > 0) {
    spdlog::info("rotated {} workload certificates", rotated);
  }
  if (!config_.refresh()) return;
  {
    std::lock_guard lock(mutex_);
    reconcileLocked();
  }
  counters_.connections.enforce(*config_.snapshot());
}

void NodeAgent::retainIdentitiesLocked() {
  const auto snapshot = config_.snapshot();
  std::set<identity::SpiffeId> wanted;
  for (const auto& [key, pod] : captured_) {
    const auto* workload = snapshot->findWorkload(pod->context->namespace_, pod->context->name);
    if (workload == nullptr) continue;
    if (const auto id = identity::SpiffeId::parse(workload->identity)) wanted.insert(*id);
  }
  identity_.retain(wanted);
  // Issue certificates and build contexts now, as ztunnel fetches certificates when a
  // workload appears: a pod's first connection must not also pay for its identity (on a
  // slow machine that alone can outlast the handshake timeout). Cached: cheap when done.
  for (const auto& id : wanted) {
    try {
      identity_.serverContext(id);
      identity_.clientContext(id);
    } catch (const std::exception& failure) {
      spdlog::error("no certificate for {} yet: {}", id.uri(), failure.what());
    }
  }
}

void NodeAgent::shutdown() {
  std::lock_guard lock(mutex_);
  for (auto& [name, pod] : captured_) {
    pod->inbound.reset();
    pod->outbound.reset();
    pod->outbound6.reset();
  }
  captured_.clear();
}

std::vector<HandedOverConnection> NodeAgent::pauseKernelRelays(std::chrono::milliseconds limit) {
  // On the data path's thread: relays are only ever touched there.
  auto pause = [this, limit]() -> asio::awaitable<std::vector<HandedOverConnection>> {
    std::vector<std::shared_ptr<ConnectionRecord>> pausing;
    for (auto& record : counters_.connections.liveRecords()) {
      if (record->pause && record->pause->request()) pausing.push_back(std::move(record));
    }
    const auto settled = [&pausing] {
      return std::all_of(pausing.begin(), pausing.end(), [](const auto& record) {
        const auto state = record->pause->state();
        return state == tls::KernelRelayPause::State::kPaused ||
               state == tls::KernelRelayPause::State::kEnded;
      });
    };
    asio::steady_timer timer(executor_);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!settled() && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(1));
      co_await timer.async_wait(asio::use_awaitable);
    }
    std::vector<HandedOverConnection> paused;
    for (const auto& record : pausing) {
      if (record->pause->state() != tls::KernelRelayPause::State::kPaused) continue;
      paused.push_back({record, std::move(*record->pause->paused())});
    }
    co_return paused;
  };
  std::promise<std::vector<HandedOverConnection>> promise;
  auto future = promise.get_future();
  asio::co_spawn(
      executor_, pause(),
      [&promise](const std::exception_ptr& error, std::vector<HandedOverConnection> paused) {
        if (error) {
          promise.set_exception(error);
        } else {
          promise.set_value(std::move(paused));
        }
      });
  return future.get();
}

void NodeAgent::adopt(std::vector<HandedOverConnection> connections) {
  for (auto& connection : connections) {
    auto& record = connection.record;
    constexpr std::string_view kHandedOver = "; handed over by the previous agent";
    if (!record->reason.ends_with(kHandedOver)) record->reason += kHandedOver;
    record->pause = std::make_shared<tls::KernelRelayPause>();
    // As for connections accepted here: a new policy can still end it.
    if (record->direction == "inbound") record->killFd = ::dup(connection.relay.tls.get());
    counters_.connections.open(record);
    counters_.kernelTlsTakenOver.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("{} {} -> {}: resumed ({} bytes up, {} bytes down so far)", record->direction,
                 record->source.address, record->destination.address,
                 record->counters.bytesDownstreamToUpstream.load(),
                 record->counters.bytesUpstreamToDownstream.load());
    asio::co_spawn(executor_, forwarder_.resume(record, std::move(connection.relay)),
                   asio::detached);
  }
}

std::uint64_t NodeAgent::liveConnections() const {
  return counters_.connections.liveRecords().size();
}

NodeAgent::Decision NodeAgent::decide(const policy::Snapshot& snapshot,
                                      const api::AddPodRequest& pod) const {
  const policy::Workload* workload = snapshot.findWorkload(pod.namespace_, pod.name);
  if (workload != nullptr && workload->kind == config::Kind::kPod) {
    return {workload->enrolled, workload->enrollmentReason};
  }
  // The pod is not in the config yet: decide from its namespace, and capture when in
  // doubt; a wrongly captured pod is relayed, a wrongly skipped one is unprotected.
  const config::Namespace* ns = snapshot.findNamespace(pod.namespace_);
  if (ns != nullptr) {
    const auto mode = ns->meta.labels.find(std::string(policy::kDataplaneModeLabel));
    if (mode != ns->meta.labels.end() && mode->second == policy::kDataplaneModeAmbient) {
      return {true, fmt::format("namespace {} has {}={} (pod not in the config yet)",
                                pod.namespace_, policy::kDataplaneModeLabel, mode->second)};
    }
  }
  return {false, fmt::format("namespace {} is not labelled {}={}", pod.namespace_,
                             policy::kDataplaneModeLabel, policy::kDataplaneModeAmbient)};
}

void NodeAgent::reconcileLocked() {
  const auto snapshot = config_.snapshot();
  for (const auto& pod : registry_.pods()) {
    const Decision decision = decide(*snapshot, pod);
    const std::string podKey = key(pod.namespace_, pod.name);
    const bool captured = captured_.contains(podKey);
    try {
      if (decision.enrolled && !captured) {
        captureLocked(pod);
        captured_[podKey]->reason = decision.reason;
      } else if (!decision.enrolled && captured) {
        spdlog::info("releasing pod {}: {}", podKey, decision.reason);
        releaseLocked(podKey);
      }
    } catch (const std::exception& error) {
      spdlog::error("pod {}: {}", podKey, error.what());
    }
  }
  retainIdentitiesLocked();
}

void NodeAgent::captureLocked(const api::AddPodRequest& pod) {
  const auto ip = firstIpv4(pod.ips);
  if (!ip) {
    throw api::ApiError(api::ErrorKind::kInvalidArgument,
                        fmt::format("pod {}/{} has no IPv4 address", pod.namespace_, pod.name));
  }
  auto context = std::make_shared<PodContext>(
      PodContext{pod.namespace_, pod.name, *ip, netns::Netns::open(pod.netnsPath)});
  auto entry = std::make_unique<CapturedPod>();
  entry->context = context;
  entry->inboundKey = *bpf::inboundKeyOf(storageOf(*ip));

  const int inboundFd = netns::makeListener(context->netns, loopback(kInboundListenerPort), 1024);
  int outboundFd = -1;
  try {
    outboundFd = netns::makeListener(context->netns, loopback(ZTLS_OUTBOUND_PORT), 1024);
    capture_.setInboundListener(entry->inboundKey, inboundFd);
  } catch (...) {
    ::close(inboundFd);
    if (outboundFd >= 0) ::close(outboundFd);
    throw;
  }
  std::error_code error;
  entry->inbound = proxy::Listener::adopt(
      executor_, inboundFd,
      [this, context](asio::ip::tcp::socket socket) {
        return forwarder_.inbound(context, std::move(socket));
      },
      counters_.inbound, error);
  if (!entry->inbound) {
    ::close(outboundFd);
    throw std::system_error(error, "inbound listener");
  }
  entry->outbound = proxy::Listener::adopt(
      executor_, outboundFd,
      [this, context](asio::ip::tcp::socket socket) {
        return forwarder_.outbound(context, std::move(socket));
      },
      counters_.outbound, error);
  if (!entry->outbound) throw std::system_error(error, "outbound listener");
  // IPv6 connects are redirected to [::1]. A pod without IPv6 loopback gets no listener
  // there, and its IPv6 connects are refused: fail-closed either way.
  try {
    const int outbound6Fd = netns::makeListener(
        context->netns, *netns::SocketAddress::parse(fmt::format("[::1]:{}", ZTLS_OUTBOUND_PORT)),
        1024);
    entry->outbound6 = proxy::Listener::adopt(
        executor_, outbound6Fd,
        [this, context](asio::ip::tcp::socket socket) {
          return forwarder_.outbound(context, std::move(socket));
        },
        counters_.outbound, error);
  } catch (const std::exception& failure) {
    spdlog::warn("pod {}: no IPv6 outbound listener ({}); its IPv6 connects will be refused",
                 context->qualifiedName(), failure.what());
  }
  capture_.enrollNetns(context->netns.cookie(), context->netns.fd());
  spdlog::info("captured pod {} ({}, netns cookie {})", context->qualifiedName(), *ip,
               context->netns.cookie());
  captured_[key(pod.namespace_, pod.name)] = std::move(entry);
}

void NodeAgent::releaseLocked(const std::string& podKey) {
  const auto found = captured_.find(podKey);
  if (found == captured_.end()) return;
  CapturedPod& pod = *found->second;
  capture_.releaseNetns(pod.context->netns.cookie());
  capture_.clearInboundListener(pod.inboundKey);
  captured_.erase(found);
}

api::AddPodResult NodeAgent::addPod(const api::AddPodRequest& request) {
  if (request.namespace_.empty() || request.name.empty() || request.netnsPath.empty()) {
    throw api::ApiError(api::ErrorKind::kInvalidArgument,
                        "AddPod needs the pod's namespace, name and netns path");
  }
  std::lock_guard lock(mutex_);
  config_.refresh(true);
  const std::string podKey = key(request.namespace_, request.name);
  if (captured_.contains(podKey)) releaseLocked(podKey);  // re-added: start afresh
  registry_.add(request);
  const Decision decision = decide(*config_.snapshot(), request);
  if (decision.enrolled) {
    captureLocked(request);
    captured_[podKey]->reason = decision.reason;
    retainIdentitiesLocked();  // the pod starts with its certificate issued
  }
  spdlog::info("pod {} added: {} ({})", podKey, decision.enrolled ? "captured" : "not captured",
               decision.reason);
  return {decision.enrolled, decision.reason};
}

bool NodeAgent::removePod(const api::RemovePodRequest& request) {
  std::lock_guard lock(mutex_);
  const std::string podKey = key(request.namespace_, request.name);
  const bool wasEnrolled = captured_.contains(podKey);
  releaseLocked(podKey);
  registry_.remove(request.namespace_, request.name);
  spdlog::info("pod {} removed", podKey);
  return wasEnrolled;
}

std::vector<api::Workload> NodeAgent::listWorkloads(const std::string& namespace_) {
  std::lock_guard lock(mutex_);
  const auto snapshot = config_.snapshot();
  std::vector<api::Workload> workloads;
  for (const auto& pod : registry_.pods()) {
    if (!namespace_.empty() && pod.namespace_ != namespace_) continue;
    api::Workload workload;
    workload.namespace_ = pod.namespace_;
    workload.name = pod.name;
    workload.ips = pod.ips;
    workload.nodeName = options_.nodeName;
    workload.netnsPath = pod.netnsPath;
    const auto captured = captured_.find(key(pod.namespace_, pod.name));
    workload.enrolled = captured != captured_.end();
    workload.enrollmentReason = decide(*snapshot, pod).reason;
    if (const auto* known = snapshot->findWorkload(pod.namespace_, pod.name)) {
      workload.serviceAccount = known->serviceAccount;
      if (workload.enrolled) workload.identity = known->identity;
      const auto effective = policy::effectivePeerAuthn(*snapshot, *known);
      for (const auto& port : known->ports) {
        workload.ports.push_back(
            {port.port, std::string(config::mtlsModeName(effective.forPort(port.port).mode))});
      }
    }
    workloads.push_back(std::move(workload));
  }
  return workloads;
}

std::vector<api::PolicyInfo> NodeAgent::listPolicies(const std::string& namespace_) {
  std::lock_guard lock(mutex_);
  const auto snapshot = config_.snapshot();
  std::vector<const policy::Workload*> here;
  for (const auto& pod : registry_.pods()) {
    if (const auto* known = snapshot->findWorkload(pod.namespace_, pod.name)) {
      here.push_back(known);
    }
  }
  std::vector<api::PolicyInfo> policies;
  for (auto& summary : policy::summarizePolicies(*snapshot, here)) {
    if (!namespace_.empty() && summary.namespace_ != namespace_) continue;
    policies.push_back({std::move(summary.kind), std::move(summary.namespace_),
                        std::move(summary.name), std::move(summary.scope),
                        std::move(summary.settings), std::move(summary.workloads),
                        std::move(summary.note)});
  }
  return policies;
}

std::vector<api::CertificateInfo> NodeAgent::listCertificates() {
  const auto unixSeconds = [](std::chrono::system_clock::time_point when) {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
  };
  const std::string root = identity_.rootFingerprint();
  std::vector<api::CertificateInfo> certificates;
  for (const auto& certified : identity_.certificates().all()) {
    certificates.push_back({certified->id.uri(), certified->serialHex,
                            unixSeconds(certified->notBefore), unixSeconds(certified->notAfter),
                            unixSeconds(certified->renewAt()), root});
  }
  return certificates;
}

std::vector<api::ConnectionInfo> NodeAgent::listConnections() {
  return counters_.connections.list();
}

api::AgentStatus NodeAgent::status() {
  api::AgentStatus status;
  status.nodeName = options_.nodeName;
  status.version = "0.1.0";
  status.uptimeSeconds = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count());
  status.configGeneration = config_.generation();
  {
    std::lock_guard lock(mutex_);
    status.enrolledPods = captured_.size();
  }
  const auto in = counters_.connections.totals("inbound");
  const auto out = counters_.connections.totals("outbound");
  const auto inFailures = counters_.inbound.snapshot();
  const auto outFailures = counters_.outbound.snapshot();
  status.connections.opened = in.connectionsOpened + out.connectionsOpened;
  status.connections.active = in.connectionsActive + out.connectionsActive;
  status.connections.closed = in.connectionsClosed + out.connectionsClosed;
  status.connections.bytesInbound = in.bytesDownstreamToUpstream + in.bytesUpstreamToDownstream;
  status.connections.bytesOutbound = out.bytesDownstreamToUpstream + out.bytesUpstreamToDownstream;
  status.connections.errors =
      in.errors + out.errors + in.resets + out.resets + inFailures.connectFailures +
      outFailures.connectFailures + inFailures.acceptErrors + outFailures.acceptErrors +
      counters_.outboundWithoutDestination + counters_.serviceWithoutEndpoints;
  const auto verdicts = capture_.verdictCounters();
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    status.bpfVerdicts[bpf::verdictReasonName(static_cast<ztls_verdict_reason>(i))] = verdicts[i];
  }
  status.bpfVerdicts["agent_handshake_failures"] = counters_.handshakeFailures;
  status.bpfVerdicts["agent_resumed_handshakes"] = counters_.resumedHandshakes;
  status.bpfVerdicts["agent_strict_rejections"] = counters_.strictRejections;
  status.bpfVerdicts["agent_authorization_denials"] = counters_.authorizationDenials;
  status.bpfVerdicts["agent_client_policy_denials"] = counters_.clientPolicyDenials;
  if (const std::string error = config_.lastError(); !error.empty()) {
    status.problems.push_back("config rejected (previous snapshot in use): " + error);
  }
  if (counters_.outboundWithoutDestination > 0) {
    status.problems.push_back(fmt::format("{} outbound connections had no recorded destination",
                                          counters_.outboundWithoutDestination.load()));
  }
  status.kernelTls = kernelTlsStatus();
  return status;
}

api::KernelTlsStatus NodeAgent::kernelTlsStatus() const {
  api::KernelTlsStatus out;
  out.state = !options_.kernelTls ? "off" : kernelTls_.available() ? "active" : "unavailable";
  out.detail = options_.kernelTls ? kernelTls_.problem : "switched off (--kernel-tls off)";
  for (const auto cipher : kernelTls_.ciphers) out.ciphers.emplace_back(tls::toString(cipher));
  out.handoffs = counters_.kernelTlsHandoffs;
  out.takenOver = counters_.kernelTlsTakenOver;
  for (std::size_t i = 0; i < counters_.kernelTlsFallbacks.size(); ++i) {
    if (const auto count = counters_.kernelTlsFallbacks[i].load(); count > 0) {
      out.fallbacks[std::string(tls::reasonName(static_cast<tls::HandoffRefusal>(i)))] = count;
    }
  }
  return out;
}

metrics::AgentMetrics NodeAgent::scrapeMetrics() {
  metrics::AgentMetrics scraped;
  scraped.traffic = counters_.connections.traffic();
  scraped.handshakeFailures = counters_.handshakeFailures;
  scraped.resumedHandshakes = counters_.resumedHandshakes;
  scraped.strictRejections = counters_.strictRejections;
  scraped.authorizationDenials = counters_.authorizationDenials;
  scraped.clientPolicyDenials = counters_.clientPolicyDenials;
  scraped.withoutOriginalDestination = counters_.outboundWithoutDestination;
  scraped.serviceWithoutEndpoints = counters_.serviceWithoutEndpoints;
  scraped.loopsRefused = counters_.loopsRefused;
  const auto inbound = counters_.inbound.snapshot();
  const auto outbound = counters_.outbound.snapshot();
  scraped.upstreamConnectErrors = {inbound.connectFailures, outbound.connectFailures};
  scraped.upstreamConnectTimeouts = {inbound.connectTimeouts, outbound.connectTimeouts};
  try {
    const auto verdicts = capture_.verdictCounters();
    for (std::size_t i = 0; i < verdicts.size(); ++i) {
      scraped.kernelVerdicts.emplace_back(
          bpf::verdictReasonName(static_cast<ztls_verdict_reason>(i)), verdicts[i]);
    }
  } catch (const std::exception& error) {
    // The other families are still worth a scrape.
    spdlog::warn("metrics: kernel verdict counters unreadable: {}", error.what());
  }
  {
    std::lock_guard lock(mutex_);
    scraped.capturedPods = captured_.size();
  }
  scraped.workloadCertificates = identity_.certificates().all().size();
  const api::KernelTlsStatus kernelTls = kernelTlsStatus();
  scraped.kernelTlsHandoffs = kernelTls.handoffs;
  scraped.kernelTlsFallbacks.assign(kernelTls.fallbacks.begin(), kernelTls.fallbacks.end());
  scraped.configGeneration = config_.generation();
  return scraped;
}

metrics::Readiness NodeAgent::readiness() {
  metrics::ReadinessFacts facts;
  facts.configGeneration = config_.generation();
  facts.configError = config_.lastError();
  facts.meshRootLoaded = !identity_.rootFingerprint().empty();
  std::set<identity::SpiffeId> wanted;
  {
    std::lock_guard lock(mutex_);
    const auto snapshot = config_.snapshot();
    for (const auto& [podKey, pod] : captured_) {
      const auto* workload = snapshot->findWorkload(pod->context->namespace_, pod->context->name);
      if (workload == nullptr) continue;
      if (const auto id = identity::SpiffeId::parse(workload->identity)) wanted.insert(*id);
    }
  }
  // Outside the lock: issuing takes a moment. A certificate issued here is the one the
  // next handshake uses.
  for (const auto& id : wanted) {
    try {
      identity_.certificates().get(id);
    } catch (const std::exception& error) {
      facts.certificateFailures.push_back(id.uri() + ": " + error.what());
    }
  }
  return metrics::judgeReadiness(facts);
}

}  // namespace ztls::daemon
