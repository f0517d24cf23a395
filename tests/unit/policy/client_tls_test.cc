#include "ztls/policy/client_tls.h"

#include <gtest/gtest.h>

#include "unit/policy/test_cluster.h"

namespace ztls::testing {
namespace {

using policy::ClientTls;

// Running pods with addresses and a Service with a cluster IP, beside the manifests.
constexpr std::string_view kRunningFoo = R"(
apiVersion: v1
kind: Pod
metadata:
  name: httpbin-7d9c
  namespace: foo
  labels: {app: httpbin, version: v1}
spec:
  serviceAccountName: httpbin
  nodeName: node-1
  containers:
  - name: httpbin
    image: docker.io/kennethreitz/httpbin
    ports:
    - {containerPort: 80, name: http-web}
status:
  podIPs:
  - ip: 10.244.1.10
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: foo
spec:
  clusterIP: 10.96.0.20
  selector: {app: httpbin}
  ports:
  - {name: http, port: 8080, targetPort: http-web}
  - {name: other, port: 9000, targetPort: 9001}
)";

std::string destinationRule(std::string_view ns, std::string_view name, std::string_view host,
                            std::string_view trafficPolicy) {
  return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: " +
         std::string(name) + "\n  namespace: " + std::string(ns) + "\nspec:\n  host: \"" +
         std::string(host) + "\"\n  trafficPolicy:\n" + std::string(trafficPolicy) + "\n---\n";
}

const std::string kIstioMutual = "    tls:\n      mode: ISTIO_MUTUAL";
const std::string kDisable = "    tls:\n      mode: DISABLE";

class ClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster.deployWalkthrough();
    cluster.apply(kRunningFoo);
  }
  TestCluster cluster;
};

TEST_F(ClientTlsTest, EveryHostFormAPodCanUseReachesTheSameEndpoint) {
  for (std::string_view host : {"httpbin.foo", "httpbin.foo.svc", "httpbin.foo.svc.cluster.local",
                                "httpbin.foo.svc.cluster.local."}) {
    const policy::Destination d = policy::resolveDestination(cluster.snapshot(), "bar", host, 8000);
    EXPECT_EQ(d.type, policy::Destination::Type::kService) << host;
    ASSERT_NE(d.endpoint, nullptr) << host;
    EXPECT_EQ(d.endpoint->qualifiedName(), "foo/httpbin-7d9c") << host;
    EXPECT_EQ(d.targetPort, 80) << host;
    EXPECT_EQ(d.endpointAddress, "10.244.1.10") << host;
    EXPECT_EQ(d.serviceFqdn, "httpbin.foo.svc.cluster.local") << host;
  }
  const policy::Destination shortName =
      policy::resolveDestination(cluster.snapshot(), "foo", "httpbin", 8000);
  ASSERT_NE(shortName.service, nullptr);
  EXPECT_EQ(shortName.service->meta.namespace_, "foo");
  const policy::Destination fromBar =
      policy::resolveDestination(cluster.snapshot(), "bar", "httpbin", 8000);
  ASSERT_NE(fromBar.service, nullptr);
  EXPECT_EQ(fromBar.service->meta.namespace_, "bar");
}

TEST_F(ClientTlsTest, ClusterIpAndPodIpResolve) {
  const policy::Destination viaClusterIp =
      policy::resolveDestination(cluster.snapshot(), "bar", "10.96.0.20", 8080);
  EXPECT_EQ(viaClusterIp.type, policy::Destination::Type::kService);
  EXPECT_EQ(viaClusterIp.targetPort, 80)
      << "named targetPort http-web resolves to container port 80";
  const policy::Destination viaPodIp =
      policy::resolveDestination(cluster.snapshot(), "bar", "10.244.1.10", 80);
  EXPECT_EQ(viaPodIp.type, policy::Destination::Type::kPod);
  ASSERT_NE(viaPodIp.endpoint, nullptr);
  EXPECT_EQ(viaPodIp.endpoint->qualifiedName(), "foo/httpbin-7d9c");
  const policy::ConnectionDecision decision = cluster.connect("bar", "sleep", "10.244.1.10", 80);
  EXPECT_EQ(decision.client.tls, ClientTls::kIstioMutual);
  EXPECT_TRUE(decision.allowed) << decision.reason;
}

TEST_F(ClientTlsTest, OutsideTheClusterIsPassthrough) {
  for (std::string_view host : {"example.com", "192.0.2.1", "httpbin.nowhere"}) {
    const policy::ConnectionDecision decision = cluster.connect("foo", "sleep", host, 443);
    EXPECT_EQ(decision.destination.type, policy::Destination::Type::kExternal) << host;
    EXPECT_EQ(decision.client.tls, ClientTls::kPassthrough) << host;
    EXPECT_TRUE(decision.allowed) << host;
  }
}

TEST_F(ClientTlsTest, SourceOutsideTheMeshHasNoClientAgent) {
  const policy::ConnectionDecision decision =
      cluster.connect("legacy", "sleep", "httpbin.foo", 8000);
  EXPECT_EQ(decision.client.tls, ClientTls::kPassthrough);
  EXPECT_NE(decision.client.reason.find("legacy/sleep is not in the mesh"), std::string::npos)
      << decision.client.reason;
}

TEST_F(ClientTlsTest, AutoMtlsFollowsTheDestination) {
  EXPECT_EQ(cluster.connect("foo", "sleep", "httpbin.bar", 8000).client.tls,
            ClientTls::kIstioMutual);
  EXPECT_EQ(cluster.connect("foo", "sleep", "httpbin.legacy", 8000).client.tls,
            ClientTls::kDisable);
  cluster.apply(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: httpbin, namespace: bar}
spec:
  selector: {matchLabels: {app: httpbin}}
  mtls: {mode: DISABLE}
)");
  const policy::ConnectionDecision toDisabled =
      cluster.connect("foo", "sleep", "httpbin.bar", 8000);
  EXPECT_EQ(toDisabled.client.tls, ClientTls::kDisable);
  EXPECT_NE(toDisabled.client.reason.find("DISABLE"), std::string::npos)
      << toDisabled.client.reason;
  EXPECT_TRUE(toDisabled.allowed);
}

TEST_F(ClientTlsTest, PortLevelSettingsOverrideTopLevelByServicePort) {
  cluster.apply(destinationRule("foo", "web", "web.foo.svc.cluster.local",
                                kIstioMutual +
                                    "\n    portLevelSettings:\n    - port: {number: 9000}\n"
                                    "      tls: {mode: DISABLE}"));
  const policy::ConnectionDecision onTopLevel = cluster.connect("bar", "sleep", "web.foo", 8080);
  EXPECT_EQ(onTopLevel.client.tls, ClientTls::kIstioMutual);
  const policy::ConnectionDecision onPortLevel = cluster.connect("bar", "sleep", "web.foo", 9000);
  EXPECT_EQ(onPortLevel.client.tls, ClientTls::kDisable);
  EXPECT_NE(onPortLevel.client.reason.find("portLevelSettings 9000"), std::string::npos);
}

TEST_F(ClientTlsTest, PortLevelEntryWithoutTlsKeepsTopLevel) {
  cluster.apply(destinationRule("foo", "web", "web.foo.svc.cluster.local",
                                kDisable + "\n    portLevelSettings:\n    - port: {number: 8080}\n"
                                           "      loadBalancer: {simple: ROUND_ROBIN}"));
  EXPECT_EQ(cluster.connect("bar", "sleep", "web.foo", 8080).client.tls, ClientTls::kDisable);
}

TEST_F(ClientTlsTest, RuleWithoutTlsLeavesAutoMtls) {
  cluster.apply(destinationRule("foo", "web", "web", "    loadBalancer: {simple: ROUND_ROBIN}"));
  const policy::ConnectionDecision decision = cluster.connect("bar", "sleep", "web.foo", 8080);
  EXPECT_EQ(decision.client.tls, ClientTls::kIstioMutual);
  EXPECT_FALSE(decision.client.decidedBy.has_value());
}

struct HostMatchCase {
  std::string name;
  std::string rules;
  std::string expectedRule;  // empty: none applies
};

class DestinationRuleHostTest : public ::testing::TestWithParam<HostMatchCase> {};

TEST_P(DestinationRuleHostTest, HttpbinBarFromFoo) {
  const HostMatchCase& c = GetParam();
  TestCluster cluster;
  cluster.deployWalkthrough();
  cluster.apply(c.rules);
  const config::DestinationRule* rule = policy::findDestinationRule(
      cluster.snapshot(), "foo", "bar", "httpbin.bar.svc.cluster.local");
  EXPECT_EQ(rule ? rule->meta.namespace_ + "/" + rule->meta.name : "", c.expectedRule);
}

INSTANTIATE_TEST_SUITE_P(
    Matching, DestinationRuleHostTest,
    ::testing::Values(
        HostMatchCase{"Fqdn",
                      destinationRule("bar", "r", "httpbin.bar.svc.cluster.local", kDisable),
                      "bar/r"},
        HostMatchCase{"ShortNameInRuleNamespace", destinationRule("bar", "r", "httpbin", kDisable),
                      "bar/r"},
        HostMatchCase{"ShortNameInOtherNamespaceMisses",
                      destinationRule("foo", "r", "httpbin", kDisable), ""},
        HostMatchCase{"DottedNameIsNotExpanded",
                      destinationRule("bar", "r", "httpbin.bar", kDisable), ""},
        HostMatchCase{"Wildcard", destinationRule("bar", "r", "*.bar.svc.cluster.local", kDisable),
                      "bar/r"},
        HostMatchCase{"WildcardOtherNamespaceMisses",
                      destinationRule("bar", "r", "*.foo.svc.cluster.local", kDisable), ""},
        HostMatchCase{
            "ExactBeatsWildcard",
            destinationRule("bar", "wild", "*.svc.cluster.local", kDisable) +
                destinationRule("bar", "exact", "httpbin.bar.svc.cluster.local", kDisable),
            "bar/exact"},
        HostMatchCase{"LongerWildcardBeatsShorter",
                      destinationRule("bar", "a", "*.cluster.local", kDisable) +
                          destinationRule("bar", "b", "*.bar.svc.cluster.local", kDisable),
                      "bar/b"},
        HostMatchCase{
            "OldestWinsATie",
            destinationRule("bar", "zz-first", "httpbin", kDisable) +
                destinationRule("bar", "aa-second", "httpbin.bar.svc.cluster.local", kDisable),
            "bar/zz-first"},
        HostMatchCase{
            "ClientNamespaceBeforeServiceNamespace",
            destinationRule("bar", "server-side", "httpbin", kDisable) +
                destinationRule("foo", "client-side", "httpbin.bar.svc.cluster.local", kDisable),
            "foo/client-side"},
        HostMatchCase{"RootNamespaceLast",
                      destinationRule("istio-system", "mesh", "*", kDisable) +
                          destinationRule("bar", "server-side", "httpbin", kDisable),
                      "bar/server-side"},
        HostMatchCase{"RootNamespaceAlone", destinationRule("istio-system", "mesh", "*", kDisable),
                      "istio-system/mesh"}),
    [](const ::testing::TestParamInfo<HostMatchCase>& testCase) { return testCase.param.name; });

TEST_F(ClientTlsTest, IstioMutualToAWorkloadOutsideTheMeshFails) {
  cluster.apply(destinationRule("legacy", "httpbin", "httpbin", kIstioMutual));
  const policy::ConnectionDecision decision =
      cluster.connect("foo", "sleep", "httpbin.legacy", 8000);
  EXPECT_EQ(decision.client.tls, ClientTls::kIstioMutual);
  EXPECT_FALSE(decision.allowed);
  EXPECT_NE(decision.reason.find("handshake fails"), std::string::npos) << decision.reason;
}

TEST_F(ClientTlsTest, TlsOriginationIsRefusedNotSentInPlaintext) {
  const config::ApplyOutcome outcome = cluster.tryApply(
      destinationRule("bar", "httpbin", "httpbin", "    tls:\n      mode: SIMPLE"));
  ASSERT_TRUE(outcome.applied);
  ASSERT_EQ(outcome.diagnostics.size(), 1u);
  EXPECT_EQ(outcome.diagnostics[0].severity, config::Severity::kWarning);
  const policy::ConnectionDecision decision = cluster.connect("foo", "sleep", "httpbin.bar", 8000);
  EXPECT_EQ(decision.client.tls, ClientTls::kSimple);
  EXPECT_FALSE(decision.allowed);
  EXPECT_NE(decision.reason.find("not supported"), std::string::npos) << decision.reason;
}

TEST_F(ClientTlsTest, UnknownServicePortAndMissingEndpointsAreExplained) {
  const policy::ConnectionDecision badPort = cluster.connect("foo", "sleep", "httpbin.bar", 9999);
  EXPECT_FALSE(badPort.allowed);
  EXPECT_NE(badPort.reason.find("Service bar/httpbin has no port 9999"), std::string::npos)
      << badPort.reason;
  cluster.apply(R"(
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: bar}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
)");
  const policy::ConnectionDecision noEndpoints = cluster.connect("foo", "sleep", "empty.bar", 80);
  EXPECT_FALSE(noEndpoints.allowed);
  EXPECT_NE(noEndpoints.reason.find("no endpoints"), std::string::npos) << noEndpoints.reason;
}

}  // namespace
}  // namespace ztls::testing
