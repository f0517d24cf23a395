// The /metrics endpoint: prometheus-cpp's exposer serving the agent's collector.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "exposition.h"
#include "http_get.h"
#include "ztls/metrics/agent_metrics.h"
#include "ztls/metrics/http_endpoints.h"

namespace ztls::metrics {
namespace {

std::shared_ptr<AgentCollector> collectorWithOneConnection() {
  return std::make_shared<AgentCollector>([] {
    AgentMetrics metrics;
    metrics
        .traffic[trafficLabels("outbound", "mutual_tls",
                               Peer{"foo", "sleep", "spiffe://cluster.local/ns/foo/sa/sleep"},
                               Peer{"foo", "httpbin", ""})]
        .addConnection(false, 10, 20);
    return metrics;
  });
}

TEST(MetricsEndpoint, ServesTheCollectorAtSlashMetrics) {
  MetricsEndpoint endpoint("127.0.0.1:0", collectorWithOneConnection());
  ASSERT_GT(endpoint.port(), 0);
  const auto reply = test::httpGet(endpoint.port(), "/metrics");
  ASSERT_EQ(reply.status, 200) << reply.error;
  const auto exposition = test::parseExposition(reply.body);
  const auto opened = exposition.find("istio_tcp_connections_opened_total",
                                      {{"reporter", "source"}, {"source_workload", "sleep"}});
  ASSERT_EQ(opened.size(), 1u) << reply.body;
  EXPECT_EQ(opened.front().value, 1);
  EXPECT_EQ(opened.front().labels.at("destination_principal"), "unknown");
}

TEST(MetricsEndpoint, StopsPromptlyEvenAfterIdling) {
  auto endpoint = std::make_unique<MetricsEndpoint>("0.0.0.0:0", collectorWithOneConnection());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  endpoint.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1000));
}

TEST(MetricsEndpoint, APortInUseIsAClearStartupError) {
  MetricsEndpoint first("127.0.0.1:0", collectorWithOneConnection());
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  try {
    MetricsEndpoint second(address, collectorWithOneConnection());
    FAIL() << "a second endpoint bound " << address;
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what())
                  .find("cannot serve metrics on " + address + ": Address already in use"),
              std::string::npos)
        << error.what();
  }
}

TEST(MetricsEndpoint, AMalformedAddressSaysWhatIsWrong) {
  for (const auto& [address, why] : std::vector<std::pair<std::string, std::string>>{
           {"localhost-15020", "expected host:port"},
           {"0.0.0.0:http", "\"http\" is not a port number"},
           {"0.0.0.0:99999", "\"99999\" is not a port number"},
           {"node1:15020", "\"node1\" is not an IPv4 address"},
           {"203.0.113.7:15020", "Cannot assign requested address"}}) {
    try {
      MetricsEndpoint endpoint(address, collectorWithOneConnection());
      ADD_FAILURE() << address << " was accepted";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find(why), std::string::npos)
          << address << ": " << error.what();
    }
  }
}

}  // namespace
}  // namespace ztls::metrics
