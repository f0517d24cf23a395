#include "unit/policy/test_cluster.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace ztls::testing {

std::string readRepoFile(std::string_view pathInRepo) {
  const std::string path = std::string(ZTLS_SOURCE_DIR) + "/" + std::string(pathInRepo);
  std::ifstream input(path);
  EXPECT_TRUE(input.good()) << "cannot open " << path;
  std::ostringstream text;
  text << input.rdbuf();
  return text.str();
}

TestCluster::TestCluster(policy::MeshConfig mesh)
    : mesh_(std::move(mesh)),
      now_(1'700'000'000LL * 1'000'000'000LL),
      store_([this] { return now_ += 1'000'000'000LL; }) {}

config::ApplyOutcome TestCluster::tryApply(std::string_view yaml, std::string_view ns) {
  config::LoadOptions options;
  options.rootNamespace = mesh_.rootNamespace;
  if (!ns.empty()) {
    options.defaultNamespace = std::string(ns);
    options.namespaceExplicit = true;
  }
  return store_.apply(config::parseYaml(yaml, "<test>", options));
}

void TestCluster::apply(std::string_view yaml, std::string_view ns) {
  const config::ApplyOutcome outcome = tryApply(yaml, ns);
  std::string diagnostics;
  for (const auto& d : outcome.diagnostics) diagnostics += d.format() + "\n";
  ASSERT_TRUE(outcome.applied) << diagnostics;
}

void TestCluster::applyFile(std::string_view pathInRepo, std::string_view ns) {
  apply(readRepoFile(pathInRepo), ns);
}

void TestCluster::remove(config::Kind kind, std::string_view ns, std::string_view name) {
  ASSERT_TRUE(store_.remove(config::ObjectKey{kind, std::string(ns), std::string(name)}))
      << config::describe(config::ObjectKey{kind, std::string(ns), std::string(name)})
      << " not found";
}

void TestCluster::createNamespace(std::string_view name, const config::Labels& labels) {
  std::string yaml =
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + std::string(name) + "\n";
  if (!labels.empty()) {
    yaml += "  labels:\n";
    for (const auto& [key, value] : labels) yaml += "    " + key + ": \"" + value + "\"\n";
  }
  apply(yaml);
}

void TestCluster::deployWalkthrough(bool httpbinInLegacy) {
  const config::Labels ambient{{"istio.io/dataplane-mode", "ambient"}};
  createNamespace("istio-system");
  for (std::string_view ns : {"foo", "bar"}) {
    createNamespace(ns, ambient);
    applyFile("samples/httpbin/httpbin.yaml", ns);
    applyFile("samples/sleep/sleep.yaml", ns);
  }
  createNamespace("legacy");
  if (httpbinInLegacy) applyFile("samples/httpbin/httpbin.yaml", "legacy");
  applyFile("samples/sleep/sleep.yaml", "legacy");
}

const policy::Snapshot& TestCluster::snapshot() {
  if (snapshotGeneration_ != store_.generation()) {
    snapshot_ = policy::Snapshot::build(store_.objects(), mesh_);
    snapshotGeneration_ = store_.generation();
  }
  return *snapshot_;
}

const policy::Workload& TestCluster::workload(std::string_view ns, std::string_view name) {
  const policy::Workload* found = snapshot().findWorkload(ns, name);
  if (found == nullptr) {
    ADD_FAILURE() << "no workload " << ns << "/" << name;
    static const policy::Workload kMissing;
    return kMissing;
  }
  return *found;
}

policy::ConnectionDecision TestCluster::connect(std::string_view fromNs, std::string_view fromName,
                                                std::string_view host, std::uint16_t port) {
  return policy::decideConnection(snapshot(), workload(fromNs, fromName), host, port);
}

std::string TestCluster::curlStatus(std::string_view fromNs, std::string_view toNs) {
  const policy::ConnectionDecision decision =
      connect(fromNs, "sleep", "httpbin." + std::string(toNs), 8000);
  return decision.allowed ? "200" : "000";
}

std::string TestCluster::probeMatrix(std::initializer_list<std::string_view> from,
                                     std::initializer_list<std::string_view> to) {
  std::string result;
  for (std::string_view source : from) {
    for (std::string_view target : to) {
      result += "sleep." + std::string(source) + " to httpbin." + std::string(target) + ": " +
                curlStatus(source, target) + "\n";
    }
  }
  return result;
}

}  // namespace ztls::testing
