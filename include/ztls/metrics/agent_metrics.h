// Everything the agent exports at /metrics, read from its own counters at scrape time
// (nothing is counted twice on the data path), and its rendering as Prometheus families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ztls/metrics/traffic_labels.h"

namespace ztls::metrics {

struct PerDirection {
  std::uint64_t inbound = 0;
  std::uint64_t outbound = 0;
};

struct AgentMetrics {
  // Closed connections' totals plus the live ones' counters at this moment.
  TrafficByLabels traffic;
  std::uint64_t handshakeFailures = 0;
  std::uint64_t resumedHandshakes = 0;
  // Connections the agent refused by policy.
  std::uint64_t strictRejections = 0;      // non-mesh traffic to a STRICT port
  std::uint64_t authorizationDenials = 0;  // AuthorizationPolicy
  std::uint64_t clientPolicyDenials = 0;   // SIMPLE/MUTUAL origination, mTLS to no agent
  // Connections refused because there was nowhere safe to send them.
  std::uint64_t withoutOriginalDestination = 0;
  std::uint64_t serviceWithoutEndpoints = 0;
  std::uint64_t loopsRefused = 0;
  PerDirection upstreamConnectErrors;
  PerDirection upstreamConnectTimeouts;
  // The kernel programs' verdicts, by reason name, in the ABI's order.
  std::vector<std::pair<std::string, std::uint64_t>> kernelVerdicts;
  // Mesh sessions handed to kernel TLS, and those kept in userspace by reason.
  std::uint64_t kernelTlsHandoffs = 0;
  std::vector<std::pair<std::string, std::uint64_t>> kernelTlsFallbacks;
  std::uint64_t capturedPods = 0;
  std::uint64_t workloadCertificates = 0;
  std::uint64_t configGeneration = 0;
};

std::vector<prometheus::MetricFamily> metricFamilies(const AgentMetrics& metrics);

// Reads the agent at every scrape. A read that throws yields no families (and a log
// line) rather than an exception in the HTTP server's thread.
class AgentCollector : public prometheus::Collectable {
 public:
  explicit AgentCollector(std::function<AgentMetrics()> read) : read_(std::move(read)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<AgentMetrics()> read_;
};

}  // namespace ztls::metrics
