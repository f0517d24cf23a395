#include "ztls/metrics/agent_metrics.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace ztls::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Istio's labels, in the relative order ztunnel writes them.
Labels istioLabels(const TrafficLabels& labels) {
  return {{"reporter", labels.reporter},
          {"source_workload", labels.sourceWorkload},
          {"source_workload_namespace", labels.sourceWorkloadNamespace},
          {"source_principal", labels.sourcePrincipal},
          {"destination_workload", labels.destinationWorkload},
          {"destination_workload_namespace", labels.destinationWorkloadNamespace},
          {"destination_principal", labels.destinationPrincipal},
          {"request_protocol", labels.requestProtocol},
          {"connection_security_policy", labels.connectionSecurityPolicy}};
}

ClientMetric counter(Labels labels, std::uint64_t value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = static_cast<double>(value);
  return metric;
}

ClientMetric gauge(Labels labels, std::uint64_t value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = static_cast<double>(value);
  return metric;
}

MetricFamily trafficFamily(const TrafficByLabels& traffic, std::string name, std::string help,
                           std::uint64_t TrafficCounts::*field) {
  MetricFamily family{std::move(name), std::move(help), MetricType::Counter, {}};
  for (const auto& [labels, counts] : traffic) {
    family.metric.push_back(counter(istioLabels(labels), counts.*field));
  }
  return family;
}

// One sample per direction, each with `extra` labels after "direction".
void addPerDirection(MetricFamily& family, const PerDirection& values, const Labels& extra = {}) {
  for (const auto& [direction, value] :
       {std::pair{"inbound", values.inbound}, std::pair{"outbound", values.outbound}}) {
    Labels labels{{"direction", direction}};
    labels.insert(labels.end(), extra.begin(), extra.end());
    family.metric.push_back(family.type == MetricType::Gauge ? gauge(std::move(labels), value)
                                                             : counter(std::move(labels), value));
  }
}

MetricFamily byReason(std::string name, std::string help,
                      const std::vector<std::pair<std::string, std::uint64_t>>& reasons) {
  MetricFamily family{std::move(name), std::move(help), MetricType::Counter, {}};
  for (const auto& [reason, value] : reasons)
    family.metric.push_back(counter({{"reason", reason}}, value));
  return family;
}

MetricFamily single(std::string name, std::string help, MetricType type, std::uint64_t value) {
  MetricFamily family{std::move(name), std::move(help), type, {}};
  family.metric.push_back(type == MetricType::Gauge ? gauge({}, value) : counter({}, value));
  return family;
}

}  // namespace

std::vector<MetricFamily> metricFamilies(const AgentMetrics& metrics) {
  std::vector<MetricFamily> families;
  const auto& traffic = metrics.traffic;
  families.push_back(trafficFamily(traffic, "istio_tcp_connections_opened_total",
                                   "The total number of TCP connections opened",
                                   &TrafficCounts::opened));
  families.push_back(trafficFamily(traffic, "istio_tcp_connections_closed_total",
                                   "The total number of TCP connections closed",
                                   &TrafficCounts::closed));
  families.push_back(
      trafficFamily(traffic, "istio_tcp_sent_bytes_total",
                    "Bytes sent during response (destination to source) on TCP connections",
                    &TrafficCounts::sentBytes));
  families.push_back(
      trafficFamily(traffic, "istio_tcp_received_bytes_total",
                    "Bytes received during request (source to destination) on TCP connections",
                    &TrafficCounts::receivedBytes));

  PerDirection active;
  for (const auto& [labels, counts] : traffic) {
    (labels.reporter == "source" ? active.outbound : active.inbound) +=
        counts.opened - counts.closed;
  }
  MetricFamily activeFamily{
      "ztls_active_connections", "Connections the agent relays right now", MetricType::Gauge, {}};
  addPerDirection(activeFamily, active);
  families.push_back(std::move(activeFamily));
  families.push_back(single("ztls_handshake_failures_total",
                            "Mutual TLS handshakes that failed, either direction",
                            MetricType::Counter, metrics.handshakeFailures));
  families.push_back(single("ztls_resumed_handshakes_total",
                            "Mutual TLS handshakes that resumed a session from a ticket instead of "
                            "exchanging certificates, either direction",
                            MetricType::Counter, metrics.resumedHandshakes));
  families.push_back(single("ztls_kernel_tls_handoffs_total",
                            "Mutual TLS sessions whose record layer was handed to kernel TLS",
                            MetricType::Counter, metrics.kernelTlsHandoffs));
  families.push_back(byReason("ztls_kernel_tls_fallbacks_total",
                              "Mutual TLS sessions kept in userspace although the kernel offers "
                              "TLS, by reason",
                              metrics.kernelTlsFallbacks));
  families.push_back(byReason("ztls_policy_rejections_total",
                              "Connections refused by policy: strict (plaintext to a STRICT "
                              "port), authorization (AuthorizationPolicy), client_policy "
                              "(TLS origination the agent cannot do safely)",
                              {{"strict", metrics.strictRejections},
                               {"authorization", metrics.authorizationDenials},
                               {"client_policy", metrics.clientPolicyDenials}}));
  families.push_back(byReason("ztls_refused_connections_total",
                              "Outbound connections refused for want of a safe destination",
                              {{"no_original_destination", metrics.withoutOriginalDestination},
                               {"no_endpoints", metrics.serviceWithoutEndpoints},
                               {"loop", metrics.loopsRefused}}));
  MetricFamily connectFailures{"ztls_upstream_connect_failures_total",
                               "Upstream connects the agent could not complete",
                               MetricType::Counter,
                               {}};
  addPerDirection(connectFailures, metrics.upstreamConnectErrors, {{"reason", "error"}});
  addPerDirection(connectFailures, metrics.upstreamConnectTimeouts, {{"reason", "timeout"}});
  families.push_back(std::move(connectFailures));
  families.push_back(byReason("ztls_kernel_verdicts_total",
                              "Verdicts of the eBPF capture programs since their maps were "
                              "pinned (survives agent restarts)",
                              metrics.kernelVerdicts));
  families.push_back(single("ztls_captured_pods", "Pods this agent captures", MetricType::Gauge,
                            metrics.capturedPods));
  families.push_back(single("ztls_workload_certificates", "Workload certificates this agent holds",
                            MetricType::Gauge, metrics.workloadCertificates));
  families.push_back(single("ztls_config_generation",
                            "Config snapshots loaded since the agent started", MetricType::Gauge,
                            metrics.configGeneration));
  return families;
}

std::vector<MetricFamily> AgentCollector::Collect() const {
  // The exposer calls this on a civetweb thread: nothing may escape.
  try {
    return metricFamilies(read_());
  } catch (const std::exception& error) {
    spdlog::error("metrics scrape failed: {}", error.what());
  } catch (...) {
    spdlog::error("metrics scrape failed");
  }
  return {};
}

}  // namespace ztls::metrics
