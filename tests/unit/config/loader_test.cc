// The loader is the trust boundary between what users write and what ztls enforces, so
// these tests pin exact diagnostics (file, line, object, field, message): a vague or
// mislocated error in a security policy costs users more than a crash would.
#include "ztls/config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ztls/config/model.h"

// AddressSanitizer reserves terabytes of address space up front, so an address-space
// limit cannot be used to bound a test's memory under it.
#if defined(__SANITIZE_ADDRESS__)
#define ZTLS_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZTLS_TEST_UNDER_ASAN 1
#endif
#endif

namespace ztls::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kFile = "test.yaml";

// Inline documents start with a newline after R"( so that the first line of YAML is
// line 1 and the line numbers in expectations can be read straight off the literal.
LoadResult parse(std::string_view text, const LoadOptions& options = {}) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return parseYaml(text, kFile, options);
}

LoadOptions namespaceFlag(std::string ns) {
  LoadOptions options;
  options.defaultNamespace = std::move(ns);
  options.namespaceExplicit = true;
  return options;
}

std::vector<std::string> formatted(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> lines;
  for (const Diagnostic& d : diagnostics) lines.push_back(d.format());
  return lines;
}

std::vector<Diagnostic> warningsOf(const LoadResult& result) {
  std::vector<Diagnostic> warnings;
  for (const Diagnostic& d : result.diagnostics) {
    if (d.severity == Severity::kWarning) warnings.push_back(d);
  }
  return warnings;
}

template <typename T>
const T* findObject(const LoadResult& result, std::string_view ns, std::string_view name) {
  for (const Object& object : result.objects) {
    const T* typed = std::get_if<T>(&object);
    if (typed != nullptr && typed->meta.namespace_ == ns && typed->meta.name == name) return typed;
  }
  return nullptr;
}

std::filesystem::path sourcePath(std::string_view relative) {
  return std::filesystem::path(ZTLS_SOURCE_DIR) / relative;
}

std::filesystem::path fixture(std::string_view name) {
  return sourcePath("tests/fixtures/walkthrough") / name;
}

Labels labels(std::initializer_list<std::pair<const std::string, std::string>> entries) {
  return Labels(entries);
}

// A private directory under /tmp that is removed even when an assertion fails midway.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/ztls-loader-test-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool ok() const { return !path_.empty(); }

  std::filesystem::path write(const std::filesystem::path& relative,
                              std::string_view content) const {
    const std::filesystem::path file = path_ / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  std::filesystem::path path_;
};

std::string serviceAccount(std::string_view name) {
  return "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: " + std::string(name) + "\n";
}

// ---- Samples --------------------------------------------------------------------------

TEST(LoaderSamples, HttpbinLoadsServiceAccountServiceAndDeployment) {
  const std::filesystem::path file = sourcePath("samples/httpbin/httpbin.yaml");
  const LoadResult result = loadPath(file, namespaceFlag("foo"));
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(formatted(result.diagnostics));
  EXPECT_THAT(result.diagnostics, IsEmpty());
  ASSERT_EQ(result.objects.size(), 3u);
  EXPECT_EQ(kindOf(result.objects[0]), Kind::kServiceAccount);
  EXPECT_EQ(kindOf(result.objects[1]), Kind::kService);
  EXPECT_EQ(kindOf(result.objects[2]), Kind::kDeployment);

  const auto* account = findObject<ServiceAccount>(result, "foo", "httpbin");
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(account->meta.origin.file, file.string());
  EXPECT_EQ(account->meta.origin.line, 3);  // after the two comment lines
  EXPECT_FALSE(account->meta.declaredCreation.has_value());

  const auto* service = findObject<Service>(result, "foo", "httpbin");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->meta.origin.line, 8);
  EXPECT_EQ(service->meta.labels, labels({{"app", "httpbin"}, {"service", "httpbin"}}));
  EXPECT_TRUE(service->hasSelector);
  EXPECT_EQ(service->selector, labels({{"app", "httpbin"}}));
  ASSERT_EQ(service->ports.size(), 1u);
  EXPECT_EQ(service->ports[0].name, "http");
  EXPECT_EQ(service->ports[0].port, 8000);
  EXPECT_EQ(service->ports[0].targetPort.number, 80);
  EXPECT_EQ(service->ports[0].targetPort.name, "");
  EXPECT_EQ(service->ports[0].protocol, "TCP");

  const auto* deployment = findObject<Deployment>(result, "foo", "httpbin");
  ASSERT_NE(deployment, nullptr);
  EXPECT_EQ(deployment->meta.origin.line, 23);
  EXPECT_EQ(deployment->replicas, 1);
  EXPECT_EQ(deployment->selector, labels({{"app", "httpbin"}, {"version", "v1"}}));
  EXPECT_EQ(deployment->templateLabels, labels({{"app", "httpbin"}, {"version", "v1"}}));
  EXPECT_EQ(deployment->templateSpec.serviceAccountName, "httpbin");
  ASSERT_EQ(deployment->templateSpec.containers.size(), 1u);
  const Container& container = deployment->templateSpec.containers[0];
  EXPECT_EQ(container.name, "httpbin");
  EXPECT_EQ(container.image, "docker.io/kennethreitz/httpbin");
  ASSERT_EQ(container.ports.size(), 1u);
  EXPECT_EQ(container.ports[0].port, 80);
  EXPECT_EQ(container.ports[0].protocol, "TCP");
}

TEST(LoaderSamples, SleepLoadsWithTargetPortDefaultingToPort) {
  const LoadResult result = loadPath(sourcePath("samples/sleep/sleep.yaml"), LoadOptions{});
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(formatted(result.diagnostics));
  EXPECT_THAT(result.diagnostics, IsEmpty());
  ASSERT_EQ(result.objects.size(), 3u);

  const auto* service = findObject<Service>(result, "default", "sleep");
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(service->ports.size(), 1u);
  EXPECT_EQ(service->ports[0].name, "http");
  EXPECT_EQ(service->ports[0].port, 80);
  EXPECT_EQ(service->ports[0].targetPort.number, 80);
  EXPECT_EQ(service->ports[0].targetPort.name, "");

  const auto* deployment = findObject<Deployment>(result, "default", "sleep");
  ASSERT_NE(deployment, nullptr);
  EXPECT_EQ(deployment->selector, labels({{"app", "sleep"}}));
  EXPECT_EQ(deployment->templateSpec.serviceAccountName, "sleep");
  ASSERT_EQ(deployment->templateSpec.containers.size(), 1u);
  EXPECT_THAT(deployment->templateSpec.containers[0].command,
              ElementsAre("/bin/sleep", "infinity"));
  EXPECT_THAT(deployment->templateSpec.containers[0].ports, IsEmpty());
  EXPECT_NE(findObject<ServiceAccount>(result, "default", "sleep"), nullptr);
}

TEST(LoaderKubernetes, PodReadsStatusIpsAndDefaultsServiceAccount) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: Pod
metadata:
  name: httpbin-1
  namespace: foo
  labels:
    app: httpbin
spec:
  nodeName: node-a
  containers:
  - name: httpbin
    ports:
    - containerPort: 80
      name: http
status:
  podIP: 10.0.0.5
  podIPs:
  - ip: 10.0.0.5
  - ip: fd00::5
---
apiVersion: v1
kind: Pod
metadata:
  name: legacy
  namespace: foo
spec:
  serviceAccount: old-style
  containers:
  - name: c
status:
  podIP: 10.0.0.6
)");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(formatted(result.diagnostics));
  const auto* pod = findObject<Pod>(result, "foo", "httpbin-1");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->spec.serviceAccountName, "default");
  EXPECT_EQ(pod->spec.nodeName, "node-a");
  EXPECT_THAT(pod->podIPs, ElementsAre("10.0.0.5", "fd00::5"));
  ASSERT_EQ(pod->spec.containers.size(), 1u);
  ASSERT_EQ(pod->spec.containers[0].ports.size(), 1u);
  EXPECT_EQ(pod->spec.containers[0].ports[0].name, "http");

  // status.podIP is the fallback for clusters (or manifests) without status.podIPs.
  const auto* legacy = findObject<Pod>(result, "foo", "legacy");
  ASSERT_NE(legacy, nullptr);
  EXPECT_EQ(legacy->spec.serviceAccountName, "old-style");
  EXPECT_THAT(legacy->podIPs, ElementsAre("10.0.0.6"));
}

// ---- Walkthrough fixtures -------------------------------------------------------------

TEST(LoaderWalkthrough, EveryFixtureLoadsWithoutErrors) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(sourcePath("tests/fixtures/walkthrough"))) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  ASSERT_EQ(files.size(), 13u) << "the walkthrough fixtures changed; update this test";
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    // As the walkthrough applies them: `-n bar` / `-n foo` for the per-namespace files,
    // the rest name their own namespace (istio-system) or have none.
    const std::string name = file.filename().string();
    const LoadOptions options = name.starts_with("bar-")   ? namespaceFlag("bar")
                                : name.starts_with("foo-") ? namespaceFlag("foo")
                                                           : LoadOptions{};
    const LoadResult result = loadPath(file, options);
    EXPECT_TRUE(result.ok()) << ::testing::PrintToString(formatted(result.diagnostics));
    EXPECT_THAT(result.errors(), IsEmpty());
    if (file.filename() == "ingress-gateway.yaml") {
      EXPECT_THAT(result.objects, IsEmpty());
    } else {
      EXPECT_EQ(result.objects.size(), 1u);
    }
  }
}

TEST(LoaderWalkthrough, WholeDirectoryLoadsWithOnlyTheSkippedKindWarnings) {
  // Without -n, like `kubectl apply -f dir/` in the default namespace.
  const LoadResult result = loadPath(sourcePath("tests/fixtures/walkthrough"), LoadOptions{});
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(formatted(result.diagnostics));
  EXPECT_EQ(result.objects.size(), 12u);
  ASSERT_EQ(result.diagnostics.size(), 2u)
      << ::testing::PrintToString(formatted(result.diagnostics));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("Gateway"));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("VirtualService"));
}

TEST(LoaderWalkthrough, NamespaceDefaultStrictTakesTheNamespaceFromTheCommandLine) {
  const std::filesystem::path file = fixture("namespace-default-strict.yaml");
  const LoadResult plain = loadPath(file, LoadOptions{});
  ASSERT_TRUE(plain.ok());
  const auto* inDefault = findObject<PeerAuthentication>(plain, "default", "default");
  ASSERT_NE(inDefault, nullptr);
  EXPECT_EQ(inDefault->mode, MtlsMode::kStrict);
  EXPECT_FALSE(inDefault->selector.has_value());
  EXPECT_THAT(inDefault->portLevelMtls, IsEmpty());

  const LoadResult inFoo = loadPath(file, namespaceFlag("foo"));
  ASSERT_TRUE(inFoo.ok());
  ASSERT_NE(findObject<PeerAuthentication>(inFoo, "foo", "default"), nullptr);
}

TEST(LoaderWalkthrough, MeshStrictIsANamespaceWidePolicyInTheRootNamespace) {
  const LoadResult result = loadPath(fixture("mesh-strict.yaml"), LoadOptions{});
  ASSERT_TRUE(result.ok());
  // No selector: the root-namespace placement warning must not fire for the mesh policy.
  EXPECT_THAT(result.diagnostics, IsEmpty());
  const auto* policy = findObject<PeerAuthentication>(result, "istio-system", "default");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->mode, MtlsMode::kStrict);
  EXPECT_FALSE(policy->selector.has_value());
}

TEST(LoaderWalkthrough, FooNamespaceStrict) {
  const LoadResult result = loadPath(fixture("foo-namespace-strict.yaml"), LoadOptions{});
  ASSERT_TRUE(result.ok());
  const auto* policy = findObject<PeerAuthentication>(result, "foo", "default");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->mode, MtlsMode::kStrict);
  EXPECT_FALSE(policy->selector.has_value());
}

TEST(LoaderWalkthrough, BarHttpbinStrictSelectsTheWorkload) {
  const LoadResult result = loadPath(fixture("bar-httpbin-strict.yaml"), LoadOptions{});
  ASSERT_TRUE(result.ok());
  const auto* policy = findObject<PeerAuthentication>(result, "bar", "httpbin");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->mode, MtlsMode::kStrict);
  ASSERT_TRUE(policy->selector.has_value());
  EXPECT_EQ(*policy->selector, labels({{"app", "httpbin"}}));
  EXPECT_THAT(policy->portLevelMtls, IsEmpty());
}

TEST(LoaderWalkthrough, BarHttpbinPortLevelDisablesPort80) {
  const LoadResult result = loadPath(fixture("bar-httpbin-port-level.yaml"), namespaceFlag("bar"));
  ASSERT_TRUE(result.ok());
  const auto* policy = findObject<PeerAuthentication>(result, "bar", "httpbin");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->mode, MtlsMode::kStrict);
  ASSERT_TRUE(policy->selector.has_value());
  EXPECT_EQ(*policy->selector, labels({{"app", "httpbin"}}));
  const std::map<std::uint16_t, MtlsMode> expected{{80, MtlsMode::kDisable}};
  EXPECT_EQ(policy->portLevelMtls, expected);
}

TEST(LoaderWalkthrough, FooOverwriteExampleDisablesForTheSelectedWorkload) {
  const LoadResult result = loadPath(fixture("foo-overwrite-example.yaml"), LoadOptions{});
  ASSERT_TRUE(result.ok());
  const auto* policy = findObject<PeerAuthentication>(result, "foo", "overwrite-example");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->mode, MtlsMode::kDisable);
  ASSERT_TRUE(policy->selector.has_value());
  EXPECT_EQ(*policy->selector, labels({{"app", "httpbin"}}));
}

TEST(LoaderWalkthrough, BarDestinationRuleIsIstioMutual) {
  const LoadResult result =
      loadPath(fixture("bar-httpbin-destinationrule.yaml"), namespaceFlag("bar"));
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result.diagnostics, IsEmpty());
  const auto* rule = findObject<DestinationRule>(result, "bar", "httpbin");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->host, "httpbin.bar.svc.cluster.local");
  ASSERT_TRUE(rule->tls.has_value());
  EXPECT_EQ(*rule->tls, ClientTlsMode::kIstioMutual);
  EXPECT_THAT(rule->portLevelSettings, IsEmpty());
}

TEST(LoaderWalkthrough, BarDestinationRulePortLevelDisablesServicePort8000) {
  const LoadResult result =
      loadPath(fixture("bar-httpbin-destinationrule-port-level.yaml"), namespaceFlag("bar"));
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result.diagnostics, IsEmpty());
  const auto* rule = findObject<DestinationRule>(result, "bar", "httpbin");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->host, "httpbin.bar.svc.cluster.local");
  ASSERT_TRUE(rule->tls.has_value());
  EXPECT_EQ(*rule->tls, ClientTlsMode::kIstioMutual);
  ASSERT_EQ(rule->portLevelSettings.size(), 1u);
  EXPECT_EQ(rule->portLevelSettings[0].port, 8000);
  ASSERT_TRUE(rule->portLevelSettings[0].tls.has_value());
  EXPECT_EQ(*rule->portLevelSettings[0].tls, ClientTlsMode::kDisable);
}

TEST(LoaderWalkthrough, FooOverwriteExampleDestinationRuleDisablesTls) {
  const LoadResult result =
      loadPath(fixture("foo-overwrite-example-destinationrule.yaml"), namespaceFlag("foo"));
  ASSERT_TRUE(result.ok());
  const auto* rule = findObject<DestinationRule>(result, "foo", "overwrite-example");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->host, "httpbin.foo.svc.cluster.local");
  ASSERT_TRUE(rule->tls.has_value());
  EXPECT_EQ(*rule->tls, ClientTlsMode::kDisable);
}

TEST(LoaderWalkthrough, FrontendIngressDenyRequiresARequestPrincipal) {
  const LoadResult result = loadPath(fixture("frontend-ingress-deny.yaml"), LoadOptions{});
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result.diagnostics, IsEmpty());
  const auto* policy = findObject<AuthorizationPolicy>(result, "istio-system", "frontend-ingress");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->action, AuthzAction::kDeny);
  ASSERT_TRUE(policy->selector.has_value());
  EXPECT_EQ(*policy->selector, labels({{"istio", "ingressgateway"}}));
  ASSERT_EQ(policy->rules.size(), 1u);
  ASSERT_EQ(policy->rules[0].from.size(), 1u);
  EXPECT_THAT(policy->rules[0].from[0].notRequestPrincipals, ElementsAre("*"));
  EXPECT_THAT(policy->rules[0].from[0].principals, IsEmpty());
  EXPECT_THAT(policy->rules[0].to, IsEmpty());
  EXPECT_THAT(policy->rules[0].when, IsEmpty());
}

TEST(LoaderWalkthrough, FrontendIngressDenyHeadersAddsThePath) {
  const LoadResult result = loadPath(fixture("frontend-ingress-deny-headers.yaml"), LoadOptions{});
  ASSERT_TRUE(result.ok());
  const auto* policy = findObject<AuthorizationPolicy>(result, "istio-system", "frontend-ingress");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->action, AuthzAction::kDeny);
  ASSERT_EQ(policy->rules.size(), 1u);
  ASSERT_EQ(policy->rules[0].from.size(), 1u);
  EXPECT_THAT(policy->rules[0].from[0].notRequestPrincipals, ElementsAre("*"));
  ASSERT_EQ(policy->rules[0].to.size(), 1u);
  EXPECT_THAT(policy->rules[0].to[0].paths, ElementsAre("/headers"));
  EXPECT_THAT(policy->rules[0].to[0].ports, IsEmpty());
}

TEST(LoaderWalkthrough, JwtExampleIsARequestAuthentication) {
  const LoadResult result = loadPath(fixture("jwt-example.yaml"), LoadOptions{});
  ASSERT_TRUE(result.ok());
  const auto* authn = findObject<RequestAuthentication>(result, "istio-system", "jwt-example");
  ASSERT_NE(authn, nullptr);
  ASSERT_TRUE(authn->selector.has_value());
  EXPECT_EQ(*authn->selector, labels({{"istio", "ingressgateway"}}));
  ASSERT_EQ(authn->jwtRules.size(), 1u);
  EXPECT_EQ(authn->jwtRules[0].issuer, "testing@secure.istio.io");
  EXPECT_EQ(authn->jwtRules[0].jwksUri,
            "https://raw.githubusercontent.com/istio/istio/release-1.6/security/tools/jwt/samples/"
            "jwks.json");
  EXPECT_FALSE(authn->jwtRules[0].forwardOriginalToken);
}

TEST(LoaderWalkthrough, IngressGatewayKindsAreSkippedWithAWarningNamingTheKind) {
  const std::filesystem::path file = fixture("ingress-gateway.yaml");
  const LoadResult result = loadPath(file, LoadOptions{});
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre(file.string() + ":1: warning: kind: Gateway (networking.istio.io/v1alpha3) "
                                  "is not used by ztls; skipped",
                  file.string() + ":17: warning: kind: VirtualService "
                                  "(networking.istio.io/v1alpha3) is not used by ztls; skipped"));
}

// ---- Namespaces -----------------------------------------------------------------------

TEST(LoaderNamespace, ObjectsWithoutANamespaceGetTheDefault) {
  const std::string text =
      serviceAccount("a") + "---\n" + serviceAccount("b") + "  namespace: other\n";
  LoadOptions options;
  options.defaultNamespace = "bar";
  const LoadResult result = parse(text, options);
  ASSERT_TRUE(result.ok());
  EXPECT_NE(findObject<ServiceAccount>(result, "bar", "a"), nullptr);
  // Not from the command line, so an object's own namespace wins.
  EXPECT_NE(findObject<ServiceAccount>(result, "other", "b"), nullptr);

  const LoadResult plain = parse(serviceAccount("a"));
  EXPECT_NE(findObject<ServiceAccount>(plain, "default", "a"), nullptr);
}

TEST(LoaderNamespace, ExplicitNamespaceAcceptsObjectsNamingTheSameNamespace) {
  const std::string text = serviceAccount("a") + "  namespace: foo\n---\n" + serviceAccount("b");
  const LoadResult result = parse(text, namespaceFlag("foo"));
  ASSERT_TRUE(result.ok());
  EXPECT_NE(findObject<ServiceAccount>(result, "foo", "a"), nullptr);
  EXPECT_NE(findObject<ServiceAccount>(result, "foo", "b"), nullptr);
}

TEST(LoaderNamespace, ExplicitNamespaceMismatchIsAnErrorLikeKubectl) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: ServiceAccount
metadata:
  name: a
  namespace: bar
)",
                                  namespaceFlag("foo"));
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:5: error: metadata.namespace: the namespace from the object "
                  "\"bar\" does not match the namespace \"foo\" given on the command line"));
}

TEST(LoaderNamespace, NamespaceObjectsAreClusterScoped) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: Namespace
metadata:
  name: foo
  labels:
    istio-injection: enabled
)",
                                  namespaceFlag("bar"));
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.objects.size(), 1u);
  const auto* ns = findObject<Namespace>(result, "", "foo");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->meta.labels, labels({{"istio-injection", "enabled"}}));
  EXPECT_EQ(describe(keyOf(result.objects[0])), "Namespace foo");
}

// ---- Errors ---------------------------------------------------------------------------

TEST(LoaderErrors, MalformedYamlReportsTheLineInTheWholeFile) {
  // The bad line is in the second document: the line must count from the top of the file.
  const LoadResult result = parse(R"(
apiVersion: v1
kind: ServiceAccount
metadata:
  name: a
---
apiVersion: v1
kind: Service
metadata:
  name: b
   namespace: foo
spec: {}
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(formatted(result.diagnostics),
              ElementsAre("test.yaml:10: error: malformed YAML: illegal map value"));
}

TEST(LoaderErrors, MalformedFlowMappingIsAnError) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: Service
metadata:
  name: b
  labels: {app: x
spec: {}
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  const Diagnostic& d = result.diagnostics[0];
  EXPECT_EQ(d.severity, Severity::kError);
  EXPECT_EQ(d.where.file, "test.yaml");
  EXPECT_GT(d.where.line, 0);
  EXPECT_THAT(d.message, HasSubstr("malformed YAML"));
}

TEST(LoaderErrors, UnknownMtlsModeNamesTheAcceptedValues) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: STRIC
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:8: error: PeerAuthentication foo/default: spec.mtls.mode: unknown "
                  "value \"STRIC\" (expected one of UNSET, DISABLE, PERMISSIVE, STRICT)"));
}

TEST(LoaderErrors, UnknownClientTlsModeNamesTheAcceptedValues) {
  const LoadResult result = parse(R"(
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: httpbin
  namespace: foo
spec:
  host: httpbin
  trafficPolicy:
    tls:
      mode: ISTIO_MUTAL
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:10: error: DestinationRule foo/httpbin: spec.trafficPolicy.tls.mode: "
                  "unknown value \"ISTIO_MUTAL\" (expected one of DISABLE, SIMPLE, MUTUAL, "
                  "ISTIO_MUTUAL)"));
}

TEST(LoaderErrors, UnknownAuthorizationActionNamesTheAcceptedValues) {
  // Enum values are case-sensitive in Istio's CRD schema.
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  action: deny
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:7: error: AuthorizationPolicy foo/a: spec.action: unknown value "
                  "\"deny\" (expected one of ALLOW, DENY, AUDIT)"));
}

TEST(LoaderErrors, PortLevelMtlsWithoutSelectorIsAnError) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: STRICT
  portLevelMtls:
    80:
      mode: DISABLE
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:10: error: PeerAuthentication foo/default: spec.portLevelMtls: "
                  "portLevelMtls requires a workload selector (spec.selector.matchLabels): "
                  "ports are those of the selected workloads"));
}

TEST(LoaderErrors, PortLevelMtlsWithEmptyMatchLabelsCountsAsNoSelector) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  selector:
    matchLabels: {}
  portLevelMtls:
    80:
      mode: DISABLE
)");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors().size(), 1u);
  EXPECT_EQ(result.errors()[0].field, "spec.portLevelMtls");
  EXPECT_EQ(result.errors()[0].where.line, 10);
}

TEST(LoaderErrors, ServicePortsOutOfRange) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: foo
spec:
  ports:
  - name: http
    port: 0
  - name: https
    port: 70000
  - name: grpc
    port: 9000
    targetPort: 0
  - name: admin
    port: 9001
    targetPort: 70000
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(formatted(result.diagnostics),
              ElementsAre("test.yaml:9: error: Service foo/httpbin: spec.ports[0].port: port 0 is "
                          "out of range 1..65535",
                          "test.yaml:11: error: Service foo/httpbin: spec.ports[1].port: port "
                          "70000 is out of range "
                          "1..65535",
                          "test.yaml:14: error: Service foo/httpbin: spec.ports[2].targetPort: "
                          "port 0 is out of range "
                          "1..65535",
                          "test.yaml:17: error: Service foo/httpbin: spec.ports[3].targetPort: "
                          "port 70000 is out of "
                          "range 1..65535"));
}

TEST(LoaderErrors, PortLevelMtlsPortsOutOfRange) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: httpbin
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  portLevelMtls:
    0:
      mode: DISABLE
    70000:
      mode: DISABLE
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:11: error: PeerAuthentication foo/httpbin: spec.portLevelMtls.0: "
                  "port 0 is out of range 1..65535",
                  "test.yaml:13: error: PeerAuthentication foo/httpbin: "
                  "spec.portLevelMtls.70000: port 70000 is out of range 1..65535"));
}

TEST(LoaderErrors, DestinationRulePortLevelSettingsPortsOutOfRange) {
  const LoadResult result = parse(R"(
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: httpbin
  namespace: foo
spec:
  host: httpbin
  trafficPolicy:
    portLevelSettings:
    - port:
        number: 0
      tls:
        mode: DISABLE
    - port:
        number: 70000
      tls:
        mode: DISABLE
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:11: error: DestinationRule foo/httpbin: "
                  "spec.trafficPolicy.portLevelSettings[0].port.number: port 0 is out of range "
                  "1..65535",
                  "test.yaml:15: error: DestinationRule foo/httpbin: "
                  "spec.trafficPolicy.portLevelSettings[1].port.number: port 70000 is out of "
                  "range 1..65535"));
}

TEST(LoaderErrors, AuthorizationPolicyPortsOutOfRange) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  rules:
  - to:
    - operation:
        ports: ["0"]
        notPorts: ["70000"]
    when:
    - key: destination.port
      values: ["8000", "70000"]
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:10: error: AuthorizationPolicy foo/a: "
                  "spec.rules[0].to[0].operation.ports: \"0\" is not a port in 1..65535",
                  "test.yaml:11: error: AuthorizationPolicy foo/a: "
                  "spec.rules[0].to[0].operation.notPorts: \"70000\" is not a port in 1..65535",
                  "test.yaml:14: error: AuthorizationPolicy foo/a: spec.rules[0].when[0].values: "
                  "\"70000\" is not a port in 1..65535"));
}

TEST(LoaderErrors, CustomAuthorizationActionIsRejectedNotIgnored) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ext-authz
  namespace: foo
spec:
  action: CUSTOM
  provider:
    name: my-ext-authz
  rules:
  - {}
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:7: error: AuthorizationPolicy foo/ext-authz: spec.action: CUSTOM "
                  "(external authorization) is not supported by ztls; the policy is rejected "
                  "rather than ignored so that nothing it was meant to deny gets through"));
}

TEST(LoaderErrors, TargetRefOnAuthorizationPolicyIsRejected) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  targetRef:
    kind: Gateway
    group: gateway.networking.k8s.io
    name: waypoint
  action: DENY
  rules:
  - {}
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:8: error: AuthorizationPolicy foo/a: spec.targetRef: not supported "
                  "by ztls: use spec.selector to choose workloads"));
}

TEST(LoaderErrors, TargetRefsListOnAuthorizationPolicyIsRejected) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  targetRefs:
  - kind: Service
    group: ""
    name: httpbin
)");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors().size(), 1u);
  EXPECT_EQ(result.errors()[0].field, "spec.targetRefs");
  EXPECT_EQ(result.errors()[0].where.line, 8);
}

TEST(LoaderErrors, UnsupportedApiVersionForAKnownKind) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v2
kind: PeerAuthentication
metadata:
  name: a
  namespace: foo
spec: {}
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:1: error: apiVersion: security.istio.io/v2 is not a supported "
                  "apiVersion for PeerAuthentication (expected one of security.istio.io/v1beta1, "
                  "security.istio.io/v1)"));
}

TEST(LoaderErrors, MissingMetadataName) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  namespace: foo
spec: {}
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(formatted(result.diagnostics),
              ElementsAre("test.yaml:4: error: metadata.name: required"));
}

TEST(LoaderErrors, MissingMetadata) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: ServiceAccount
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(formatted(result.diagnostics), ElementsAre("test.yaml:1: error: metadata: required"));
}

TEST(LoaderErrors, InvalidName) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: ServiceAccount
metadata:
  name: Sleep_SA
  namespace: foo
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:4: error: metadata.name: \"Sleep_SA\" is not a valid name "
                  "(lower-case letters, digits, '-', '.', starting and ending with a letter or "
                  "digit)"));
}

TEST(LoaderErrors, ServiceNameMustBeADnsLabel) {
  // Kubernetes validates Service names as RFC 1035 labels (no dots): a dotted name would
  // also make "httpbin.v1.foo.svc.cluster.local" ambiguous when resolving hosts.
  const LoadResult result = parse(R"(
apiVersion: v1
kind: Service
metadata:
  name: httpbin.v1
  namespace: foo
spec:
  ports:
  - port: 80
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  ASSERT_EQ(result.errors().size(), 1u);
  EXPECT_EQ(result.errors()[0].field, "metadata.name");
  EXPECT_EQ(result.errors()[0].where.line, 4);
}

TEST(LoaderErrors, InvalidIpBlocks) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  rules:
  - from:
    - source:
        ipBlocks: ["10.0.0.0/33"]
        notIpBlocks: ["10.0.0.300"]
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:10: error: AuthorizationPolicy foo/a: "
                  "spec.rules[0].from[0].source.ipBlocks: \"10.0.0.0/33\" is not an IP address "
                  "or CIDR block",
                  "test.yaml:11: error: AuthorizationPolicy foo/a: "
                  "spec.rules[0].from[0].source.notIpBlocks: \"10.0.0.300\" is not an IP "
                  "address or CIDR block"));
}

TEST(LoaderErrors, UnknownWhenKey) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  rules:
  - when:
    - key: request.foo
      values: ["x"]
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:9: error: AuthorizationPolicy foo/a: spec.rules[0].when[0].key: "
                  "unsupported condition key \"request.foo\""));
}

TEST(LoaderErrors, EmptyFromSource) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  rules:
  - from:
    - source: {}
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:9: error: AuthorizationPolicy foo/a: spec.rules[0].from[0].source: "
                  "must set at least one field"));
}

TEST(LoaderErrors, NullOrMissingFromSourceReportsItsOwnLine) {
  // Istio rejects a from entry without a source; the diagnostic must point at the entry,
  // not at whatever token follows it.
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  rules:
  - from:
    - source:
    - {}
    to:
    - operation:
        ports: ["80"]
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:9: error: AuthorizationPolicy foo/a: spec.rules[0].from[0].source: "
                  "must set at least one field",
                  "test.yaml:10: error: AuthorizationPolicy foo/a: spec.rules[0].from[1].source: "
                  "must set at least one field"));
}

TEST(LoaderErrors, InvalidCreationTimestamp) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: ServiceAccount
metadata:
  name: a
  creationTimestamp: "yesterday"
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:5: error: ServiceAccount default/a: metadata.creationTimestamp: "
                  "\"yesterday\" is not an RFC 3339 time between 1970 and 2261 such as "
                  "2024-05-01T12:00:00Z"));
}

TEST(LoaderErrors, DeploymentSelectorMustMatchTemplateLabels) {
  const LoadResult result = parse(R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
      version: v2
  template:
    metadata:
      labels:
        app: httpbin
        version: v1
    spec:
      containers:
      - name: httpbin
        image: httpbin
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:8: error: Deployment foo/httpbin: spec.selector.matchLabels: "
                  "selector does not match the template labels (spec.template.metadata.labels)"));
}

TEST(LoaderErrors, DeploymentWithoutTemplateSpecReportsALine) {
  const LoadResult result = parse(R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  template:
    metadata:
      labels:
        app: httpbin
)");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors().size(), 1u);
  const Diagnostic d = result.errors()[0];
  EXPECT_EQ(d.object, "Deployment foo/httpbin");
  EXPECT_EQ(d.field, "spec.template.spec.containers");
  // Any line inside spec.template would do; "no line at all" leaves users guessing in
  // a multi-document file.
  EXPECT_GE(d.where.line, 11);
  EXPECT_LE(d.where.line, 14);
}

TEST(LoaderErrors, ScalarDocumentIsNotAnObject) {
  const LoadResult result = parse("just a string\n");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:1: error: expected a Kubernetes object (a map with apiVersion, "
                  "kind and metadata)"));
}

TEST(LoaderErrors, ListDocumentIsNotAnObject) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: ServiceAccount
metadata:
  name: fine
---
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: a
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:6: error: expected a Kubernetes object (a map with apiVersion, "
                  "kind and metadata)"));
}

// Runs in a death-test child: exits 0 only if a lone ',' is reported as malformed YAML.
[[noreturn]] void parseLoneCommaAndExit() {
  alarm(2);
#ifndef ZTLS_TEST_UNDER_ASAN
  const rlimit limit{512L << 20, 512L << 20};
  setrlimit(RLIMIT_AS, &limit);
#endif
  const LoadResult result = parseYaml(",\n", kFile, LoadOptions{});
  for (const Diagnostic& d : result.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
  const bool rejected = !result.ok() && result.objects.empty() && result.diagnostics.size() == 1 &&
                        result.diagnostics[0].message.starts_with("malformed YAML") &&
                        result.diagnostics[0].where.line == 1;
  std::_Exit(rejected ? 0 : 1);
}

TEST(LoaderErrors, LoneCommaIsMalformedNotAnEndlessAllocation) {
  // yaml-cpp 0.7's LoadAll never returns on a stray ',' (jbeder/yaml-cpp#1040, fixed
  // upstream by #1319, after 0.8.0): it appends null documents until memory runs out, so
  // a one-byte manifest would take the agent down. The parse runs in a child process,
  // bounded in time and (where the sanitizer allows) memory, so a regression fails this
  // test instead of exhausting the machine.
  EXPECT_EXIT(parseLoneCommaAndExit(), ::testing::ExitedWithCode(0), "");
}

TEST(LoaderErrors, DuplicateKeysAreAnErrorNotFirstWins) {
  // kubectl rejects duplicate mapping keys. Taking either value silently is worse: here
  // the first one would quietly turn the namespace's mTLS off.
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: DISABLE
    mode: STRICT
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  ASSERT_FALSE(result.errors().empty());
  EXPECT_EQ(result.errors()[0].where.line, 9);
  EXPECT_THAT(result.errors()[0].format(), HasSubstr("mode"));
}

TEST(LoaderErrors, OneBadDocumentYieldsNoObjectsAtAll) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: ServiceAccount
metadata:
  name: first
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: STRIC
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: last
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  ASSERT_EQ(result.errors().size(), 1u);
  EXPECT_EQ(result.errors()[0].where.line, 13);
}

TEST(LoaderErrors, ErrorsAreReportedForEveryBadDocumentNotJustTheFirst) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: ServiceAccount
metadata:
  name: Bad
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: also_bad
)");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors().size(), 2u);
  EXPECT_EQ(result.errors()[0].where.line, 4);
  EXPECT_EQ(result.errors()[1].where.line, 9);
}

TEST(LoaderList, KindListItemsAreLoaded) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: a
    namespace: foo
- apiVersion: security.istio.io/v1beta1
  kind: PeerAuthentication
  metadata:
    name: default
    namespace: foo
  spec:
    mtls:
      mode: STRICT
)");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(formatted(result.diagnostics));
  ASSERT_EQ(result.objects.size(), 2u);
  EXPECT_NE(findObject<ServiceAccount>(result, "foo", "a"), nullptr);
  const auto* policy = findObject<PeerAuthentication>(result, "foo", "default");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->mode, MtlsMode::kStrict);
  EXPECT_EQ(policy->meta.origin.line, 9);
}

TEST(LoaderList, KindListWithABadItemYieldsNothing) {
  const LoadResult result = parse(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: a
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: B
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  ASSERT_EQ(result.errors().size(), 1u);
  EXPECT_EQ(result.errors()[0].where.line, 11);
  EXPECT_EQ(result.errors()[0].field, "metadata.name");
}

// ---- Warnings -------------------------------------------------------------------------

TEST(LoaderWarnings, SelectorPeerAuthenticationInTheRootNamespaceIsNotMeshWide) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: gw
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  mtls:
    mode: STRICT
)");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.objects.size(), 1u);
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:8: warning: PeerAuthentication istio-system/gw: spec.selector: a "
                  "PeerAuthentication with a selector in the root namespace istio-system "
                  "applies only to that namespace's own workloads, not mesh-wide"));
}

TEST(LoaderWarnings, RootNamespaceWarningFollowsTheConfiguredRootNamespace) {
  const std::string_view text = R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: gw
  namespace: mesh-root
spec:
  selector:
    matchLabels:
      istio: ingressgateway
)";
  EXPECT_THAT(parse(text).diagnostics, IsEmpty());
  LoadOptions options;
  options.rootNamespace = "mesh-root";
  const LoadResult result = parse(text, options);
  ASSERT_EQ(warningsOf(result).size(), 1u);
  EXPECT_THAT(warningsOf(result)[0].message, HasSubstr("root namespace mesh-root"));
}

TEST(LoaderWarnings, DestinationRuleExportToIgnoredAndSimpleTlsUnsupported) {
  const LoadResult result = parse(R"(
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: httpbin
  namespace: foo
spec:
  host: httpbin
  exportTo: ["."]
  trafficPolicy:
    tls:
      mode: SIMPLE
      sni: httpbin.example.com
)");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.objects.size(), 1u);
  EXPECT_EQ(*std::get<DestinationRule>(result.objects[0]).tls, ClientTlsMode::kSimple);
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:8: warning: DestinationRule foo/httpbin: spec.exportTo: ignored by "
                  "ztls: the rule applies to every client in the mesh",
                  "test.yaml:11: warning: DestinationRule foo/httpbin: "
                  "spec.trafficPolicy.tls.mode: SIMPLE (TLS origination to a non-mesh server) is "
                  "not supported by ztls; connections this rule selects will be refused"));
}

TEST(LoaderWarnings, UnknownSpecFieldWarns) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtsl:
    mode: STRICT
)");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.objects.size(), 1u);
  EXPECT_EQ(std::get<PeerAuthentication>(result.objects[0]).mode, MtlsMode::kUnset);
  EXPECT_THAT(
      formatted(result.diagnostics),
      ElementsAre("test.yaml:7: warning: PeerAuthentication foo/default: spec.mtsl: unknown "
                  "field, ignored"));
}

// A typo one level further down is just as likely as in spec, and silently dropping it
// changes what the policy enforces (mode UNSET inherits instead of STRICT).
TEST(LoaderWarnings, UnknownFieldInsideMtlsWarns) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mdoe: STRICT
)");
  EXPECT_THAT(formatted(result.diagnostics),
              ElementsAre("test.yaml:8: warning: PeerAuthentication foo/default: spec.mtls.mdoe: "
                          "unknown field, ignored"));
}

TEST(LoaderWarnings, UnknownFieldInsidePortLevelSettingsWarns) {
  const LoadResult result = parse(R"(
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: httpbin
  namespace: foo
spec:
  host: httpbin
  trafficPolicy:
    portLevelSettings:
    - port:
        number: 8000
      tsl:
        mode: DISABLE
)");
  EXPECT_THAT(formatted(result.diagnostics),
              ElementsAre("test.yaml:12: warning: DestinationRule foo/httpbin: "
                          "spec.trafficPolicy.portLevelSettings[0].tsl: unknown field, ignored"));
}

TEST(LoaderWarnings, UnknownFieldInsideWhenConditionWarns) {
  // Dropping the misspelt notValues silently would widen this DENY to all of 10.0.0.0/8.
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: foo
spec:
  action: DENY
  rules:
  - when:
    - key: source.ip
      values: ["10.0.0.0/8"]
      notvalues: ["10.1.0.0/16"]
)");
  EXPECT_THAT(formatted(result.diagnostics),
              ElementsAre("test.yaml:12: warning: AuthorizationPolicy foo/a: "
                          "spec.rules[0].when[0].notvalues: unknown field, ignored"));
}

TEST(LoaderWarnings, WarningsDoNotBlockTheLoad) {
  const LoadResult result = parse(R"(
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: STRICT
  extra: true
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: gw
)");
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(result.errors(), IsEmpty());
  EXPECT_EQ(warningsOf(result).size(), 2u);
  EXPECT_EQ(result.objects.size(), 1u);
}

// ---- loadPath -------------------------------------------------------------------------

TEST(LoaderPath, DirectoryLoadsYamlYmlAndJsonRecursivelyInSortedOrder) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  // Written out of order so that directory iteration order cannot pass for sorting.
  dir.write("sub/deeper/e.yaml", serviceAccount("e"));
  dir.write("b.yaml", serviceAccount("b"));
  dir.write("sub/c.json",
            R"({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "c"}})");
  dir.write("a.yml", serviceAccount("a"));
  dir.write("sub/d.yml", serviceAccount("d"));
  // Invalid YAML in files that must not be read: reading any of them would be an error.
  dir.write("notes.txt", "{{{ not yaml");
  dir.write("README.md", "key: [unclosed");
  dir.write("sub/backup.yaml.bak", "key: [unclosed");
  dir.write("UPPER.YAML", "key: [unclosed");

  const LoadResult result = loadPath(dir.path(), LoadOptions{});
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(formatted(result.diagnostics));
  std::vector<std::string> names;
  for (const Object& object : result.objects) names.push_back(metaOf(object).name);
  EXPECT_THAT(names, ElementsAre("a", "b", "c", "d", "e"));
  ASSERT_EQ(result.objects.size(), 5u);
  EXPECT_EQ(metaOf(result.objects[2]).origin.file, (dir.path() / "sub/c.json").string());
  EXPECT_EQ(metaOf(result.objects[4]).origin.file, (dir.path() / "sub/deeper/e.yaml").string());
}

TEST(LoaderPath, ABadFileInADirectoryYieldsNoObjects) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  dir.write("a.yaml", serviceAccount("a"));
  const std::filesystem::path bad =
      dir.write("b.yaml", serviceAccount("a") + "  creationTimestamp: nope\n");
  dir.write("c.yaml", serviceAccount("c"));

  const LoadResult result = loadPath(dir.path(), LoadOptions{});
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  ASSERT_EQ(result.errors().size(), 1u);
  EXPECT_EQ(result.errors()[0].where.file, bad.string());
  EXPECT_EQ(result.errors()[0].where.line, 5);
}

TEST(LoaderPath, NonexistentPathIsAnError) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::filesystem::path missing = dir.path() / "missing.yaml";
  const LoadResult result = loadPath(missing, LoadOptions{});
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(formatted(result.diagnostics),
              ElementsAre(missing.string() + ": error: no such file or directory"));
}

TEST(LoaderPath, DirectoryWithoutYamlIsAnError) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  dir.write("notes.txt", "apiVersion: v1\n");
  dir.write("sub/README.md", "hello\n");
  const LoadResult result = loadPath(dir.path(), LoadOptions{});
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.objects, IsEmpty());
  EXPECT_THAT(formatted(result.diagnostics),
              ElementsAre(dir.path().string() + ": error: no .yaml, .yml or .json files in it"));
}

TEST(LoaderPath, ASingleFileIsLoadedWhateverItsExtension) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::filesystem::path file = dir.write("policy.txt", serviceAccount("a"));
  const LoadResult result = loadPath(file, LoadOptions{});
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.objects.size(), 1u);
  EXPECT_EQ(metaOf(result.objects[0]).origin.file, file.string());
}

TEST(LoaderPath, LoadStreamNamesItsSource) {
  std::istringstream input(serviceAccount("Bad"));
  const LoadResult result = loadStream(input, "<stdin>", LoadOptions{});
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors().size(), 1u);
  EXPECT_EQ(result.errors()[0].where.file, "<stdin>");
  EXPECT_EQ(result.errors()[0].where.line, 4);
}

// ---- creationTimestamp ----------------------------------------------------------------

std::optional<CreationTime> declaredCreation(std::string_view timestamp) {
  const LoadResult result =
      parseYaml(serviceAccount("a") + "  creationTimestamp: \"" + std::string(timestamp) + "\"\n",
                kFile, LoadOptions{});
  if (!result.ok() || result.objects.size() != 1) return std::nullopt;
  return metaOf(result.objects[0]).declaredCreation;
}

constexpr CreationTime kMay1Noon = 1714564800LL * 1'000'000'000LL;

TEST(LoaderTimestamp, UtcSecondsBecomeNanosecondsSinceTheEpoch) {
  EXPECT_EQ(declaredCreation("2024-05-01T12:00:00Z"), kMay1Noon);
  EXPECT_EQ(declaredCreation("1970-01-01T00:00:00Z"), 0);
}

TEST(LoaderTimestamp, UnquotedTimestampIsReadAsWritten) {
  const LoadResult result =
      parse(serviceAccount("a") + "  creationTimestamp: 2024-05-01T12:00:00Z\n");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(metaOf(result.objects[0]).declaredCreation, kMay1Noon);
}

TEST(LoaderTimestamp, FractionAndOffset) {
  EXPECT_EQ(declaredCreation("2024-05-01T12:00:00.5Z"), kMay1Noon + 500'000'000);
  EXPECT_EQ(declaredCreation("2024-05-01T12:00:00.000000001Z"), kMay1Noon + 1);
  EXPECT_EQ(declaredCreation("2024-05-01T14:00:00+02:00"), kMay1Noon);
  EXPECT_EQ(declaredCreation("2024-05-01T10:30:00-01:30"), kMay1Noon);
  EXPECT_EQ(declaredCreation("2024-05-01T14:00:00.123456789+02:00"), kMay1Noon + 123'456'789);
}

TEST(LoaderTimestamp, MissingZoneIsRejected) {
  EXPECT_EQ(declaredCreation("2024-05-01T12:00:00"), std::nullopt);
  EXPECT_EQ(declaredCreation("2024-05-01 12:00:00Z"), std::nullopt);
  EXPECT_EQ(declaredCreation("2024-13-01T12:00:00Z"), std::nullopt);
  EXPECT_EQ(declaredCreation(""), std::nullopt);
}

// kubectl (Go's time.Parse with RFC 3339) rejects each of these; accepting them means a
// typo silently reorders "oldest wins".
TEST(LoaderTimestamp, NonRfc3339VariantsAreRejected) {
  EXPECT_EQ(declaredCreation("2024-02-30T12:00:00Z"), std::nullopt) << "no February 30th";
  EXPECT_EQ(declaredCreation("2024-5-1T1:2:3Z"), std::nullopt) << "fields are two digits";
  EXPECT_EQ(declaredCreation("2024-05-01T12:00:00.Z"), std::nullopt) << "empty fraction";
  EXPECT_EQ(declaredCreation("2024-05-01T12:00:00+25:00"), std::nullopt) << "offset hour > 23";
}

// Runs in a death-test child because the overflow this guards against is undefined
// behaviour: under -fno-sanitize-recover it aborts, and must fail only this test.
[[noreturn]] void loadFarFutureTimestampAndExit() {
  const LoadResult result =
      parseYaml(serviceAccount("a") + "  creationTimestamp: \"9999-12-31T23:59:59Z\"\n", kFile,
                LoadOptions{});
  bool good = false;
  if (result.ok()) {
    const std::optional<CreationTime> declared =
        result.objects.size() == 1 ? metaOf(result.objects[0]).declaredCreation : std::nullopt;
    std::fprintf(stderr, "accepted as %lld\n", declared ? static_cast<long long>(*declared) : -1LL);
    good = declared && *declared > kMay1Noon;
  } else {
    for (const Diagnostic& d : result.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    good = result.errors().size() == 1 && result.errors()[0].field == "metadata.creationTimestamp";
  }
  std::_Exit(good ? 0 : 1);
}

TEST(LoaderTimestamp, FarFutureTimeDoesNotWrapIntoThePast) {
  // Nanoseconds in int64 end in 2262. A later time must be rejected or saturate; wrapping
  // it negative would make the newest object the oldest one and win every conflict.
  EXPECT_EXIT(loadFarFutureTimestampAndExit(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace ztls::config
