// What a scrape of /metrics shows, read back series by series from the text format.
#include "exposition.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <stdexcept>

#include "ztls/metrics/agent_metrics.h"

namespace ztls::metrics {
namespace {

using test::LabelSet;

const Peer kSleep{"foo", "sleep", "spiffe://cluster.local/ns/foo/sa/sleep"};
const Peer kHttpbin{"foo", "httpbin", "spiffe://cluster.local/ns/foo/sa/httpbin"};

const LabelSet kMeshSource{{"reporter", "source"},
                           {"source_workload", "sleep"},
                           {"source_workload_namespace", "foo"},
                           {"source_principal", "spiffe://cluster.local/ns/foo/sa/sleep"},
                           {"destination_workload", "httpbin"},
                           {"destination_workload_namespace", "foo"},
                           {"destination_principal", "spiffe://cluster.local/ns/foo/sa/httpbin"},
                           {"request_protocol", "tcp"},
                           {"connection_security_policy", "mutual_tls"}};

const LabelSet kPlainDestination{{"reporter", "destination"},
                                 {"source_workload", "sleep"},
                                 {"source_workload_namespace", "legacy"},
                                 {"source_principal", "unknown"},
                                 {"destination_workload", "httpbin"},
                                 {"destination_workload_namespace", "foo"},
                                 {"destination_principal", "unknown"},
                                 {"request_protocol", "tcp"},
                                 {"connection_security_policy", "none"}};

AgentMetrics sample() {
  AgentMetrics metrics;
  auto& mesh = metrics.traffic[trafficLabels("outbound", "mutual_tls", kSleep, kHttpbin)];
  mesh.addConnection(true, 80, 500);
  mesh.addConnection(false, 20, 0);
  metrics
      .traffic[trafficLabels("inbound", "plaintext", Peer{"legacy", "sleep", ""},
                             Peer{"foo", "httpbin", ""})]
      .addConnection(true, 90, 400);
  metrics.handshakeFailures = 3;
  metrics.resumedHandshakes = 19;
  metrics.strictRejections = 4;
  metrics.authorizationDenials = 5;
  metrics.clientPolicyDenials = 6;
  metrics.withoutOriginalDestination = 7;
  metrics.serviceWithoutEndpoints = 8;
  metrics.loopsRefused = 9;
  metrics.upstreamConnectErrors = {10, 11};
  metrics.upstreamConnectTimeouts = {12, 13};
  metrics.kernelVerdicts = {{"inbound_steered", 14}, {"outbound_redirected", 15}};
  metrics.kernelTlsHandoffs = 17;
  metrics.kernelTlsFallbacks = {{"cipher_unsupported", 18}};
  metrics.capturedPods = 2;
  metrics.workloadCertificates = 2;
  metrics.configGeneration = 16;
  return metrics;
}

test::Exposition scrape(const AgentMetrics& metrics) {
  return test::parseExposition(prometheus::TextSerializer().Serialize(metricFamilies(metrics)));
}

TEST(Exposition, IstioTcpSeriesCarryExactlyIstiosLabelsPerWorkloadPair) {
  const auto exposition = scrape(sample());
  EXPECT_EQ(exposition.value("istio_tcp_connections_opened_total", kMeshSource), 2);
  EXPECT_EQ(exposition.value("istio_tcp_connections_closed_total", kMeshSource), 1);
  EXPECT_EQ(exposition.value("istio_tcp_received_bytes_total", kMeshSource), 100);
  EXPECT_EQ(exposition.value("istio_tcp_sent_bytes_total", kMeshSource), 500);
  EXPECT_EQ(exposition.value("istio_tcp_connections_opened_total", kPlainDestination), 1);
  EXPECT_EQ(exposition.value("istio_tcp_connections_closed_total", kPlainDestination), 1);
  EXPECT_EQ(exposition.value("istio_tcp_received_bytes_total", kPlainDestination), 90);
  EXPECT_EQ(exposition.value("istio_tcp_sent_bytes_total", kPlainDestination), 400);
  for (const char* name :
       {"istio_tcp_connections_opened_total", "istio_tcp_connections_closed_total",
        "istio_tcp_sent_bytes_total", "istio_tcp_received_bytes_total"}) {
    EXPECT_EQ(exposition.find(name).size(), 2u) << name;
    EXPECT_EQ(exposition.types.at(name), "counter") << name;
  }
}

TEST(Exposition, AgentCountersAppearByReason) {
  const auto exposition = scrape(sample());
  EXPECT_EQ(exposition.value("ztls_handshake_failures_total", {}), 3);
  EXPECT_EQ(exposition.value("ztls_resumed_handshakes_total", {}), 19);
  EXPECT_EQ(exposition.value("ztls_kernel_tls_handoffs_total", {}), 17);
  EXPECT_EQ(exposition.value("ztls_kernel_tls_fallbacks_total",
                             {{"reason", "cipher_unsupported"}}),
            18);
  EXPECT_EQ(exposition.value("ztls_policy_rejections_total", {{"reason", "strict"}}), 4);
  EXPECT_EQ(exposition.value("ztls_policy_rejections_total", {{"reason", "authorization"}}), 5);
  EXPECT_EQ(exposition.value("ztls_policy_rejections_total", {{"reason", "client_policy"}}), 6);
  EXPECT_EQ(exposition.find("ztls_policy_rejections_total").size(), 3u);
  EXPECT_EQ(
      exposition.value("ztls_refused_connections_total", {{"reason", "no_original_destination"}}),
      7);
  EXPECT_EQ(exposition.value("ztls_refused_connections_total", {{"reason", "no_endpoints"}}), 8);
  EXPECT_EQ(exposition.value("ztls_refused_connections_total", {{"reason", "loop"}}), 9);
  EXPECT_EQ(exposition.value("ztls_upstream_connect_failures_total",
                             {{"direction", "inbound"}, {"reason", "error"}}),
            10);
  EXPECT_EQ(exposition.value("ztls_upstream_connect_failures_total",
                             {{"direction", "outbound"}, {"reason", "error"}}),
            11);
  EXPECT_EQ(exposition.value("ztls_upstream_connect_failures_total",
                             {{"direction", "inbound"}, {"reason", "timeout"}}),
            12);
  EXPECT_EQ(exposition.value("ztls_upstream_connect_failures_total",
                             {{"direction", "outbound"}, {"reason", "timeout"}}),
            13);
  EXPECT_EQ(exposition.value("ztls_kernel_verdicts_total", {{"reason", "inbound_steered"}}), 14);
  EXPECT_EQ(exposition.value("ztls_kernel_verdicts_total", {{"reason", "outbound_redirected"}}),
            15);
  EXPECT_EQ(exposition.types.at("ztls_kernel_verdicts_total"), "counter");
}

TEST(Exposition, GaugesShowLiveConnectionsPerDirectionAndAgentState) {
  const auto exposition = scrape(sample());
  // One outbound mTLS connection is still open; the inbound plaintext one closed.
  EXPECT_EQ(exposition.value("ztls_active_connections", {{"direction", "outbound"}}), 1);
  EXPECT_EQ(exposition.value("ztls_active_connections", {{"direction", "inbound"}}), 0);
  EXPECT_EQ(exposition.types.at("ztls_active_connections"), "gauge");
  EXPECT_EQ(exposition.value("ztls_captured_pods", {}), 2);
  EXPECT_EQ(exposition.value("ztls_workload_certificates", {}), 2);
  EXPECT_EQ(exposition.value("ztls_config_generation", {}), 16);
}

TEST(Exposition, WithoutTrafficIstioFamiliesAreDeclaredButEmpty) {
  const auto exposition = scrape(AgentMetrics{});
  EXPECT_TRUE(exposition.find("istio_tcp_connections_opened_total").empty());
  EXPECT_EQ(exposition.types.at("istio_tcp_connections_opened_total"), "counter");
  EXPECT_EQ(exposition.value("ztls_active_connections", {{"direction", "inbound"}}), 0);
}

TEST(Exposition, LargeCountersStayExact) {
  AgentMetrics metrics;
  metrics.traffic[trafficLabels("outbound", "mutual_tls", kSleep, kHttpbin)].addConnection(
      true, 1ULL << 40, 3);
  const auto text = prometheus::TextSerializer().Serialize(metricFamilies(metrics));
  EXPECT_NE(text.find("} 1099511627776\n"), std::string::npos) << text;
}

TEST(AgentCollector, ReadsTheAgentAtEveryScrape) {
  int reads = 0;
  AgentCollector collector([&reads] {
    AgentMetrics metrics;
    metrics.configGeneration = static_cast<std::uint64_t>(++reads);
    return metrics;
  });
  collector.Collect();
  const auto exposition =
      test::parseExposition(prometheus::TextSerializer().Serialize(collector.Collect()));
  EXPECT_EQ(exposition.value("ztls_config_generation", {}), 2);
}

TEST(AgentCollector, AFailingReadYieldsNothingInsteadOfThrowing) {
  AgentCollector collector([]() -> AgentMetrics { throw std::runtime_error("map gone"); });
  std::vector<prometheus::MetricFamily> families;
  EXPECT_NO_THROW(families = collector.Collect());
  EXPECT_TRUE(families.empty());
}

}  // namespace
}  // namespace ztls::metrics
