// The agent's connection table as the metrics read it: one series per label set, live
// connections counted as they stand, and each connection counted once, open or closed.
#include "daemon/connection_table.h"

#include <gtest/gtest.h>

#include "ztls/config/loader.h"
#include "ztls/config/store.h"

namespace ztls::daemon {
namespace {

constexpr const char* kPods = R"(
apiVersion: v1
kind: Pod
metadata:
  name: sleep-5d8f7c6b9a-q7w2e
  namespace: foo
  labels:
    app: sleep
    pod-template-hash: 5d8f7c6b9a
spec:
  serviceAccountName: sleep
  containers:
  - name: sleep
    image: curlimages/curl
status:
  podIP: 10.244.1.5
---
apiVersion: v1
kind: Pod
metadata:
  name: httpbin-7d4c5b9f8c-x2k9q
  namespace: foo
  labels:
    app: httpbin
    pod-template-hash: 7d4c5b9f8c
spec:
  serviceAccountName: httpbin
  containers:
  - name: httpbin
    image: docker.io/kennethreitz/httpbin
status:
  podIP: 10.244.2.7
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: legacy
spec:
  containers:
  - name: debug
    image: curlimages/curl
status:
  podIP: 10.244.1.9
)";

std::shared_ptr<const policy::Snapshot> snapshotOfPods() {
  config::LoadResult loaded = config::parseYaml(kPods, "pods.yaml", {});
  EXPECT_TRUE(loaded.ok());
  config::Store store;
  store.apply(std::move(loaded));
  return policy::Snapshot::build(store.objects(), {});
}

std::shared_ptr<ConnectionRecord> record(std::string direction, std::string security,
                                         std::string source, std::string destination) {
  auto made = std::make_shared<ConnectionRecord>();
  made->direction = std::move(direction);
  made->security = std::move(security);
  made->source = {"10.244.1.5:40000", std::move(source), ""};
  made->destination = {"10.244.2.7:80", std::move(destination), ""};
  if (made->security == "mutual_tls") {
    made->source.identity = "spiffe://cluster.local/ns/foo/sa/sleep";
    made->destination.identity = "spiffe://cluster.local/ns/foo/sa/httpbin";
  }
  return made;
}

void relay(ConnectionRecord& connection, std::uint64_t request, std::uint64_t response) {
  connection.counters.bytesDownstreamToUpstream += request;
  connection.counters.bytesUpstreamToDownstream += response;
}

class ConnectionTableMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshot_ = snapshotOfPods();
    table_.setSnapshotSource([this] { return snapshot_; });
  }

  std::shared_ptr<const policy::Snapshot> snapshot_;
  ConnectionTable table_;
};

TEST_F(ConnectionTableMetrics, OpenNamesWorkloadsByTheirDeploymentFromTheSnapshot) {
  auto connection = table_.open(record("outbound", "mutual_tls", "foo/sleep-5d8f7c6b9a-q7w2e",
                                       "foo/httpbin-7d4c5b9f8c-x2k9q"));
  EXPECT_EQ(connection->labels.reporter, "source");
  EXPECT_EQ(connection->labels.sourceWorkload, "sleep");
  EXPECT_EQ(connection->labels.sourceWorkloadNamespace, "foo");
  EXPECT_EQ(connection->labels.sourcePrincipal, "spiffe://cluster.local/ns/foo/sa/sleep");
  EXPECT_EQ(connection->labels.destinationWorkload, "httpbin");
  EXPECT_EQ(connection->labels.destinationPrincipal, "spiffe://cluster.local/ns/foo/sa/httpbin");
  EXPECT_EQ(connection->labels.connectionSecurityPolicy, "mutual_tls");
}

TEST_F(ConnectionTableMetrics, BarePodsKeepTheirNameAndUnknownAddressesAreUnknown) {
  auto connection = table_.open(record("inbound", "plaintext", "legacy/debug", ""));
  EXPECT_EQ(connection->labels.reporter, "destination");
  EXPECT_EQ(connection->labels.sourceWorkload, "debug");
  EXPECT_EQ(connection->labels.sourceWorkloadNamespace, "legacy");
  EXPECT_EQ(connection->labels.sourcePrincipal, "unknown");
  EXPECT_EQ(connection->labels.destinationWorkload, "unknown");
  EXPECT_EQ(connection->labels.destinationWorkloadNamespace, "unknown");
  EXPECT_EQ(connection->labels.connectionSecurityPolicy, "none");
}

TEST(ConnectionTableWithoutSnapshot, NamesWorkloadsByPod) {
  ConnectionTable table;
  auto connection =
      table.open(record("outbound", "plaintext", "foo/sleep-5d8f7c6b9a-q7w2e", "foo/other"));
  EXPECT_EQ(connection->labels.sourceWorkload, "sleep-5d8f7c6b9a-q7w2e");
  EXPECT_EQ(connection->labels.destinationWorkload, "other");
}

TEST_F(ConnectionTableMetrics, LiveConnectionsCountAsTheyStandAndClosingNeverCountsTwice) {
  auto connection = table_.open(record("outbound", "mutual_tls", "foo/sleep-5d8f7c6b9a-q7w2e",
                                       "foo/httpbin-7d4c5b9f8c-x2k9q"));
  relay(*connection, 100, 1000);
  auto traffic = table_.traffic();
  ASSERT_EQ(traffic.size(), 1u);
  EXPECT_EQ(traffic.at(connection->labels).opened, 1u);
  EXPECT_EQ(traffic.at(connection->labels).closed, 0u);
  EXPECT_EQ(traffic.at(connection->labels).receivedBytes, 100u);
  EXPECT_EQ(traffic.at(connection->labels).sentBytes, 1000u);

  relay(*connection, 20, 300);
  traffic = table_.traffic();
  EXPECT_EQ(traffic.at(connection->labels).receivedBytes, 120u);
  EXPECT_EQ(traffic.at(connection->labels).sentBytes, 1300u);

  table_.close(connection);
  traffic = table_.traffic();
  ASSERT_EQ(traffic.size(), 1u);
  EXPECT_EQ(traffic.at(connection->labels).opened, 1u);
  EXPECT_EQ(traffic.at(connection->labels).closed, 1u);
  EXPECT_EQ(traffic.at(connection->labels).receivedBytes, 120u);
  EXPECT_EQ(traffic.at(connection->labels).sentBytes, 1300u);

  table_.close(connection);  // a second close is not a second connection
  traffic = table_.traffic();
  EXPECT_EQ(traffic.at(connection->labels).closed, 1u);
  EXPECT_EQ(traffic.at(connection->labels).receivedBytes, 120u);
}

TEST_F(ConnectionTableMetrics, ConnectionsOfOneWorkloadPairShareASeriesAndOthersGetTheirOwn) {
  auto first = table_.open(record("outbound", "mutual_tls", "foo/sleep-5d8f7c6b9a-q7w2e",
                                  "foo/httpbin-7d4c5b9f8c-x2k9q"));
  auto second = table_.open(record("outbound", "mutual_tls", "foo/sleep-5d8f7c6b9a-q7w2e",
                                   "foo/httpbin-7d4c5b9f8c-x2k9q"));
  auto inbound =
      table_.open(record("inbound", "plaintext", "legacy/debug", "foo/httpbin-7d4c5b9f8c-x2k9q"));
  relay(*first, 1, 10);
  relay(*second, 2, 20);
  relay(*inbound, 4, 40);
  table_.close(first);

  const auto traffic = table_.traffic();
  ASSERT_EQ(traffic.size(), 2u);
  const auto& mesh = traffic.at(first->labels);
  EXPECT_EQ(mesh.opened, 2u);
  EXPECT_EQ(mesh.closed, 1u);
  EXPECT_EQ(mesh.receivedBytes, 3u);
  EXPECT_EQ(mesh.sentBytes, 30u);
  const auto& plain = traffic.at(inbound->labels);
  EXPECT_EQ(plain.opened, 1u);
  EXPECT_EQ(plain.closed, 0u);
  EXPECT_EQ(plain.sentBytes, 40u);
}

TEST_F(ConnectionTableMetrics, StatusTotalsAndMetricsAgreeOnBytes) {
  auto connection = table_.open(record("inbound", "mutual_tls", "foo/sleep-5d8f7c6b9a-q7w2e",
                                       "foo/httpbin-7d4c5b9f8c-x2k9q"));
  relay(*connection, 7, 70);
  table_.close(connection);
  const auto totals = table_.totals("inbound");
  const auto traffic = table_.traffic();
  const auto& counts = traffic.at(connection->labels);
  EXPECT_EQ(totals.bytesDownstreamToUpstream, counts.receivedBytes);
  EXPECT_EQ(totals.bytesUpstreamToDownstream, counts.sentBytes);
}

}  // namespace
}  // namespace ztls::daemon
