// Istio's label values for the agent's connections, and how a pod's workload is named.
#include "ztls/metrics/traffic_labels.h"

#include <gtest/gtest.h>

namespace ztls::metrics {
namespace {

const Peer kSleep{"foo", "sleep", "spiffe://cluster.local/ns/foo/sa/sleep"};
const Peer kHttpbin{"foo", "httpbin", "spiffe://cluster.local/ns/foo/sa/httpbin"};

TEST(TrafficLabels, OutboundMutualTlsIsReportedBySourceWithBothPrincipals) {
  const TrafficLabels labels = trafficLabels("outbound", "mutual_tls", kSleep, kHttpbin);
  EXPECT_EQ(labels.reporter, "source");
  EXPECT_EQ(labels.sourceWorkload, "sleep");
  EXPECT_EQ(labels.sourceWorkloadNamespace, "foo");
  EXPECT_EQ(labels.sourcePrincipal, "spiffe://cluster.local/ns/foo/sa/sleep");
  EXPECT_EQ(labels.destinationWorkload, "httpbin");
  EXPECT_EQ(labels.destinationWorkloadNamespace, "foo");
  EXPECT_EQ(labels.destinationPrincipal, "spiffe://cluster.local/ns/foo/sa/httpbin");
  EXPECT_EQ(labels.requestProtocol, "tcp");
  EXPECT_EQ(labels.connectionSecurityPolicy, "mutual_tls");
}

TEST(TrafficLabels, InboundPlaintextIsReportedByDestinationWithNoneAndUnknownPrincipals) {
  const TrafficLabels labels = trafficLabels("inbound", "plaintext", Peer{"legacy", "sleep", ""},
                                             Peer{"foo", "httpbin", ""});
  EXPECT_EQ(labels.reporter, "destination");
  EXPECT_EQ(labels.sourceWorkload, "sleep");
  EXPECT_EQ(labels.sourceWorkloadNamespace, "legacy");
  EXPECT_EQ(labels.sourcePrincipal, "unknown");
  EXPECT_EQ(labels.destinationPrincipal, "unknown");
  EXPECT_EQ(labels.connectionSecurityPolicy, "none");
}

TEST(TrafficLabels, AnAddressThatIsNoWorkloadIsUnknown) {
  const TrafficLabels labels = trafficLabels("outbound", "plaintext", kSleep, Peer{});
  EXPECT_EQ(labels.destinationWorkload, "unknown");
  EXPECT_EQ(labels.destinationWorkloadNamespace, "unknown");
  EXPECT_EQ(labels.destinationPrincipal, "unknown");
}

TEST(TrafficLabels, AnyOtherSecurityCountsAsNone) {
  EXPECT_EQ(trafficLabels("inbound", "", kSleep, kHttpbin).connectionSecurityPolicy, "none");
}

TEST(TrafficLabels, LabelSetsAreOrderedSoTheyCanKeyAMap) {
  TrafficByLabels traffic;
  traffic[trafficLabels("outbound", "mutual_tls", kSleep, kHttpbin)].opened = 1;
  traffic[trafficLabels("inbound", "mutual_tls", kSleep, kHttpbin)].opened = 2;
  traffic[trafficLabels("outbound", "mutual_tls", kSleep, kHttpbin)].opened += 1;
  ASSERT_EQ(traffic.size(), 2u);
  EXPECT_EQ(traffic[trafficLabels("outbound", "mutual_tls", kSleep, kHttpbin)].opened, 2u);
}

TEST(WorkloadName, ADeploymentsPodIsNamedByTheDeployment) {
  EXPECT_EQ(workloadName("httpbin-7d4c5b9f8c-x2k9q", {{"pod-template-hash", "7d4c5b9f8c"}}),
            "httpbin");
  EXPECT_EQ(workloadName("my-app-v1-abc12-zz9", {{"pod-template-hash", "abc12"}}), "my-app-v1");
}

TEST(WorkloadName, APodWithoutOwnerIsItsOwnWorkload) {
  EXPECT_EQ(workloadName("standalone-abc12-zz9", {{"app", "x"}}), "standalone-abc12-zz9");
  EXPECT_EQ(workloadName("tool", {}), "tool");
}

TEST(WorkloadName, AHashThatDoesNotFitTheNameLeavesThePodName) {
  EXPECT_EQ(workloadName("httpbin-other-x2k9q", {{"pod-template-hash", "7d4c5b9f8c"}}),
            "httpbin-other-x2k9q");
  EXPECT_EQ(workloadName("httpbin-7d4c5b9f8c-", {{"pod-template-hash", "7d4c5b9f8c"}}),
            "httpbin-7d4c5b9f8c-");
  EXPECT_EQ(workloadName("-7d4c5b9f8c-x2k9q", {{"pod-template-hash", "7d4c5b9f8c"}}),
            "-7d4c5b9f8c-x2k9q");
  EXPECT_EQ(workloadName("httpbin-x2k9q", {{"pod-template-hash", ""}}), "httpbin-x2k9q");
}

TEST(TrafficCounts, BytesFollowIstioRequestIsReceivedAndResponseIsSent) {
  TrafficCounts counts;
  counts.addConnection(false, 100, 2000);
  counts.addConnection(true, 5, 7);
  EXPECT_EQ(counts.opened, 2u);
  EXPECT_EQ(counts.closed, 1u);
  EXPECT_EQ(counts.receivedBytes, 105u);
  EXPECT_EQ(counts.sentBytes, 2007u);
}

}  // namespace
}  // namespace ztls::metrics
