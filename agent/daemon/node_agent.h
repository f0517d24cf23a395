// One node's agent: owns the eBPF capture, the policy snapshot source, the pods the CNI
// plugin announced, and their listeners; answers the API (AddPod, RemovePod, ...).
//
// Enrollment follows the snapshot live: a pod is captured while its namespace (or
// itself) carries istio.io/dataplane-mode=ambient, and released when that goes away,
// without restarting it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/config_source.h"
#include "daemon/forwarder.h"
#include "daemon/handover.h"
#include "daemon/pod_registry.h"
#include "ztls/api/backend.h"
#include "ztls/bpf/capture.h"
#include "ztls/metrics/agent_metrics.h"
#include "ztls/metrics/readiness.h"
#include "ztls/proxy/listener.h"
#include "ztls/tls/kernel_tls.h"

namespace ztls::daemon {

struct AgentOptions {
  std::string nodeName;
  std::filesystem::path configDir;
  std::filesystem::path socketPath;
  std::filesystem::path pinDir;
  std::filesystem::path podCgroup;
  std::filesystem::path stateDir;
  std::filesystem::path caDir;  // the mesh root every node trusts (created on first use)
  policy::MeshConfig mesh;
  Forwarder::Timeouts timeouts;
  AccessLogFormat accessLogFormat = AccessLogFormat::kText;
  // Hand established mesh sessions to kernel TLS when the kernel offers it (probed at
  // start); off keeps every session in userspace.
  bool kernelTls = true;
};

class NodeAgent : public api::AgentBackend {
 public:
  NodeAgent(AgentOptions options, asio::any_io_executor executor);
  ~NodeAgent() override;

  // Re-captures the pods saved by a previous run. Call once, before serving the API.
  void start();
  // Called periodically: reload config, follow enrollment changes.
  void tick();
  // Closes every listener (so the kernel refuses new connections: fail-closed) but
  // keeps enrollment pinned, ready for the next agent.
  void shutdown();

  // The hand-over to a successor (handover.h), after shutdown(): pauses every kernel TLS
  // relay that can stop cleanly now, waiting at most `limit`, and returns them.
  std::vector<HandedOverConnection> pauseKernelRelays(std::chrono::milliseconds limit);
  // Lists and resumes the connections a previous agent handed over. After start().
  void adopt(std::vector<HandedOverConnection> connections);
  // Connections relayed here now.
  std::uint64_t liveConnections() const;

  api::AddPodResult addPod(const api::AddPodRequest& request) override;
  bool removePod(const api::RemovePodRequest& request) override;
  std::vector<api::Workload> listWorkloads(const std::string& namespace_) override;
  api::AgentStatus status() override;
  std::vector<api::ConnectionInfo> listConnections() override;
  std::vector<api::CertificateInfo> listCertificates() override;
  std::vector<api::PolicyInfo> listPolicies(const std::string& namespace_) override;

  // For the HTTP endpoints (metrics::AgentCollector, metrics::ReadinessEndpoint); safe
  // from any thread. readiness() may issue the certificates it checks for.
  metrics::AgentMetrics scrapeMetrics();
  metrics::Readiness readiness();
  api::KernelTlsStatus kernelTlsStatus() const;

 private:
  struct CapturedPod;
  struct Decision {
    bool enrolled = false;
    std::string reason;
  };
  Decision decide(const policy::Snapshot& snapshot, const api::AddPodRequest& pod) const;
  // With mutex_ held.
  void reconcileLocked();
  void captureLocked(const api::AddPodRequest& pod);
  void releaseLocked(const std::string& key);
  // Certificates only for service accounts with a captured pod here.
  void retainIdentitiesLocked();

  AgentOptions options_;
  asio::any_io_executor executor_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  // Before identity_ and forwarder_, which are built from it. Empty when switched off.
  tls::KernelTlsSupport kernelTls_;
  ConfigSource config_;
  bpf::Capture capture_;
  MeshIdentity identity_;
  DataPathCounters counters_;
  Forwarder forwarder_;
  std::mutex mutex_;
  PodRegistry registry_;
  std::map<std::string, std::unique_ptr<CapturedPod>> captured_;  // "ns/name"
};

}  // namespace ztls::daemon
