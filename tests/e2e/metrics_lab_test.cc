// The node agents' Prometheus metrics and readiness probe on a lab of its own, scraped
// from inside each node's network namespace as a node-local Prometheus would: Istio's
// TCP series for a mutual TLS and a plaintext connection, exactly labelled, reported by
// the right node, with every connection counted once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../unit/metrics/exposition.h"
#include "lab_runner.h"

namespace ztls::e2e {
namespace {

using metrics::test::Exposition;
using metrics::test::LabelSet;

const std::vector<std::string> kNodes{"node1", "node2"};
const std::vector<std::string> kNamespaces{"foo", "legacy"};
const std::string kSleepFoo = "spiffe://cluster.local/ns/foo/sa/sleep";
const std::string kHttpbinFoo = "spiffe://cluster.local/ns/foo/sa/httpbin";

// Istio's labels of one connection between two workloads of the walkthrough.
LabelSet istioLabels(const std::string& reporter, const std::string& sourceNamespace,
                     const std::string& sourcePrincipal, const std::string& destinationPrincipal,
                     const std::string& security) {
  return {{"reporter", reporter},
          {"source_workload", "sleep"},
          {"source_workload_namespace", sourceNamespace},
          {"source_principal", sourcePrincipal},
          {"destination_workload", "httpbin"},
          {"destination_workload_namespace", "foo"},
          {"destination_principal", destinationPrincipal},
          {"request_protocol", "tcp"},
          {"connection_security_policy", security}};
}

struct TcpCounts {
  double opened = 0;
  double closed = 0;
  double sent = 0;
  double received = 0;
};

// Zero for a series not exposed (yet); a label set exposed twice fails the test.
TcpCounts countsOf(const Exposition& exposition, const LabelSet& labels) {
  const auto one = [&](const std::string& name) {
    double value = 0;
    int matches = 0;
    for (const auto& series : exposition.series) {
      if (series.name == name && series.labels == labels) {
        value = series.value;
        ++matches;
      }
    }
    EXPECT_LE(matches, 1) << name << " exposed twice with one label set";
    return value;
  };
  return {one("istio_tcp_connections_opened_total"), one("istio_tcp_connections_closed_total"),
          one("istio_tcp_sent_bytes_total"), one("istio_tcp_received_bytes_total")};
}

class MetricsLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A lab of its own, so that its counters see only this suite's traffic; a fixed name,
    // so that `up` clears what a run that died half-way left.
    lab_ = new Lab("ztls-met");
    setupError_ = new std::string;
    if (const std::string missing = missingLabPrerequisites(); !missing.empty()) {
      *setupError_ = "the lab end-to-end tests need:" + missing + " (run scripts/setup as root)";
      return;
    }
    if (*setupError_ = bringUpSampleLab(*lab_, kNamespaces); !setupError_->empty()) return;
    // The agents follow the config within a second: until then a new pod's address is
    // not a known workload yet, and would be labelled "unknown".
    sleep(1);
  }

  static void TearDownTestSuite() {
    takeDownLab(*lab_);
    const Outcome netns = shell("ip netns list | grep -F '" + lab_->cluster() + ".' || true");
    EXPECT_EQ(netns.output, "") << "network namespaces left behind";
    EXPECT_FALSE(std::filesystem::exists("/run/ztls-lab/" + lab_->cluster()));
    delete lab_;
    delete setupError_;
  }

  void SetUp() override { ASSERT_TRUE(setupError_->empty()) << *setupError_; }

  // A command inside the node's network namespace, where the agent listens.
  static Outcome inNode(const std::string& node, const std::string& command) {
    return shell("ip netns exec " + lab_->cluster() + "." + node + " " + command);
  }

  static Exposition scrape(const std::string& node) {
    const Outcome outcome = inNode(node, "curl -s --max-time 5 http://127.0.0.1:15020/metrics");
    EXPECT_EQ(outcome.exitCode, 0) << "scraping " << node << ": " << outcome.output;
    return metrics::test::parseExposition(outcome.output);
  }

  // "<body>|<status>" of the readiness probe, or curl's exit code when it got no answer.
  static std::pair<std::string, int> probe(const std::string& node) {
    const Outcome outcome = inNode(
        node, "curl -s --max-time 5 -w '|%{http_code}' http://127.0.0.1:15021/healthz/ready");
    return {outcome.output, outcome.exitCode};
  }

  static std::string nodeOf(const std::string& ns, const std::string& app) {
    const Outcome outcome = lab_->run("get pod -l app=" + app + " -n " + ns + " -o json");
    EXPECT_EQ(outcome.exitCode, 0) << outcome.output;
    const auto pods = nlohmann::json::parse(outcome.output, nullptr, false);
    if (pods.is_discarded() || pods["items"].empty()) {
      ADD_FAILURE() << "no " << app << " pod in " << ns << ": " << outcome.output;
      return kNodes.front();
    }
    return pods["items"][0]["spec"]["nodeName"].get<std::string>();
  }

  // Counts of one series once every connection in it has closed (the agents close theirs
  // when curl's ends, a moment after curl returns).
  static TcpCounts settled(const std::string& node, const LabelSet& labels) {
    TcpCounts counts;
    for (int attempt = 0; attempt < 50; ++attempt) {
      counts = countsOf(scrape(node), labels);
      if (counts.opened > 0 && counts.opened == counts.closed) break;
      usleep(100000);
    }
    return counts;
  }

  static Lab* lab_;
  static std::string* setupError_;
};

Lab* MetricsLab::lab_ = nullptr;
std::string* MetricsLab::setupError_ = nullptr;

TEST_F(MetricsLab, BothNodesAreReady) {
  for (const auto& node : kNodes) {
    const auto [answer, exitCode] = probe(node);
    EXPECT_EQ(exitCode, 0) << node;
    EXPECT_EQ(answer, "ready\n|200") << node;
  }
}

TEST_F(MetricsLab, MutualTlsIsReportedBySourceOnTheClientsNodeAndDestinationOnTheServers) {
  const std::string clientNode = nodeOf("foo", "sleep");
  const std::string serverNode = nodeOf("foo", "httpbin");
  const LabelSet asSource = istioLabels("source", "foo", kSleepFoo, kHttpbinFoo, "mutual_tls");
  const LabelSet asDestination =
      istioLabels("destination", "foo", kSleepFoo, kHttpbinFoo, "mutual_tls");
  const TcpCounts sourceBefore = countsOf(scrape(clientNode), asSource);
  const TcpCounts destinationBefore = countsOf(scrape(serverNode), asDestination);

  ASSERT_EQ(lab_->curlStatus("foo", "foo").first, "200");

  const TcpCounts source = settled(clientNode, asSource);
  const TcpCounts destination = settled(serverNode, asDestination);
  EXPECT_EQ(source.opened - sourceBefore.opened, 1) << "on " << clientNode;
  EXPECT_EQ(source.closed - sourceBefore.closed, 1) << "on " << clientNode;
  EXPECT_GT(source.sent - sourceBefore.sent, 0) << "response bytes, on " << clientNode;
  EXPECT_GT(source.received - sourceBefore.received, 0) << "request bytes, on " << clientNode;
  EXPECT_EQ(destination.opened - destinationBefore.opened, 1) << "on " << serverNode;
  EXPECT_EQ(destination.closed - destinationBefore.closed, 1) << "on " << serverNode;
  EXPECT_GT(destination.sent - destinationBefore.sent, 0) << "on " << serverNode;
  EXPECT_GT(destination.received - destinationBefore.received, 0) << "on " << serverNode;
  // Both agents relay the same bytes of the same request and response.
  EXPECT_EQ(source.received - sourceBefore.received,
            destination.received - destinationBefore.received);
  EXPECT_EQ(source.sent - sourceBefore.sent, destination.sent - destinationBefore.sent);
  if (clientNode != serverNode) {
    EXPECT_TRUE(scrape(clientNode)
                    .find("istio_tcp_connections_opened_total", {{"reporter", "destination"}})
                    .empty())
        << "the client's node relays no inbound connection";
  }
}

TEST_F(MetricsLab, PlaintextFromOutsideTheMeshIsReportedByTheDestinationAsNone) {
  const std::string serverNode = nodeOf("foo", "httpbin");
  const LabelSet asDestination = istioLabels("destination", "legacy", "unknown", "unknown", "none");
  const TcpCounts before = countsOf(scrape(serverNode), asDestination);

  ASSERT_EQ(lab_->curlStatus("legacy", "foo").first, "200");

  const TcpCounts after = settled(serverNode, asDestination);
  EXPECT_EQ(after.opened - before.opened, 1);
  EXPECT_EQ(after.closed - before.closed, 1);
  EXPECT_GT(after.sent - before.sent, 0);
  EXPECT_GT(after.received - before.received, 0);
  for (const auto& node : kNodes) {
    EXPECT_TRUE(scrape(node)
                    .find("istio_tcp_connections_opened_total",
                          {{"reporter", "source"}, {"source_workload_namespace", "legacy"}})
                    .empty())
        << "legacy's sleep is not captured: no agent reports as its source (" << node << ")";
  }
}

TEST_F(MetricsLab, AgentCountersAndGaugesAreExported) {
  ASSERT_EQ(lab_->curlStatus("foo", "foo").first, "200");
  double captured = 0;
  double redirected = 0;
  double steered = 0;
  for (const auto& node : kNodes) {
    const Exposition exposition = scrape(node);
    captured += exposition.value("ztls_captured_pods", {});
    redirected +=
        exposition.value("ztls_kernel_verdicts_total", {{"reason", "outbound_redirected"}});
    steered += exposition.value("ztls_kernel_verdicts_total", {{"reason", "inbound_steered"}});
    EXPECT_EQ(exposition.value("ztls_policy_rejections_total", {{"reason", "strict"}}), 0) << node;
    EXPECT_EQ(exposition.value("ztls_handshake_failures_total", {}), 0) << node;
    EXPECT_GE(exposition.value("ztls_config_generation", {}), 1) << node;
    EXPECT_EQ(exposition.find("ztls_active_connections").size(), 2u) << node;
  }
  EXPECT_EQ(captured, 2) << "foo's httpbin and sleep";
  EXPECT_GE(redirected, 1);
  EXPECT_GE(steered, 1);
}

TEST_F(MetricsLab, AStoppedAgentServesNeitherMetricsNorReadiness) {
  lab_->must("agent stop node1");
  const Outcome metricsGone =
      inNode("node1", "curl -s --max-time 5 http://127.0.0.1:15020/metrics");
  EXPECT_EQ(metricsGone.exitCode, 7) << "connection refused expected: " << metricsGone.output;
  const auto [answer, exitCode] = probe("node1");
  EXPECT_EQ(exitCode, 7) << "connection refused expected: " << answer;
  EXPECT_EQ(probe("node2").first, "ready\n|200") << "node2's agent is unaffected";

  lab_->must("agent start node1");
  EXPECT_EQ(probe("node1").first, "ready\n|200") << "ready again once restarted";
}

}  // namespace
}  // namespace ztls::e2e
