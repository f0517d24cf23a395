// ztlsctl explain, run as a user runs it: the real binary on a directory of manifests
// built from the samples and the walkthrough's own YAML.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string readSource(const std::string& pathInRepo) {
  std::ifstream input(std::string(ZTLS_SOURCE_DIR) + "/" + pathInRepo);
  EXPECT_TRUE(input.good()) << pathInRepo;
  std::ostringstream text;
  text << input.rdbuf();
  return text.str();
}

// What `kubectl apply -n ns` does to manifests that name no namespace.
std::string inNamespace(std::string yaml, const std::string& ns) {
  const std::string marker = "metadata:\n  name:";
  for (std::size_t at = yaml.find(marker); at != std::string::npos;
       at = yaml.find(marker, at + 1)) {
    yaml.insert(at + std::string("metadata:\n").size(), "  namespace: " + ns + "\n");
  }
  return yaml;
}

struct Result {
  int exitCode = -1;
  std::string out;
  std::string err;
};

class ExplainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ztls-explain-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    write("00-namespaces.yaml",
          "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n  labels:\n"
          "    istio.io/dataplane-mode: ambient\n---\n"
          "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bar\n  labels:\n"
          "    istio.io/dataplane-mode: ambient\n---\n"
          "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: legacy\n---\n"
          "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n");
    for (const std::string ns : {"foo", "bar", "legacy"}) {
      write("10-" + ns + "-httpbin.yaml",
            inNamespace(readSource("samples/httpbin/httpbin.yaml"), ns));
      write("10-" + ns + "-sleep.yaml", inNamespace(readSource("samples/sleep/sleep.yaml"), ns));
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  void applyFixture(const std::string& order, const std::string& fixture,
                    const std::string& ns = "") {
    std::string yaml = readSource("tests/fixtures/walkthrough/" + fixture);
    write(order + "-" + fixture, ns.empty() ? yaml : inNamespace(yaml, ns));
  }

  Result run(const std::string& args) {
    const fs::path errFile = dir_ / "stderr.txt";
    const std::string command = std::string(ZTLSCTL_PATH) + " " + args + " 2>" + errFile.string();
    Result result;
    FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
      result.out.append(buffer.data(), n);
    const int status = pclose(pipe);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream errInput(errFile);
    std::ostringstream err;
    err << errInput.rdbuf();
    result.err = err.str();
    fs::remove(errFile);
    return result;
  }

  json explainJson(const std::string& args) {
    const Result result = run("explain --config " + dir_.string() + " " + args + " -o json");
    EXPECT_EQ(result.exitCode, 0) << result.err;
    return json::parse(result.out, nullptr, false);
  }

  std::string curl(const std::string& from, const std::string& to) {
    const json c = explainJson("--from " + from + "/sleep --to httpbin." + to + ":8000");
    return c["verdict"]["decision"] == "allow" ? "200" : "000";
  }

  std::string matrix() {
    std::string result;
    for (const std::string from : {"foo", "bar", "legacy"}) {
      for (const std::string to : {"foo", "bar", "legacy"}) {
        result += "sleep." + from + " to httpbin." + to + ": " + curl(from, to) + "\n";
      }
    }
    return result;
  }

  fs::path dir_;
};

TEST_F(ExplainCli, ConnectionJsonHasTheDocumentedShape) {
  const json c = explainJson("--from foo/sleep --to httpbin.bar.svc.cluster.local:8000");
  EXPECT_EQ(c["source"]["workload"], "foo/sleep");
  EXPECT_EQ(c["source"]["enrolled"], true);
  EXPECT_EQ(c["source"]["identity"], "spiffe://cluster.local/ns/foo/sa/sleep");
  EXPECT_EQ(c["destination"]["host"], "httpbin.bar.svc.cluster.local");
  EXPECT_EQ(c["destination"]["port"], 8000);
  EXPECT_EQ(c["destination"]["endpoint"]["workload"], "bar/httpbin");
  EXPECT_EQ(c["destination"]["endpoint"]["targetPort"], 80);
  EXPECT_EQ(c["destination"]["endpoint"]["enrolled"], true);
  EXPECT_EQ(c["destination"]["endpoint"]["identity"], "spiffe://cluster.local/ns/bar/sa/httpbin");
  EXPECT_EQ(c["client"]["tls"], "ISTIO_MUTUAL");
  EXPECT_TRUE(c["client"]["reason"].is_string());
  EXPECT_EQ(c["server"]["mode"], "PERMISSIVE");
  EXPECT_TRUE(c["server"]["reason"].is_string());
  EXPECT_EQ(c["security"], "mutual_tls");
  EXPECT_EQ(c["verdict"]["decision"], "allow");
  EXPECT_TRUE(c["verdict"]["reason"].is_string());
}

TEST_F(ExplainCli, SourceOutsideTheMeshIsPassthrough) {
  const json c = explainJson("--from legacy/sleep --to httpbin.foo:8000");
  EXPECT_EQ(c["source"]["enrolled"], false);
  EXPECT_EQ(c["client"]["tls"], "PASSTHROUGH");
  EXPECT_EQ(c["security"], "plaintext");
}

TEST_F(ExplainCli, MeshWideStrictMatrixFromTheWalkthroughYaml) {
  applyFixture("20", "mesh-strict.yaml");
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
  const json denied = explainJson("--from legacy/sleep --to httpbin.foo:8000");
  EXPECT_EQ(denied["server"]["mode"], "STRICT");
  EXPECT_EQ(denied["server"]["policy"], "PeerAuthentication istio-system/default");
  EXPECT_EQ(denied["verdict"]["decision"], "deny");
}

TEST_F(ExplainCli, WorkloadPortLevelAnswer) {
  applyFixture("20", "foo-namespace-strict.yaml");
  applyFixture("30", "bar-httpbin-port-level.yaml");  // names its namespace itself
  applyFixture("31", "bar-httpbin-destinationrule-port-level.yaml", "bar");
  const json w = explainJson("--workload bar/httpbin");
  EXPECT_EQ(w["workload"], "bar/httpbin");
  EXPECT_EQ(w["enrolled"], true);
  EXPECT_EQ(w["identity"], "spiffe://cluster.local/ns/bar/sa/httpbin");
  ASSERT_EQ(w["ports"].size(), 1u);
  EXPECT_EQ(w["ports"][0]["port"], 80);
  EXPECT_EQ(w["ports"][0]["mode"], "DISABLE");
  EXPECT_NE(w["ports"][0]["reason"].get<std::string>().find("PeerAuthentication bar/httpbin"),
            std::string::npos);
  EXPECT_EQ(w["default"]["mode"], "STRICT");

  const json onePort = explainJson("--workload foo/httpbin --port 80");
  ASSERT_EQ(onePort["ports"].size(), 1u);
  EXPECT_EQ(onePort["ports"][0]["mode"], "STRICT");
  EXPECT_EQ(onePort["ports"][0]["policy"], "PeerAuthentication foo/default");
  EXPECT_EQ(curl("foo", "bar"), "200");
  EXPECT_EQ(curl("legacy", "bar"), "200");
  EXPECT_EQ(curl("legacy", "foo"), "000");
}

TEST_F(ExplainCli, TablesForPeople) {
  applyFixture("20", "mesh-strict.yaml");
  const Result workload = run("explain --config " + dir_.string() + " --workload legacy/httpbin");
  ASSERT_EQ(workload.exitCode, 0) << workload.err;
  EXPECT_NE(workload.out.find("ENROLLED     no"), std::string::npos) << workload.out;
  EXPECT_NE(workload.out.find("not enforced"), std::string::npos) << workload.out;
  const Result connection =
      run("explain --config " + dir_.string() + " --from legacy/sleep --to httpbin.foo:8000");
  ASSERT_EQ(connection.exitCode, 0) << connection.err;
  EXPECT_NE(connection.out.find("VERDICT      deny: reset"), std::string::npos) << connection.out;
  EXPECT_NE(connection.out.find("CLIENT       PASSTHROUGH"), std::string::npos) << connection.out;
}

TEST_F(ExplainCli, BadManifestIsAnErrorNamingFileLineObjectAndField) {
  write("90-bad.yaml",
        "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: typo\n"
        "  namespace: foo\nspec:\n  mtls:\n    mode: STRIC\n");
  const Result result = run("explain --config " + dir_.string() + " --workload foo/httpbin");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find(
                (dir_ / "90-bad.yaml").string() +
                ":8: error: PeerAuthentication foo/typo: spec.mtls.mode: unknown value \"STRIC\""),
            std::string::npos)
      << result.err;
}

TEST_F(ExplainCli, ReadsManifestsFromStdin) {
  write("all.yaml.txt",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n  labels:\n"
        "    istio.io/dataplane-mode: ambient\n---\n" +
            inNamespace(readSource("samples/httpbin/httpbin.yaml"), "foo"));
  const json w = json::parse(
      run("explain --config - --workload foo/httpbin -o json < " + (dir_ / "all.yaml.txt").string())
          .out,
      nullptr, false);
  EXPECT_EQ(w["workload"], "foo/httpbin");
  EXPECT_EQ(w["enrolled"], true);
}

TEST_F(ExplainCli, UsageErrors) {
  const std::string config = "explain --config " + dir_.string();
  EXPECT_EQ(run(config + " --workload foo/nothing").exitCode, 1);
  EXPECT_EQ(run(config + " --workload nonamespace").exitCode, 1);
  EXPECT_EQ(run(config + " --from foo/sleep --to httpbin.foo").exitCode, 2);
  EXPECT_EQ(run(config + " --from foo/sleep --to httpbin.foo:0").exitCode, 2);
  EXPECT_EQ(run(config + " --from foo/sleep").exitCode, 2);
  EXPECT_EQ(run(config + " --workload foo/sleep -o xml").exitCode, 2);
  EXPECT_EQ(run(config + " --workload foo/sleep --from foo/sleep --to a:1").exitCode, 2);
  EXPECT_EQ(run("explain --config /nonexistent/ztls --workload foo/sleep").exitCode, 1);
  const Result unknownPod = run(config + " --workload foo/nothing");
  EXPECT_NE(unknownPod.err.find("no Pod or Deployment named nothing in namespace foo"),
            std::string::npos)
      << unknownPod.err;
}

}  // namespace
