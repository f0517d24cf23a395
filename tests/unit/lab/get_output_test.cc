// `ztls-lab get`: selection, label selectors, jsonpath and kubectl's printers.
#include "lab/get_output.h"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "lab/objects.h"

namespace ztls::lab {
namespace {

const char* const kCluster = R"(---
apiVersion: v1
kind: Namespace
metadata:
  name: foo
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: foo
spec:
  clusterIP: 10.96.0.10
  selector:
    app: httpbin
  ports:
  - port: 8000
---
apiVersion: v1
kind: Service
metadata:
  name: sleep
  namespace: bar
spec:
  clusterIP: 10.96.0.11
  selector:
    app: sleep
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin
  namespace: foo
spec:
  replicas: 1
  template:
    metadata:
      labels:
        app: httpbin
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: STRICT
---
apiVersion: v1
kind: Pod
metadata:
  name: sleep-1
  namespace: bar
  labels:
    app: sleep
    release: 1-2
spec:
  containers:
  - name: sleep
    image: curlimages/curl
)";

nlohmann::json serviceList() {
  return nlohmann::json::parse(R"({
    "apiVersion": "v1", "kind": "List",
    "items": [
      {"kind": "Service", "metadata": {"name": "httpbin", "namespace": "foo"},
       "spec": {"clusterIP": "10.96.0.10", "ports": [{"port": 8000}]}},
      {"kind": "Service", "metadata": {"name": "sleep", "namespace": "bar"},
       "spec": {"clusterIP": "10.96.0.11", "ports": [{"port": 80}]}}
    ]})");
}

struct JsonPathCase {
  std::string expression;
  std::string expected;
};

class JsonPathOnListTest : public ::testing::TestWithParam<JsonPathCase> {};

TEST_P(JsonPathOnListTest, EvaluatesLikeKubectl) {
  EXPECT_EQ(evaluateJsonPath(serviceList(), GetParam().expression), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Expressions, JsonPathOnListTest,
    ::testing::Values(JsonPathCase{"{.items..metadata.name}", "httpbin sleep"},
                      JsonPathCase{"{.items[0].metadata.name}", "httpbin"},
                      JsonPathCase{"{.items[-1].metadata.name}", "sleep"},
                      JsonPathCase{"{.items[*].spec.clusterIP}", "10.96.0.10 10.96.0.11"},
                      JsonPathCase{"{.items[*].spec.ports[0].port}", "8000 80"},
                      JsonPathCase{"{.items[5].metadata.name}", ""},
                      JsonPathCase{"{.items[*].status.podIP}", ""},
                      JsonPathCase{"{.kind}", "List"}));

TEST(JsonPath, SingleObjectField) {
  const auto service = serviceList()["items"][0];
  EXPECT_EQ(evaluateJsonPath(service, "{.metadata.name}"), "httpbin");
  EXPECT_EQ(evaluateJsonPath(service, "{.metadata.labels}"), "");
}

TEST(JsonPath, MalformedExpressionsAreErrors) {
  for (const std::string expression : {"{metadata.name}", "{}", "{.items[0}"}) {
    EXPECT_THROW(evaluateJsonPath(serviceList(), expression), std::runtime_error) << expression;
  }
}

// kubectl reports a bad index as a jsonpath error; a bare "stol" from std::stol tells
// the user nothing.
TEST(JsonPath, NonNumericIndexIsAJsonPathError) {
  try {
    evaluateJsonPath(serviceList(), "{.items[x].metadata.name}");
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("jsonpath"), std::string::npos) << error.what();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "threw " << error.what() << " instead of a jsonpath error";
  }
}

struct SelectorCase {
  std::string selector;
  bool matches;
};

class LabelsMatchTest : public ::testing::TestWithParam<SelectorCase> {};

TEST_P(LabelsMatchTest, MatchesAppSleepVersionV1) {
  const nlohmann::json labels = {{"app", "sleep"}, {"version", "v1"}};
  EXPECT_EQ(labelsMatch(labels, GetParam().selector), GetParam().matches) << GetParam().selector;
}

INSTANTIATE_TEST_SUITE_P(
    Selectors, LabelsMatchTest,
    ::testing::Values(
        SelectorCase{"", true}, SelectorCase{"app=sleep", true}, SelectorCase{"app=httpbin", false},
        SelectorCase{"app==sleep", true}, SelectorCase{"app==httpbin", false},
        SelectorCase{"app!=sleep", false}, SelectorCase{"app!=httpbin", true},
        SelectorCase{"team!=a", true}, SelectorCase{"app", true}, SelectorCase{"team", false},
        SelectorCase{"!app", false}, SelectorCase{"!team", true},
        SelectorCase{"app=sleep,version=v1", true}, SelectorCase{"app=sleep,version=v2", false},
        SelectorCase{"app=sleep,!team", true}, SelectorCase{"app=sleep,team", false}));

std::vector<std::string> names(const std::vector<nlohmann::json>& objects) {
  std::vector<std::string> result;
  for (const auto& object : objects) result.push_back(object["metadata"]["name"]);
  return result;
}

TEST(SelectObjects, FiltersByKindNamespaceAndName) {
  std::vector<std::string> notFound;
  EXPECT_EQ(names(selectObjects(kCluster, {"Service", {}, std::nullopt, "", ""}, notFound)),
            (std::vector<std::string>{"sleep", "httpbin"}));  // sorted by namespace, then name
  EXPECT_EQ(names(selectObjects(kCluster, {"Service", {}, "foo", "", ""}, notFound)),
            (std::vector<std::string>{"httpbin"}));
  EXPECT_EQ(names(selectObjects(kCluster, {"Service", {"sleep", "gone"}, "bar", "", ""}, notFound)),
            (std::vector<std::string>{"sleep"}));
  EXPECT_EQ(notFound, (std::vector<std::string>{"gone"}));
}

TEST(SelectObjects, TypesNumbersFromTheYaml) {
  std::vector<std::string> notFound;
  const auto services = selectObjects(kCluster, {"Service", {"httpbin"}, "foo", "", ""}, notFound);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0]["spec"]["ports"][0]["port"], 8000);
}

// "1-2" is a string in YAML; only its first digits look like a number.
TEST(SelectObjects, KeepsStringsThatStartWithDigitsAsStrings) {
  std::vector<std::string> notFound;
  const auto pods = selectObjects(kCluster, {"Pod", {}, std::nullopt, "release=1-2", ""}, notFound);
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["metadata"]["labels"]["release"], "1-2");
}

// Label values are strings even when they look like numbers or booleans; the state
// stores re-emitted YAML, so `get` must not lose that.
TEST(SelectObjects, LabelValuesThatLookLikeNumbersStillMatchSelectors) {
  LabState state;
  std::vector<std::string> warnings;
  applyObjects(state,
               {"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n  labels:\n"
                "    version: \"1\"\n",
                "ns.yaml", std::nullopt},
               warnings);
  labelObject(state, "Namespace", "", "foo", {"tier=2", "canary=true"}, false);
  const std::string cluster = "---\n" + state.objects[0].yaml;
  for (const std::string selector : {"version=1", "tier=2", "canary=true"}) {
    std::vector<std::string> notFound;
    EXPECT_EQ(
        selectObjects(cluster, {"Namespace", {}, std::nullopt, selector, ""}, notFound).size(), 1u)
        << selector;
  }
}

TEST(SelectObjects, LabelSelectorFilters) {
  std::vector<std::string> notFound;
  EXPECT_EQ(names(selectObjects(kCluster, {"Pod", {}, std::nullopt, "app=sleep", ""}, notFound)),
            (std::vector<std::string>{"sleep-1"}));
  EXPECT_TRUE(
      selectObjects(kCluster, {"Pod", {}, std::nullopt, "app=httpbin", ""}, notFound).empty());
}

struct Printed {
  int code;
  std::string out;
  std::string err;
};

Printed print(const GetQuery& query) {
  std::vector<std::string> notFound;
  const auto objects = selectObjects(kCluster, query, notFound);
  std::ostringstream out;
  std::ostringstream err;
  const int code = printObjects(objects, query, notFound, out, err);
  return {code, out.str(), err.str()};
}

TEST(PrintObjects, NothingFoundInAllNamespaces) {
  const Printed printed = print({"AuthorizationPolicy", {}, std::nullopt, "", ""});
  EXPECT_EQ(printed.code, 0);
  EXPECT_EQ(printed.out, "");
  EXPECT_EQ(printed.err, "No resources found.\n");
}

TEST(PrintObjects, NothingFoundInOneNamespace) {
  const Printed printed = print({"Service", {}, "baz", "", ""});
  EXPECT_EQ(printed.out, "");
  EXPECT_EQ(printed.err, "No resources found in baz namespace.\n");
}

TEST(PrintObjects, MissingNameIsNotFoundWithExitCodeOne) {
  const Printed printed = print({"Service", {"gone"}, "foo", "", ""});
  EXPECT_EQ(printed.code, 1);
  EXPECT_EQ(printed.out, "");
  EXPECT_EQ(printed.err, "Error from server (NotFound): service \"gone\" not found\n");
}

TEST(PrintObjects, NameOutputUsesQualifiedResource) {
  const Printed printed = print({"Deployment", {}, "foo", "", "name"});
  EXPECT_EQ(printed.out, "deployment.apps/httpbin\n");
  EXPECT_EQ(printed.err, "");
}

TEST(PrintObjects, TableHasAlignedColumnsAndHeader) {
  // No creationTimestamp in the fixture, so AGE is kubectl's "<unknown>".
  const Printed printed = print({"PeerAuthentication", {}, "foo", "", ""});
  EXPECT_EQ(printed.out,
            "NAME      MODE     AGE\n"
            "default   STRICT   <unknown>\n");
}

TEST(PrintObjects, TableForAllNamespacesStartsWithNamespaceColumn) {
  const Printed printed = print({"Service", {}, std::nullopt, "", ""});
  EXPECT_EQ(printed.out.rfind("NAMESPACE   NAME      TYPE        CLUSTER-IP", 0), 0u)
      << printed.out;
  EXPECT_NE(printed.out.find("foo         httpbin   ClusterIP   10.96.0.10   <none>        "
                             "8000/TCP"),
            std::string::npos)
      << printed.out;
}

TEST(PrintObjects, JsonPathOnOneNamedObjectSeesTheObject) {
  const Printed printed = print({"Service", {"httpbin"}, "foo", "", "jsonpath={.spec.clusterIP}"});
  EXPECT_EQ(printed.out, "10.96.0.10");
}

TEST(PrintObjects, JsonPathWithoutNamesSeesAList) {
  const Printed printed =
      print({"Service", {}, std::nullopt, "", "jsonpath={.items[*].metadata.name}"});
  EXPECT_EQ(printed.out, "sleep httpbin");
}

TEST(PrintObjects, UnknownOutputFormatIsAnError) {
  try {
    print({"Service", {}, "foo", "", "xml"});
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()),
              "error: unable to match a printer suitable for the output format \"xml\", allowed "
              "formats are: json,jsonpath,name,wide,yaml");
  }
}

}  // namespace
}  // namespace ztls::lab
