// The user's walkthrough (shared/seed/istio-authentication.zh.md), step by step: each
// expected matrix is the walkthrough's own printed output, minus kubectl's
// "command terminated with exit code 56" lines.
#include <gtest/gtest.h>

#include "unit/policy/test_cluster.h"

namespace ztls::testing {
namespace {

using config::Kind;
using config::MtlsMode;
using policy::ClientTls;

constexpr std::string_view kFixtures = "tests/fixtures/walkthrough/";

std::string fixture(std::string_view name) { return std::string(kFixtures) + std::string(name); }

class AuthenticationWalkthrough : public ::testing::Test {
 protected:
  void SetUp() override { cluster.deployWalkthrough(); }

  std::string matrix() {
    return cluster.probeMatrix({"foo", "bar", "legacy"}, {"foo", "bar", "legacy"});
  }

  TestCluster cluster;
};

TEST_F(AuthenticationWalkthrough, SetupEveryPairAnswers200) {
  EXPECT_EQ(matrix(),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.foo to httpbin.legacy: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.bar to httpbin.legacy: 200\n"
            "sleep.legacy to httpbin.foo: 200\n"
            "sleep.legacy to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.legacy: 200\n");
}

TEST_F(AuthenticationWalkthrough, AutoMtlsBetweenMeshWorkloadsPlaintextToLegacy) {
  const policy::ConnectionDecision toFoo = cluster.connect("foo", "sleep", "httpbin.foo", 8000);
  EXPECT_EQ(toFoo.client.tls, ClientTls::kIstioMutual);
  EXPECT_TRUE(toFoo.mutualTls());
  EXPECT_EQ(toFoo.source->identity, "spiffe://cluster.local/ns/foo/sa/sleep");
  EXPECT_EQ(toFoo.destination.endpoint->identity, "spiffe://cluster.local/ns/foo/sa/httpbin");
  EXPECT_EQ(toFoo.destination.targetPort, 80);

  const policy::ConnectionDecision toLegacy =
      cluster.connect("foo", "sleep", "httpbin.legacy", 8000);
  EXPECT_EQ(toLegacy.client.tls, ClientTls::kDisable);
  EXPECT_FALSE(toLegacy.mutualTls());
  EXPECT_TRUE(toLegacy.allowed);
  EXPECT_NE(toLegacy.client.reason.find("not in the mesh"), std::string::npos)
      << toLegacy.client.reason;
}

TEST_F(AuthenticationWalkthrough, MeshWideStrictRejectsLegacyClientsOfMeshServers) {
  cluster.applyFile(fixture("mesh-strict.yaml"));
  EXPECT_EQ(matrix(),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.foo to httpbin.legacy: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.bar to httpbin.legacy: 200\n"
            "sleep.legacy to httpbin.foo: 000\n"
            "sleep.legacy to httpbin.bar: 000\n"
            "sleep.legacy to httpbin.legacy: 200\n");
  const policy::ConnectionDecision rejected =
      cluster.connect("legacy", "sleep", "httpbin.foo", 8000);
  EXPECT_EQ(rejected.client.tls, ClientTls::kPassthrough);
  ASSERT_TRUE(rejected.server.has_value());
  EXPECT_EQ(rejected.server->mode, MtlsMode::kStrict);
  EXPECT_EQ(rejected.server->level, policy::PolicyLevel::kMesh);
  EXPECT_NE(rejected.reason.find("reset"), std::string::npos) << rejected.reason;
  EXPECT_NE(rejected.reason.find("PeerAuthentication istio-system/default"), std::string::npos)
      << rejected.reason;

  cluster.remove(Kind::kPeerAuthentication, "istio-system", "default");
  EXPECT_EQ(cluster.curlStatus("legacy", "foo"), "200");
}

TEST_F(AuthenticationWalkthrough, NamespaceStrictOnlyAffectsFoo) {
  cluster.applyFile(fixture("foo-namespace-strict.yaml"));
  EXPECT_EQ(matrix(),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.foo to httpbin.legacy: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.bar to httpbin.legacy: 200\n"
            "sleep.legacy to httpbin.foo: 000\n"
            "sleep.legacy to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.legacy: 200\n");
}

class WorkloadWalkthrough : public AuthenticationWalkthrough {
 protected:
  void SetUp() override {
    AuthenticationWalkthrough::SetUp();
    cluster.applyFile(fixture("foo-namespace-strict.yaml"));
    // `cat <<EOF | kubectl apply -n bar -f -`
    cluster.applyFile(fixture("bar-httpbin-strict.yaml"), "bar");
    cluster.applyFile(fixture("bar-httpbin-destinationrule.yaml"), "bar");
  }
};

TEST_F(WorkloadWalkthrough, WorkloadStrictWithDestinationRule) {
  EXPECT_EQ(matrix(),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.foo to httpbin.legacy: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.bar to httpbin.legacy: 200\n"
            "sleep.legacy to httpbin.foo: 000\n"
            "sleep.legacy to httpbin.bar: 000\n"
            "sleep.legacy to httpbin.legacy: 200\n");
  const policy::ConnectionDecision fromFoo = cluster.connect("foo", "sleep", "httpbin.bar", 8000);
  EXPECT_EQ(fromFoo.client.tls, ClientTls::kIstioMutual);
  ASSERT_TRUE(fromFoo.client.decidedBy.has_value());
  EXPECT_EQ(config::describe(*fromFoo.client.decidedBy), "DestinationRule bar/httpbin");
  ASSERT_TRUE(fromFoo.server.has_value());
  EXPECT_EQ(fromFoo.server->level, policy::PolicyLevel::kWorkload);
  EXPECT_EQ(config::describe(*fromFoo.server->decidedBy), "PeerAuthentication bar/httpbin");
}

TEST_F(WorkloadWalkthrough, PortLevelDisableOnContainerPortWithDestinationRuleOnServicePort) {
  cluster.applyFile(fixture("bar-httpbin-port-level.yaml"), "bar");
  cluster.applyFile(fixture("bar-httpbin-destinationrule-port-level.yaml"), "bar");

  const policy::EffectivePeerAuthn effective =
      policy::effectivePeerAuthn(cluster.snapshot(), cluster.workload("bar", "httpbin"));
  EXPECT_EQ(effective.forPort(80).mode, MtlsMode::kDisable);
  EXPECT_EQ(effective.forPort(80).level, policy::PolicyLevel::kPort);
  EXPECT_EQ(effective.forPort(8080).mode, MtlsMode::kStrict);
  EXPECT_EQ(effective.fallback.level, policy::PolicyLevel::kWorkload);

  const policy::ConnectionDecision fromFoo = cluster.connect("foo", "sleep", "httpbin.bar", 8000);
  EXPECT_EQ(fromFoo.client.tls, ClientTls::kDisable);
  EXPECT_NE(fromFoo.client.reason.find("portLevelSettings 8000"), std::string::npos)
      << fromFoo.client.reason;
  EXPECT_TRUE(fromFoo.allowed) << fromFoo.reason;
  EXPECT_EQ(cluster.curlStatus("legacy", "bar"), "200");
  EXPECT_EQ(cluster.curlStatus("legacy", "foo"), "000");
}

TEST_F(WorkloadWalkthrough, WorkloadPolicyOverridesNamespacePolicy) {
  cluster.applyFile(fixture("foo-overwrite-example.yaml"), "foo");
  cluster.applyFile(fixture("foo-overwrite-example-destinationrule.yaml"), "foo");
  EXPECT_EQ(cluster.curlStatus("legacy", "foo"), "200");

  const policy::ModeDecision mode =
      policy::effectivePeerAuthn(cluster.snapshot(), cluster.workload("foo", "httpbin"))
          .forPort(80);
  EXPECT_EQ(mode.mode, MtlsMode::kDisable);
  EXPECT_EQ(config::describe(*mode.decidedBy), "PeerAuthentication foo/overwrite-example");
  // The namespace policy still governs foo's other workloads.
  EXPECT_EQ(policy::effectivePeerAuthn(cluster.snapshot(), cluster.workload("foo", "sleep"))
                .fallback.mode,
            MtlsMode::kStrict);
  // Clients in the mesh follow the DestinationRule and send plaintext, which DISABLE accepts.
  const policy::ConnectionDecision fromBar = cluster.connect("bar", "sleep", "httpbin.foo", 8000);
  EXPECT_EQ(fromBar.client.tls, ClientTls::kDisable);
  EXPECT_TRUE(fromBar.allowed) << fromBar.reason;
}

TEST_F(WorkloadWalkthrough, UninstallRestoresEverything) {
  cluster.applyFile(fixture("foo-overwrite-example.yaml"), "foo");
  cluster.applyFile(fixture("foo-overwrite-example-destinationrule.yaml"), "foo");
  cluster.remove(Kind::kPeerAuthentication, "foo", "default");
  cluster.remove(Kind::kPeerAuthentication, "foo", "overwrite-example");
  cluster.remove(Kind::kPeerAuthentication, "bar", "httpbin");
  cluster.remove(Kind::kDestinationRule, "foo", "overwrite-example");
  cluster.remove(Kind::kDestinationRule, "bar", "httpbin");
  EXPECT_EQ(matrix(),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.foo to httpbin.legacy: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.bar to httpbin.legacy: 200\n"
            "sleep.legacy to httpbin.foo: 200\n"
            "sleep.legacy to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.legacy: 200\n");
}

TEST_F(AuthenticationWalkthrough, EndUserAuthenticationObjectsLoadAndUnusedKindsAreSkipped) {
  const config::ApplyOutcome outcome =
      cluster.tryApply(readRepoFile(fixture("ingress-gateway.yaml")));
  ASSERT_TRUE(outcome.applied);
  EXPECT_TRUE(outcome.changes.empty());
  ASSERT_EQ(outcome.diagnostics.size(), 2u);
  EXPECT_NE(outcome.diagnostics[0].message.find("Gateway"), std::string::npos);
  EXPECT_NE(outcome.diagnostics[1].message.find("VirtualService"), std::string::npos);
  cluster.applyFile(fixture("jwt-example.yaml"));
  cluster.applyFile(fixture("frontend-ingress-deny.yaml"));
  cluster.applyFile(fixture("frontend-ingress-deny-headers.yaml"));
}

// The gateway's DENY rule needs a request principal, which only HTTP can supply. For
// plain TCP Istio drops the L7-only parts of a DENY rule, so the connection is denied.
TEST_F(AuthenticationWalkthrough, RequestPrincipalDenyOnTcpDeniesTheConnection) {
  cluster.apply(R"(
apiVersion: v1
kind: Pod
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels:
    istio: ingressgateway
    istio.io/dataplane-mode: ambient
spec:
  containers:
  - name: istio-proxy
    image: istio/proxyv2
    ports:
    - containerPort: 8080
status:
  podIP: 10.244.0.50
)");
  cluster.applyFile(fixture("frontend-ingress-deny.yaml"));
  const policy::ConnectionDecision decision = cluster.connect("foo", "sleep", "10.244.0.50", 8080);
  EXPECT_FALSE(decision.allowed);
  EXPECT_NE(decision.reason.find("AuthorizationPolicy istio-system/frontend-ingress"),
            std::string::npos)
      << decision.reason;
  EXPECT_NE(decision.reason.find("TCP"), std::string::npos) << decision.reason;
}

class MigrationWalkthrough : public ::testing::Test {
 protected:
  void SetUp() override { cluster.deployWalkthrough(/*httpbinInLegacy=*/false); }
  std::string matrix() { return cluster.probeMatrix({"foo", "bar", "legacy"}, {"foo", "bar"}); }
  TestCluster cluster;
};

TEST_F(MigrationWalkthrough, LockDownNamespaceThenMesh) {
  EXPECT_EQ(matrix(),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.foo: 200\n"
            "sleep.legacy to httpbin.bar: 200\n");

  // `kubectl apply -n foo -f -` with no metadata.namespace in the manifest.
  cluster.applyFile(fixture("namespace-default-strict.yaml"), "foo");
  EXPECT_EQ(matrix(),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.foo: 000\n"
            "sleep.legacy to httpbin.bar: 200\n");

  cluster.applyFile(fixture("namespace-default-strict.yaml"), "istio-system");
  EXPECT_EQ(matrix(),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.foo: 000\n"
            "sleep.legacy to httpbin.bar: 000\n");
}

}  // namespace
}  // namespace ztls::testing
