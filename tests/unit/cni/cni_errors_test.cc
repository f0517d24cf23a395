// Failures: no agent, bad environment, bad stdin. Every one is a CNI error result on
// stdout with a non-zero exit, except DEL, which must always succeed.
#include <fstream>

#include "cni_fixture.h"

namespace ztls::test {
namespace {

void expectCniError(const PluginRun& run, int code, const std::string& inMsg = "") {
  EXPECT_NE(run.exitCode, 0) << run.out;
  const Json error = run.json();
  EXPECT_EQ(error["code"], code) << error;
  EXPECT_TRUE(error["cniVersion"].is_string()) << error;
  EXPECT_TRUE(error["details"].is_string()) << error;
  EXPECT_NE(error["msg"].get<std::string>().find(inMsg), std::string::npos) << error;
}

TEST_F(CniTest, AddFailsClosedWithoutAnAgent) {
  const PluginRun run = this->run(env("ADD"), config());
  expectCniError(run, 11,
                 "cannot reach the ztls agent at " + socket_ +
                     ": no such socket file — is ztls-agent running?");
}

TEST_F(CniTest, AddFailsClosedWhenTheAgentDiedAndLeftItsSocket) {
  makeStaleSocket(socket_);
  const PluginRun run = this->run(env("ADD"), config());
  expectCniError(run, 11,
                 "cannot reach the ztls agent at " + socket_ +
                     ": connection refused — is ztls-agent running?");
}

TEST_F(CniTest, FailOpenNamespacesStartWithoutTheAgentOthersDoNot) {
  Json conf = config();
  conf["failOpenForNamespaces"] = {"kube-system"};

  const PluginRun exempt = this->run(env("ADD", "kube-system"), conf);
  EXPECT_EQ(exempt.exitCode, 0) << exempt.out << exempt.err;
  EXPECT_EQ(exempt.json(), bridgeResult());
  EXPECT_NE(exempt.err.find("failOpenForNamespaces"), std::string::npos) << exempt.err;

  expectCniError(this->run(env("ADD", "foo"), conf), 11, "cannot reach the ztls agent");
}

TEST_F(CniTest, FailOpenNeverOverridesAnAgentThatSaysNo) {
  backend_.failure = api::ApiError(api::ErrorKind::kFailedPrecondition, "not ready");
  startAgent();
  Json conf = config();
  conf["failOpenForNamespaces"] = {"foo"};
  expectCniError(this->run(env("ADD"), conf), 100, "not ready");
}

TEST_F(CniTest, DelIsIdempotentWithoutAnAgent) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const PluginRun run = this->run(env("DEL"), config());
    EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
    EXPECT_EQ(run.out, "");
  }
}

TEST_F(CniTest, CheckFailsWithoutAnAgent) {
  expectCniError(this->run(env("CHECK"), config()), 11, "cannot reach the ztls agent");
}

TEST_F(CniTest, MissingEnvironmentIsCode4AndNamesTheVariables) {
  auto vars = env("ADD");
  vars.erase("CNI_NETNS");
  vars.erase("CNI_IFNAME");
  expectCniError(this->run(vars, config()), 4, "CNI_NETNS, CNI_IFNAME");

  vars = env("ADD");
  vars["CNI_CONTAINERID"] = "bad/id";
  expectCniError(this->run(vars, config()), 4, "CNI_CONTAINERID");

  expectCniError(this->run({}, config()), 4, "CNI_COMMAND");
  expectCniError(this->run(env("GC"), config()), 4, "CNI_COMMAND");
}

TEST_F(CniTest, MalformedCniArgsIsCode4) {
  auto vars = env("ADD");
  vars["CNI_ARGS"] = "K8S_POD_NAMESPACE=foo;garbage";
  expectCniError(this->run(vars, config()), 4, "garbage");
}

TEST_F(CniTest, AddWithoutPodArgsIsCode4) {
  startAgent();
  auto vars = env("ADD");
  vars["CNI_ARGS"] = "IgnoreUnknown=1";
  expectCniError(this->run(vars, config()), 4, "K8S_POD_NAMESPACE, K8S_POD_NAME");
  EXPECT_TRUE(backend_.added.empty());
}

TEST_F(CniTest, UndecodableStdinIsCode6) {
  expectCniError(runCniPlugin(env("ADD"), "{\"cniVersion\": "), 6);
  expectCniError(runCniPlugin(env("DEL"), "[1, 2]"), 6);
  expectCniError(runCniPlugin({{"CNI_COMMAND", "VERSION"}}, "not json"), 6);
}

TEST_F(CniTest, UnsupportedVersionIsCode1) {
  Json conf = config();
  conf["cniVersion"] = "0.3.1";
  const PluginRun run = this->run(env("ADD"), conf);
  expectCniError(run, 1);
  EXPECT_NE(run.json()["details"].get<std::string>().find("0.3.1"), std::string::npos) << run.out;
}

TEST_F(CniTest, InvalidNetworkConfigIsCode7InTheConfigsVersion) {
  Json conf = config("0.4.0");
  conf.erase("agentSocket");
  const PluginRun run = this->run(env("ADD"), conf);
  expectCniError(run, 7, "agentSocket");
  EXPECT_EQ(run.json()["cniVersion"], "0.4.0");

  conf = config();
  conf["agentSocket"] = "agent.sock";
  expectCniError(this->run(env("ADD"), conf), 7, "absolute");

  conf = config();
  conf["failOpenForNamespaces"] = "kube-system";
  expectCniError(this->run(env("ADD"), conf), 7, "failOpenForNamespaces");

  conf = config();
  conf["prevResult"]["ips"][0]["address"] = "10.244.1.500/24";
  expectCniError(this->run(env("ADD"), conf), 7, "prevResult.ips[0].address");
}

TEST_F(CniTest, AddWithoutPrevResultIsCode7) {
  startAgent();
  Json conf = config();
  conf.erase("prevResult");
  expectCniError(this->run(env("ADD"), conf), 7, "prevResult");
  EXPECT_TRUE(backend_.added.empty());
}

}  // namespace
}  // namespace ztls::test

namespace ztls::test {
namespace {

// Standalone mode: without an agent, the cluster config decides who may start.
class CniClusterConfigTest : public CniTest {
 protected:
  Json configWithCluster(const std::string& yaml) {
    const std::filesystem::path file = clusterDir_ / "cluster.yaml";
    std::ofstream(file) << yaml;
    Json conf = config();
    conf["clusterConfig"] = file.parent_path().string();
    return conf;
  }
  TempDir clusterDir_;
};

constexpr const char* kCluster = R"(
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: v1
kind: Namespace
metadata: {name: foo, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: httpbin-7d9c8f5b6-x2x4k, namespace: legacy}
spec: {containers: [{name: httpbin, image: httpbin}]}
---
apiVersion: v1
kind: Pod
metadata: {name: httpbin-7d9c8f5b6-x2x4k, namespace: foo}
spec: {containers: [{name: httpbin, image: httpbin}]}
)";

TEST_F(CniClusterConfigTest, APodOutsideTheMeshStartsWithoutTheAgent) {
  const PluginRun run = this->run(env("ADD", "legacy"), configWithCluster(kCluster));
  EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
  EXPECT_EQ(run.json(), bridgeResult());
  EXPECT_NE(run.err.find("outside the mesh"), std::string::npos) << run.err;
}

TEST_F(CniClusterConfigTest, AMeshPodStillFailsWithoutTheAgent) {
  expectCniError(this->run(env("ADD", "foo"), configWithCluster(kCluster)), 11,
                 "is ztls-agent running?");
}

TEST_F(CniClusterConfigTest, AnUnknownPodStillFailsWithoutTheAgent) {
  expectCniError(this->run(env("ADD", "bar"), configWithCluster(kCluster)), 11,
                 "is ztls-agent running?");
}

}  // namespace
}  // namespace ztls::test
