// The lab's API server: what `ztls-lab apply/delete/label` change in the state and the
// kubectl lines they print.
#include "lab/objects.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace ztls::lab {
namespace {

std::string readSample(const std::string& relative) {
  std::ifstream in(std::string(ZTLS_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string namespaceYaml(const std::string& name) {
  return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n";
}

std::string peerAuthenticationYaml(const std::string& name, const std::string& mode) {
  return "apiVersion: security.istio.io/v1\n"
         "kind: PeerAuthentication\n"
         "metadata:\n"
         "  name: " +
         name +
         "\n"
         "spec:\n"
         "  mtls:\n"
         "    mode: " +
         mode + "\n";
}

// Runs `fn`, which must throw std::runtime_error, and returns its message.
template <typename Fn>
std::string thrownMessage(Fn fn) {
  try {
    fn();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected std::runtime_error";
  return "";
}

std::vector<std::string> keys(const std::vector<ObjectRecord>& records) {
  std::vector<std::string> result;
  for (const auto& record : records) result.push_back(record.key());
  return result;
}

class ObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    apply(namespaceYaml("foo"));
    apply(namespaceYaml("bar"));
  }

  std::vector<std::string> apply(const std::string& text,
                                 const std::optional<std::string>& ns = std::nullopt,
                                 const std::string& source = "test.yaml") {
    return applyObjects(state_, {text, source, ns}, warnings_);
  }

  std::vector<std::string> applyHttpbin(const std::string& ns) {
    return apply(httpbin_, ns, "samples/httpbin/httpbin.yaml");
  }

  YAML::Node stored(const std::string& kind, const std::string& ns, const std::string& name) {
    const ObjectRecord* record = state_.findObject(kind, ns, name);
    if (record == nullptr) {
      ADD_FAILURE() << "no " << kind << " " << ns << "/" << name;
      return YAML::Node();
    }
    return YAML::Load(record->yaml);
  }

  LabState state_;
  std::vector<std::string> warnings_;
  const std::string httpbin_ = readSample("samples/httpbin/httpbin.yaml");
};

TEST_F(ObjectsTest, ApplyingHttpbinCreatesEachObjectInTheNamespace) {
  EXPECT_EQ(applyHttpbin("foo"),
            (std::vector<std::string>{"serviceaccount/httpbin created", "service/httpbin created",
                                      "deployment.apps/httpbin created"}));
  EXPECT_TRUE(warnings_.empty());
  EXPECT_EQ(stored("Deployment", "foo", "httpbin")["metadata"]["namespace"].as<std::string>(),
            "foo");
}

TEST_F(ObjectsTest, ReapplyingTheSameManifestReportsUnchanged) {
  applyHttpbin("foo");
  EXPECT_EQ(applyHttpbin("foo"), (std::vector<std::string>{"serviceaccount/httpbin unchanged",
                                                           "service/httpbin unchanged",
                                                           "deployment.apps/httpbin unchanged"}));
}

TEST_F(ObjectsTest, ChangingOneFieldReportsOnlyThatObjectConfigured) {
  applyHttpbin("foo");
  std::string changed = httpbin_;
  changed.replace(changed.find("replicas: 1"), 11, "replicas: 2");
  EXPECT_EQ(
      apply(changed, "foo"),
      (std::vector<std::string>{"serviceaccount/httpbin unchanged", "service/httpbin unchanged",
                                "deployment.apps/httpbin configured"}));
  EXPECT_EQ(stored("Deployment", "foo", "httpbin")["spec"]["replicas"].as<int>(), 2);
}

TEST_F(ObjectsTest, ServiceKeepsItsClusterIpWhenReapplied) {
  applyHttpbin("foo");
  const std::string clusterIp =
      stored("Service", "foo", "httpbin")["spec"]["clusterIP"].as<std::string>();
  EXPECT_TRUE(std::regex_match(clusterIp, std::regex(R"(10\.96\.\d{1,3}\.\d{1,3})"))) << clusterIp;

  std::string changed = httpbin_;
  changed.replace(changed.find("port: 8000"), 10, "port: 8001");
  EXPECT_EQ(apply(changed, "foo")[1], "service/httpbin configured");
  EXPECT_EQ(stored("Service", "foo", "httpbin")["spec"]["clusterIP"].as<std::string>(), clusterIp);
}

TEST_F(ObjectsTest, ServicesInDifferentNamespacesGetDifferentClusterIps) {
  applyHttpbin("foo");
  applyHttpbin("bar");
  EXPECT_NE(stored("Service", "foo", "httpbin")["spec"]["clusterIP"].as<std::string>(),
            stored("Service", "bar", "httpbin")["spec"]["clusterIP"].as<std::string>());
}

TEST_F(ObjectsTest, ReapplyKeepsTheCreationTimestamp) {
  applyHttpbin("foo");
  const std::string created =
      stored("Deployment", "foo", "httpbin")["metadata"]["creationTimestamp"].as<std::string>();
  std::string changed = httpbin_;
  changed.replace(changed.find("replicas: 1"), 11, "replicas: 3");
  apply(changed, "foo");
  EXPECT_EQ(
      stored("Deployment", "foo", "httpbin")["metadata"]["creationTimestamp"].as<std::string>(),
      created);
}

// Kubernetes never hands out an address a Service already holds.
TEST_F(ObjectsTest, AllocatedClusterIpSkipsAnAddressAlreadyTaken) {
  apply(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: fixed\nspec:\n  clusterIP: "
      "10.96.0.10\n  ports:\n  - port: 80\n",
      "foo");
  apply("apiVersion: v1\nkind: Service\nmetadata:\n  name: auto\nspec:\n  ports:\n  - port: 80\n",
        "foo");
  EXPECT_NE(stored("Service", "foo", "auto")["spec"]["clusterIP"].as<std::string>(), "10.96.0.10");
}

// `kubectl get -o yaml` output is a List; applying it back must apply its items.
TEST_F(ObjectsTest, ListInputAppliesItsItems) {
  const std::string list =
      "apiVersion: v1\nkind: List\nitems:\n"
      "- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: a\n    namespace: foo\n";
  EXPECT_EQ(apply(list), (std::vector<std::string>{"serviceaccount/a created"}));
  EXPECT_NE(state_.findObject("ServiceAccount", "foo", "a"), nullptr);
}

// An empty metadata.namespace means "not set", as the ztls loader and kubectl treat it.
TEST_F(ObjectsTest, EmptyNamespaceFieldMeansTheNamespaceFlag) {
  EXPECT_EQ(apply("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n  namespace: \"\"\n",
                  "foo"),
            (std::vector<std::string>{"serviceaccount/b created"}));
  EXPECT_NE(state_.findObject("ServiceAccount", "foo", "b"), nullptr);
}

TEST_F(ObjectsTest, NamespaceAndItsObjectsCanComeInOneInput) {
  EXPECT_EQ(
      apply(namespaceYaml("baz") + "---\n" + peerAuthenticationYaml("default", "STRICT"), "baz"),
      (std::vector<std::string>{"namespace/baz created",
                                "peerauthentication.security.istio.io/default created"}));
}

TEST_F(ObjectsTest, ApplyingIntoAMissingNamespaceFailsAndChangesNothing) {
  const LabState before = state_;
  EXPECT_EQ(thrownMessage([&] { apply(httpbin_, "nope", "httpbin.yaml"); }),
            "Error from server (NotFound): error when creating \"httpbin.yaml\": namespaces "
            "\"nope\" not found");
  EXPECT_EQ(keys(state_.objects), keys(before.objects));
  EXPECT_EQ(state_.nextServiceAddress, before.nextServiceAddress);
}

TEST_F(ObjectsTest, InvalidFieldRejectsTheWholeInputNamingFileAndField) {
  const std::string input = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ok\n---\n" +
                            peerAuthenticationYaml("default", "STRICTT");
  const std::string message = thrownMessage([&] { apply(input, "foo", "bad.yaml"); });
  EXPECT_NE(message.find("bad.yaml:"), std::string::npos) << message;
  EXPECT_NE(message.find("spec.mtls.mode"), std::string::npos) << message;
  EXPECT_NE(message.find("STRICTT"), std::string::npos) << message;
  EXPECT_EQ(state_.findObject("ServiceAccount", "foo", "ok"), nullptr);
  EXPECT_EQ(state_.objects.size(), 2u);
}

TEST_F(ObjectsTest, NamespaceFlagMustMatchTheDocumentsNamespace) {
  const std::string input =
      "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  namespace: bar\n";
  const std::string message = thrownMessage([&] { apply(input, "foo", "sa.yaml"); });
  EXPECT_NE(message.find("the namespace from the object \"bar\" does not match the namespace "
                         "\"foo\" given on the command line"),
            std::string::npos)
      << message;
  EXPECT_EQ(state_.findObject("ServiceAccount", "bar", "sa"), nullptr);
}

TEST_F(ObjectsTest, UnknownKindsAreSkippedWithAWarning) {
  const std::string input =
      "apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata:\n  name: gw\n---\n"
      "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n";
  EXPECT_EQ(apply(input, "foo"), (std::vector<std::string>{"serviceaccount/sa created"}));
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("Gateway (networking.istio.io/v1beta1) is not used by ztls; skipped"),
            std::string::npos)
      << warnings_[0];
  EXPECT_EQ(state_.objects.size(), 3u);
}

TEST_F(ObjectsTest, DeletingByNameReportsMissingNames) {
  apply(peerAuthenticationYaml("default", "STRICT"), "foo");
  std::vector<std::string> errors;
  const auto deleted =
      deleteObjects(state_, "PeerAuthentication", {"default", "x"}, "foo", false, errors);
  EXPECT_EQ(keys(deleted), (std::vector<std::string>{"PeerAuthentication/foo/default"}));
  EXPECT_EQ(errors, (std::vector<std::string>{"Error from server (NotFound): "
                                              "peerauthentication.security.istio.io \"x\" not "
                                              "found"}));
  EXPECT_EQ(state_.findObject("PeerAuthentication", "foo", "default"), nullptr);
}

TEST_F(ObjectsTest, DeletingByNameOnlyLooksInTheGivenNamespace) {
  apply(peerAuthenticationYaml("default", "STRICT"), "bar");
  std::vector<std::string> errors;
  EXPECT_TRUE(
      deleteObjects(state_, "PeerAuthentication", {"default"}, "foo", false, errors).empty());
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_NE(state_.findObject("PeerAuthentication", "bar", "default"), nullptr);
}

TEST_F(ObjectsTest, DeletingANamespaceDeletesWhatLivesInIt) {
  applyHttpbin("foo");
  applyHttpbin("bar");
  std::vector<std::string> errors;
  // -n is ignored for cluster-scoped kinds, as kubectl ignores it.
  const auto deleted = deleteObjects(state_, "Namespace", {"foo"}, "bar", false, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(keys(deleted),
            (std::vector<std::string>{"Namespace//foo", "ServiceAccount/foo/httpbin",
                                      "Service/foo/httpbin", "Deployment/foo/httpbin"}));
  EXPECT_EQ(keys(state_.objects),
            (std::vector<std::string>{"Namespace//bar", "ServiceAccount/bar/httpbin",
                                      "Service/bar/httpbin", "Deployment/bar/httpbin"}));
}

TEST_F(ObjectsTest, DeleteAllOnlyTouchesTheGivenNamespace) {
  applyHttpbin("foo");
  applyHttpbin("bar");
  std::vector<std::string> errors;
  const auto deleted = deleteObjects(state_, "Service", {}, "foo", true, errors);
  EXPECT_EQ(keys(deleted), (std::vector<std::string>{"Service/foo/httpbin"}));
  EXPECT_NE(state_.findObject("Service", "bar", "httpbin"), nullptr);
  EXPECT_NE(state_.findObject("Deployment", "foo", "httpbin"), nullptr);
}

TEST_F(ObjectsTest, DeleteAllWithoutNamespaceTouchesEveryNamespace) {
  applyHttpbin("foo");
  applyHttpbin("bar");
  std::vector<std::string> errors;
  const auto deleted = deleteObjects(state_, "Service", {}, std::nullopt, true, errors);
  EXPECT_EQ(keys(deleted),
            (std::vector<std::string>{"Service/foo/httpbin", "Service/bar/httpbin"}));
}

TEST_F(ObjectsTest, DeletingAFileDeletesTheObjectsItNames) {
  applyHttpbin("foo");
  applyHttpbin("bar");
  std::vector<std::string> errors;
  const auto deleted = deleteObjectsIn(state_, {httpbin_, "httpbin.yaml", "foo"}, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(keys(deleted),
            (std::vector<std::string>{"ServiceAccount/foo/httpbin", "Service/foo/httpbin",
                                      "Deployment/foo/httpbin"}));
  EXPECT_NE(state_.findObject("Deployment", "bar", "httpbin"), nullptr);
}

TEST_F(ObjectsTest, LabelAddsAndOverwritesOnlyWithOverwrite) {
  EXPECT_EQ(labelObject(state_, "Namespace", "", "foo", {"istio.io/dataplane-mode=ambient"}, false),
            "namespace/foo labeled");
  EXPECT_EQ(stored("Namespace", "", "foo")["metadata"]["labels"]["istio.io/dataplane-mode"]
                .as<std::string>(),
            "ambient");

  EXPECT_EQ(labelObject(state_, "Namespace", "", "foo", {"istio.io/dataplane-mode=ambient"}, false),
            "namespace/foo not labeled");

  EXPECT_EQ(thrownMessage([&] {
              labelObject(state_, "Namespace", "", "foo", {"istio.io/dataplane-mode=none"}, false);
            }),
            "error: 'istio.io/dataplane-mode' already has a value (ambient), and --overwrite is "
            "false");
  EXPECT_EQ(stored("Namespace", "", "foo")["metadata"]["labels"]["istio.io/dataplane-mode"]
                .as<std::string>(),
            "ambient");

  EXPECT_EQ(labelObject(state_, "Namespace", "", "foo", {"istio.io/dataplane-mode=none"}, true),
            "namespace/foo labeled");
  EXPECT_EQ(stored("Namespace", "", "foo")["metadata"]["labels"]["istio.io/dataplane-mode"]
                .as<std::string>(),
            "none");
}

TEST_F(ObjectsTest, LabelWithTrailingDashRemovesTheLabel) {
  labelObject(state_, "Namespace", "", "foo", {"team=a"}, false);
  EXPECT_EQ(labelObject(state_, "Namespace", "", "foo", {"team-"}, false),
            "namespace/foo unlabeled");
  EXPECT_FALSE(stored("Namespace", "", "foo")["metadata"]["labels"]);
}

TEST_F(ObjectsTest, RemovingAnAbsentLabelChangesNothing) {
  EXPECT_EQ(labelObject(state_, "Namespace", "", "foo", {"team-"}, false),
            "namespace/foo not labeled");
}

TEST_F(ObjectsTest, LabelingANamespacedObjectUsesItsNamespace) {
  applyHttpbin("foo");
  EXPECT_EQ(labelObject(state_, "Deployment", "foo", "httpbin", {"tier=backend"}, false),
            "deployment.apps/httpbin labeled");
  EXPECT_EQ(thrownMessage([&] {
              labelObject(state_, "Deployment", "bar", "httpbin", {"tier=backend"}, false);
            }),
            "Error from server (NotFound): deployment.apps \"httpbin\" not found");
}

TEST_F(ObjectsTest, LabelWithoutEqualsOrDashIsAnError) {
  EXPECT_EQ(thrownMessage([&] { labelObject(state_, "Namespace", "", "foo", {"team"}, false); }),
            "error: invalid label \"team\": expected KEY=VALUE, or KEY- to remove it");
}

struct ResourceCase {
  std::string resource;
  std::string kind;
};

class KindForResourceTest : public ::testing::TestWithParam<ResourceCase> {};

TEST_P(KindForResourceTest, MapsKubectlResourceNamesToKinds) {
  EXPECT_EQ(kindForResource(GetParam().resource), GetParam().kind);
}

INSTANTIATE_TEST_SUITE_P(
    KubectlNames, KindForResourceTest,
    ::testing::Values(ResourceCase{"pods", "Pod"}, ResourceCase{"po", "Pod"},
                      ResourceCase{"Pod", "Pod"}, ResourceCase{"deploy", "Deployment"},
                      ResourceCase{"deployment.apps", "Deployment"}, ResourceCase{"svc", "Service"},
                      ResourceCase{"ns", "Namespace"}, ResourceCase{"sa", "ServiceAccount"},
                      ResourceCase{"pa", "PeerAuthentication"},
                      ResourceCase{"ra", "RequestAuthentication"},
                      ResourceCase{"dr", "DestinationRule"},
                      ResourceCase{"ap", "AuthorizationPolicy"},
                      ResourceCase{"destinationrules.networking.istio.io", "DestinationRule"},
                      ResourceCase{"peerauthentication.security.istio.io", "PeerAuthentication"}));

TEST(KindForResource, UnknownResourceIsAnError) {
  EXPECT_EQ(thrownMessage([] { kindForResource("gateways"); }),
            "error: the server doesn't have a resource type \"gateways\"");
}

TEST(QualifiedResource, UsesKubectlGroupSuffixes) {
  EXPECT_EQ(qualifiedResource("Deployment"), "deployment.apps");
  EXPECT_EQ(qualifiedResource("Service"), "service");
  EXPECT_EQ(qualifiedResource("AuthorizationPolicy"), "authorizationpolicy.security.istio.io");
  EXPECT_EQ(qualifiedResource("DestinationRule"), "destinationrule.networking.istio.io");
}

TEST(NowTimestamp, IsRfc3339WithMicroseconds) {
  const std::string now = nowTimestamp();
  EXPECT_TRUE(std::regex_match(now, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << now;
}

}  // namespace
}  // namespace ztls::lab
