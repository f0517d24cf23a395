#include "ztls/policy/peer_authn.h"

#include <gtest/gtest.h>

#include "unit/policy/test_cluster.h"

namespace ztls::testing {
namespace {

using config::MtlsMode;
using policy::PolicyLevel;

std::string peerAuthn(std::string_view ns, std::string_view name, std::string_view body,
                      std::string_view created = "") {
  std::string yaml =
      "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: " +
      std::string(name) + "\n  namespace: " + std::string(ns) + "\n";
  if (!created.empty()) yaml += "  creationTimestamp: \"" + std::string(created) + "\"\n";
  return yaml + "spec:\n" + std::string(body) + "\n---\n";
}

struct ModeCase {
  std::string name;
  std::string policies;  // applied in order
  std::uint16_t port;
  MtlsMode mode;
  PolicyLevel level;
  std::string decidedBy;       // empty: no policy decided
  std::string reasonContains;  // optional
};

class EffectiveModeTest : public ::testing::TestWithParam<ModeCase> {};

TEST_P(EffectiveModeTest, FooHttpbin) {
  const ModeCase& c = GetParam();
  TestCluster cluster;
  cluster.deployWalkthrough();
  if (!c.policies.empty()) cluster.apply(c.policies);
  const policy::ModeDecision decision =
      policy::effectivePeerAuthn(cluster.snapshot(), cluster.workload("foo", "httpbin"))
          .forPort(c.port);
  EXPECT_EQ(decision.mode, c.mode) << decision.reason;
  EXPECT_EQ(decision.level, c.level) << decision.reason;
  EXPECT_EQ(decision.decidedBy ? config::describe(*decision.decidedBy) : "", c.decidedBy);
  EXPECT_NE(decision.reason.find(c.reasonContains), std::string::npos) << decision.reason;
}

const std::string kMeshStrict = peerAuthn("istio-system", "default", "  mtls:\n    mode: STRICT");
const std::string kHttpbinSelector = "  selector:\n    matchLabels:\n      app: httpbin\n";

INSTANTIATE_TEST_SUITE_P(
    Rules, EffectiveModeTest,
    ::testing::Values(
        ModeCase{"NoPolicyIsPermissive", "", 80, MtlsMode::kPermissive, PolicyLevel::kDefault, "",
                 "PERMISSIVE by default"},
        ModeCase{"MeshPolicy", kMeshStrict, 80, MtlsMode::kStrict, PolicyLevel::kMesh,
                 "PeerAuthentication istio-system/default", "mesh level"},
        ModeCase{"MeshUnsetIsPermissive", peerAuthn("istio-system", "default", "  mtls: {}"), 80,
                 MtlsMode::kPermissive, PolicyLevel::kDefault, "", "leaves mode UNSET"},
        ModeCase{"NamespaceOverridesMesh",
                 kMeshStrict + peerAuthn("foo", "default", "  mtls:\n    mode: PERMISSIVE"), 80,
                 MtlsMode::kPermissive, PolicyLevel::kNamespace, "PeerAuthentication foo/default",
                 "namespace level"},
        ModeCase{"NamespaceUnsetInheritsMesh",
                 kMeshStrict + peerAuthn("foo", "default", "  mtls: {}"), 80, MtlsMode::kStrict,
                 PolicyLevel::kMesh, "PeerAuthentication istio-system/default",
                 "PeerAuthentication foo/default (namespace level) leaves mode UNSET"},
        ModeCase{"WorkloadOverridesNamespace",
                 peerAuthn("foo", "default", "  mtls:\n    mode: STRICT") +
                     peerAuthn("foo", "httpbin", kHttpbinSelector + "  mtls:\n    mode: DISABLE"),
                 80, MtlsMode::kDisable, PolicyLevel::kWorkload, "PeerAuthentication foo/httpbin",
                 "workload level"},
        ModeCase{"WorkloadSelectorMustMatch",
                 peerAuthn("foo", "other",
                           "  selector:\n    matchLabels:\n      app: other\n  mtls:\n"
                           "    mode: STRICT"),
                 80, MtlsMode::kPermissive, PolicyLevel::kDefault, "", "PERMISSIVE by default"},
        ModeCase{"WorkloadPolicyOfOtherNamespaceIgnored",
                 peerAuthn("bar", "httpbin", kHttpbinSelector + "  mtls:\n    mode: STRICT"), 80,
                 MtlsMode::kPermissive, PolicyLevel::kDefault, "", ""},
        ModeCase{
            "RootNamespaceSelectorPolicyIsNotMeshWide",
            peerAuthn("istio-system", "httpbin", kHttpbinSelector + "  mtls:\n    mode: STRICT"),
            80, MtlsMode::kPermissive, PolicyLevel::kDefault, "", ""},
        ModeCase{"EmptyMatchLabelsIsNamespaceLevel",
                 peerAuthn("foo", "empty",
                           "  selector:\n    matchLabels: {}\n  mtls:\n    mode: STRICT"),
                 80, MtlsMode::kStrict, PolicyLevel::kNamespace, "PeerAuthentication foo/empty",
                 ""},
        ModeCase{
            "PortLevelOverridesWorkload",
            peerAuthn("foo", "httpbin",
                      kHttpbinSelector + "  mtls:\n    mode: STRICT\n  portLevelMtls:\n    80:\n"
                                         "      mode: PERMISSIVE"),
            80, MtlsMode::kPermissive, PolicyLevel::kPort, "PeerAuthentication foo/httpbin",
            "portLevelMtls 80"},
        ModeCase{
            "OtherPortsKeepWorkloadMode",
            peerAuthn("foo", "httpbin",
                      kHttpbinSelector + "  mtls:\n    mode: STRICT\n  portLevelMtls:\n    80:\n"
                                         "      mode: PERMISSIVE"),
            9090, MtlsMode::kStrict, PolicyLevel::kWorkload, "PeerAuthentication foo/httpbin", ""},
        ModeCase{"PortUnsetInheritsNamespaceThroughUnsetWorkload",
                 peerAuthn("foo", "default", "  mtls:\n    mode: STRICT") +
                     peerAuthn("foo", "httpbin",
                               kHttpbinSelector + "  portLevelMtls:\n    80:\n      mode: UNSET\n"
                                                  "    81:\n      mode: DISABLE"),
                 80, MtlsMode::kStrict, PolicyLevel::kNamespace, "PeerAuthentication foo/default",
                 "port 80 is UNSET"},
        ModeCase{"PortSetWhileWorkloadUnset",
                 peerAuthn("foo", "default", "  mtls:\n    mode: STRICT") +
                     peerAuthn("foo", "httpbin",
                               kHttpbinSelector + "  portLevelMtls:\n    80:\n      mode: UNSET\n"
                                                  "    81:\n      mode: DISABLE"),
                 81, MtlsMode::kDisable, PolicyLevel::kPort, "PeerAuthentication foo/httpbin", ""},
        ModeCase{"OldestNamespacePolicyWins",
                 peerAuthn("foo", "newer", "  mtls:\n    mode: DISABLE", "2024-06-01T00:00:00Z") +
                     peerAuthn("foo", "older", "  mtls:\n    mode: STRICT", "2024-01-01T00:00:00Z"),
                 80, MtlsMode::kStrict, PolicyLevel::kNamespace, "PeerAuthentication foo/older",
                 "oldest of 2"},
        ModeCase{"OldestWorkloadPolicyWins",
                 peerAuthn("foo", "a-newer", kHttpbinSelector + "  mtls:\n    mode: STRICT",
                           "2024-06-01T00:00:00Z") +
                     peerAuthn("foo", "z-older", kHttpbinSelector + "  mtls:\n    mode: DISABLE",
                               "2024-01-01T00:00:00Z"),
                 80, MtlsMode::kDisable, PolicyLevel::kWorkload, "PeerAuthentication foo/z-older",
                 "oldest of 2"},
        ModeCase{"ApplyOrderDecidesWithoutTimestamps",
                 peerAuthn("foo", "zz-first", "  mtls:\n    mode: STRICT") +
                     peerAuthn("foo", "aa-second", "  mtls:\n    mode: DISABLE"),
                 80, MtlsMode::kStrict, PolicyLevel::kNamespace, "PeerAuthentication foo/zz-first",
                 ""},
        ModeCase{"SameTimestampFallsBackToName",
                 peerAuthn("foo", "b", "  mtls:\n    mode: DISABLE", "2024-01-01T00:00:00Z") +
                     peerAuthn("foo", "a", "  mtls:\n    mode: STRICT", "2024-01-01T00:00:00Z"),
                 80, MtlsMode::kStrict, PolicyLevel::kNamespace, "PeerAuthentication foo/a", ""}),
    [](const ::testing::TestParamInfo<ModeCase>& testCase) { return testCase.param.name; });

TEST(PeerAuthnRootNamespace, SelectorPolicyAppliesToRootNamespaceWorkloads) {
  TestCluster cluster;
  cluster.deployWalkthrough();
  cluster.applyFile("samples/httpbin/httpbin.yaml", "istio-system");
  cluster.apply(
      peerAuthn("istio-system", "httpbin", kHttpbinSelector + "  mtls:\n    mode: STRICT"));
  EXPECT_EQ(
      policy::effectivePeerAuthn(cluster.snapshot(), cluster.workload("istio-system", "httpbin"))
          .fallback.mode,
      MtlsMode::kStrict);
  EXPECT_EQ(policy::effectivePeerAuthn(cluster.snapshot(), cluster.workload("foo", "httpbin"))
                .fallback.mode,
            MtlsMode::kPermissive);
}

TEST(PeerAuthnRootNamespace, ConfigurableRootNamespace) {
  policy::MeshConfig mesh;
  mesh.rootNamespace = "mesh-root";
  TestCluster cluster(mesh);
  cluster.deployWalkthrough();
  cluster.apply(kMeshStrict);
  EXPECT_EQ(policy::effectivePeerAuthn(cluster.snapshot(), cluster.workload("foo", "httpbin"))
                .fallback.mode,
            MtlsMode::kPermissive);
  cluster.apply(peerAuthn("mesh-root", "default", "  mtls:\n    mode: STRICT"));
  EXPECT_EQ(policy::effectivePeerAuthn(cluster.snapshot(), cluster.workload("foo", "httpbin"))
                .fallback.mode,
            MtlsMode::kStrict);
}

struct EnrollmentCase {
  std::string name;
  std::string namespaceLabel;  // value of istio.io/dataplane-mode on the namespace, or empty
  std::string podLabel;        // value on the pod, or empty
  bool enrolled;
};

class EnrollmentTest : public ::testing::TestWithParam<EnrollmentCase> {};

TEST_P(EnrollmentTest, PodEnrollment) {
  const EnrollmentCase& c = GetParam();
  TestCluster cluster;
  config::Labels nsLabels;
  if (!c.namespaceLabel.empty()) nsLabels["istio.io/dataplane-mode"] = c.namespaceLabel;
  cluster.createNamespace("apps", nsLabels);
  std::string pod =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: apps\n  labels:\n    app: "
      "web\n";
  if (!c.podLabel.empty()) pod += "    istio.io/dataplane-mode: " + c.podLabel + "\n";
  pod += "spec:\n  containers:\n  - name: web\n    image: nginx\nstatus:\n  podIP: 10.244.1.7\n";
  cluster.apply(pod);
  const policy::Workload& web = cluster.workload("apps", "web");
  EXPECT_EQ(web.enrolled, c.enrolled) << web.enrollmentReason;
  EXPECT_EQ(web.identity, "spiffe://cluster.local/ns/apps/sa/default");
  EXPECT_EQ(cluster.snapshot().workloadByIp("10.244.1.7"), &web);
}

INSTANTIATE_TEST_SUITE_P(
    Labels, EnrollmentTest,
    ::testing::Values(EnrollmentCase{"NamespaceAmbient", "ambient", "", true},
                      EnrollmentCase{"PodAmbient", "", "ambient", true},
                      EnrollmentCase{"PodOptsOut", "ambient", "none", false},
                      EnrollmentCase{"NothingLabelled", "", "", false},
                      EnrollmentCase{"OtherNamespaceValue", "sidecar", "", false}),
    [](const ::testing::TestParamInfo<EnrollmentCase>& testCase) { return testCase.param.name; });

}  // namespace
}  // namespace ztls::testing
