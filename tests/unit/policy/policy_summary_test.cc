#include "ztls/policy/policy_summary.h"

#include <gtest/gtest.h>

#include "unit/policy/test_cluster.h"

namespace ztls::testing {
namespace {

using policy::PolicySummary;

std::vector<const policy::Workload*> walkthroughPods(TestCluster& cluster) {
  std::vector<const policy::Workload*> pods;
  for (const char* ns : {"foo", "bar", "legacy"}) {
    for (const char* name : {"httpbin", "sleep"}) pods.push_back(&cluster.workload(ns, name));
  }
  return pods;
}

const PolicySummary& find(const std::vector<PolicySummary>& summaries, std::string_view kind,
                          std::string_view name) {
  for (const auto& summary : summaries) {
    if (summary.kind == kind && summary.name == name) return summary;
  }
  throw std::runtime_error("no " + std::string(kind) + " " + std::string(name));
}

TEST(PolicySummary, EmptyWithoutPolicies) {
  TestCluster cluster;
  cluster.deployWalkthrough();
  EXPECT_TRUE(policy::summarizePolicies(cluster.snapshot(), walkthroughPods(cluster)).empty());
}

TEST(PolicySummary, MeshPolicyDecidesEveryMeshWorkloadUntilANamespacePolicyTakesOver) {
  TestCluster cluster;
  cluster.deployWalkthrough();
  cluster.apply(R"(apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: foo}
spec: {mtls: {mode: PERMISSIVE}}
)");
  const auto summaries = policy::summarizePolicies(cluster.snapshot(), walkthroughPods(cluster));
  ASSERT_EQ(summaries.size(), 2u);
  // Sorted by namespace first.
  EXPECT_EQ(summaries[0].namespace_, "foo");
  EXPECT_EQ(summaries[1].namespace_, "istio-system");

  const auto& mesh = summaries[1];
  EXPECT_EQ(mesh.scope, "mesh");
  EXPECT_EQ(mesh.settings, "STRICT");
  // legacy pods are outside the mesh, but the mode is still what a server there would
  // get; what matters is that foo's pods are decided by foo's own policy now.
  EXPECT_EQ(mesh.workloads, (std::vector<std::string>{"bar/httpbin", "bar/sleep", "legacy/httpbin",
                                                      "legacy/sleep"}));
  const auto& foo = summaries[0];
  EXPECT_EQ(foo.scope, "namespace");
  EXPECT_EQ(foo.workloads, (std::vector<std::string>{"foo/httpbin", "foo/sleep"}));
}

TEST(PolicySummary, WorkloadPolicyWithPortLevelModes) {
  TestCluster cluster;
  cluster.deployWalkthrough();
  cluster.apply(R"(apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: httpbin, namespace: bar}
spec:
  selector: {matchLabels: {app: httpbin}}
  mtls: {mode: STRICT}
  portLevelMtls:
    80: {mode: DISABLE}
)");
  const auto summaries = policy::summarizePolicies(cluster.snapshot(), walkthroughPods(cluster));
  const auto& summary = find(summaries, "PeerAuthentication", "httpbin");
  EXPECT_EQ(summary.scope, "workload");
  EXPECT_EQ(summary.settings, "STRICT; port 80 DISABLE; selector app=httpbin");
  EXPECT_EQ(summary.workloads, std::vector<std::string>{"bar/httpbin"});
  EXPECT_TRUE(summary.note.empty());
}

TEST(PolicySummary, RootNamespaceSelectorIsFlagged) {
  TestCluster cluster;
  cluster.deployWalkthrough();
  cluster.apply(R"(apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: odd, namespace: istio-system}
spec:
  selector: {matchLabels: {app: httpbin}}
  mtls: {mode: STRICT}
)");
  const auto summaries = policy::summarizePolicies(cluster.snapshot(), walkthroughPods(cluster));
  const auto& summary = find(summaries, "PeerAuthentication", "odd");
  EXPECT_EQ(summary.scope, "workload");
  EXPECT_TRUE(summary.workloads.empty());
  EXPECT_NE(summary.note.find("root namespace"), std::string::npos) << summary.note;
}

TEST(PolicySummary, DestinationRuleShowsHostAndPortModes) {
  TestCluster cluster;
  cluster.deployWalkthrough();
  cluster.apply(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: example-httpbin-destination-rule, namespace: bar}
spec:
  host: httpbin.bar.svc.cluster.local
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
    portLevelSettings:
    - port: {number: 8000}
      tls: {mode: DISABLE}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bare, namespace: foo}
spec:
  host: httpbin.foo.svc.cluster.local
)");
  const auto summaries = policy::summarizePolicies(cluster.snapshot(), walkthroughPods(cluster));
  const auto& rule = find(summaries, "DestinationRule", "example-httpbin-destination-rule");
  EXPECT_EQ(rule.scope, "client");
  EXPECT_EQ(rule.settings, "host httpbin.bar.svc.cluster.local; ISTIO_MUTUAL; port 8000 DISABLE");
  EXPECT_TRUE(rule.note.empty());
  EXPECT_NE(find(summaries, "DestinationRule", "bare").note.find("auto mutual TLS"),
            std::string::npos);
}

TEST(PolicySummary, AuthorizationPolicyListsTheWorkloadsItSelects) {
  TestCluster cluster;
  cluster.deployWalkthrough();
  cluster.apply(R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: foo}
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: only-sleep, namespace: bar}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: ALLOW
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/bar/sa/sleep"]}
)");
  const auto summaries = policy::summarizePolicies(cluster.snapshot(), walkthroughPods(cluster));
  const auto& denyAll = find(summaries, "AuthorizationPolicy", "deny-all");
  EXPECT_EQ(denyAll.scope, "namespace");
  EXPECT_EQ(denyAll.settings, "ALLOW, 0 rules");
  EXPECT_EQ(denyAll.workloads, (std::vector<std::string>{"foo/httpbin", "foo/sleep"}));
  EXPECT_NE(denyAll.note.find("denies every request"), std::string::npos);
  const auto& onlySleep = find(summaries, "AuthorizationPolicy", "only-sleep");
  EXPECT_EQ(onlySleep.settings, "ALLOW, 1 rule; selector app=httpbin");
  EXPECT_EQ(onlySleep.workloads, std::vector<std::string>{"bar/httpbin"});
}

TEST(PolicySummary, RequestAuthenticationSaysItIsNotEnforced) {
  TestCluster cluster;
  cluster.deployWalkthrough();
  cluster.apply(R"(apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt-example, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: https://example.com/jwks.json
)");
  const auto summaries = policy::summarizePolicies(cluster.snapshot(), walkthroughPods(cluster));
  const auto& summary = find(summaries, "RequestAuthentication", "jwt-example");
  EXPECT_EQ(summary.settings, "1 JWT rule");
  EXPECT_NE(summary.note.find("not enforced"), std::string::npos);
}

}  // namespace
}  // namespace ztls::testing
