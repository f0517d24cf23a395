// ADD, DEL, CHECK and VERSION against a live agent.
#include "cni_fixture.h"

namespace ztls::test {
namespace {

const std::string kCgroup =
    "/kubepods.slice/kubepods-besteffort.slice/"
    "kubepods-besteffort-pod28ce45bc_63f8_48a3_a99b_cfb9e63c856c.slice";

TEST_F(CniTest, VersionListsSupportedSpecVersions) {
  const PluginRun run = runCniPlugin({{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"1.0.0"})");
  EXPECT_EQ(run.exitCode, 0) << run.err;
  EXPECT_EQ(run.json(),
            Json::parse(R"({"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]})"));
}

TEST_F(CniTest, AddEnrollsThePodAndPassesPrevResultOn) {
  startAgent();
  const PluginRun run = this->run(env("ADD"), config());

  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  EXPECT_EQ(run.out, bridgeResult().dump() + "\n");  // unchanged, key order included
  ASSERT_EQ(backend_.added.size(), 1u);
  const api::AddPodRequest expected{.namespace_ = "foo",
                                    .name = "httpbin-7d9c8f5b6-x2x4k",
                                    .uid = kPodUid,
                                    .containerId = kContainerId,
                                    .netnsPath = kNetns,
                                    .cgroupPath = kCgroup,
                                    .ips = {"10.244.1.5", "fd00:10:244:1::5"},
                                    .nodeName = ""};
  EXPECT_EQ(backend_.added[0], expected);
}

TEST_F(CniTest, AddSpeaksSpec040) {
  startAgent();
  const PluginRun run = this->run(env("ADD"), config("0.4.0"));

  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  EXPECT_EQ(run.json(), bridgeResult("0.4.0"));
  ASSERT_EQ(backend_.added.size(), 1u);
  EXPECT_EQ(backend_.added[0].ips, (std::vector<std::string>{"10.244.1.5", "fd00:10:244:1::5"}));
}

TEST_F(CniTest, AddOfAPodOutsideTheMeshSucceeds) {
  backend_.addResult = {.enrolled = false, .reason = "namespace legacy is not in the mesh"};
  startAgent();
  const PluginRun run = this->run(env("ADD", "legacy"), config());

  EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
  EXPECT_EQ(run.json(), bridgeResult());
}

TEST_F(CniTest, AddTakesTheCgroupFromCniArgsWhenTheRuntimeHasNoCapability) {
  startAgent();
  Json conf = config();
  conf.erase("runtimeConfig");
  auto vars = env("ADD");
  vars["CNI_ARGS"] += ";ZTLS_POD_CGROUP=/kubepods/besteffort/pod" + std::string(kPodUid);
  conf["nodeName"] = "n1";
  const PluginRun run = this->run(vars, conf);

  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  ASSERT_EQ(backend_.added.size(), 1u);
  EXPECT_EQ(backend_.added[0].cgroupPath, "/kubepods/besteffort/pod" + std::string(kPodUid));
  EXPECT_EQ(backend_.added[0].nodeName, "n1");
}

TEST_F(CniTest, AddSkipsAddressesOfHostSideInterfaces) {
  startAgent();
  Json conf = config();
  conf["prevResult"]["ips"].push_back({{"interface", 0}, {"address", "10.244.1.1/24"}});
  const PluginRun run = this->run(env("ADD"), conf);

  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  ASSERT_EQ(backend_.added.size(), 1u);
  EXPECT_EQ(backend_.added[0].ips, (std::vector<std::string>{"10.244.1.5", "fd00:10:244:1::5"}));
}

TEST_F(CniTest, AddFailsWhenTheAgentRefusesThePod) {
  backend_.failure =
      api::ApiError(api::ErrorKind::kFailedPrecondition, "no workload certificate yet");
  startAgent();
  const PluginRun run = this->run(env("ADD"), config());

  EXPECT_NE(run.exitCode, 0);
  const Json error = run.json();
  EXPECT_EQ(error["code"], 100);
  EXPECT_EQ(error["cniVersion"], "1.0.0");
  EXPECT_NE(error["msg"].get<std::string>().find("no workload certificate yet"), std::string::npos)
      << error;
}

TEST_F(CniTest, DelRemovesThePod) {
  startAgent();
  const PluginRun run = this->run(env("DEL"), config());

  EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "");
  ASSERT_EQ(backend_.removed.size(), 1u);
  const api::RemovePodRequest expected{.namespace_ = "foo",
                                       .name = "httpbin-7d9c8f5b6-x2x4k",
                                       .containerId = kContainerId,
                                       .netnsPath = kNetns};
  EXPECT_EQ(backend_.removed[0], expected);
}

TEST_F(CniTest, DelWorksWithoutNetnsOrPodArgs) {
  startAgent();
  auto vars = env("DEL");
  vars.erase("CNI_NETNS");
  vars.erase("CNI_ARGS");
  Json conf = config();
  conf.erase("prevResult");
  const PluginRun run = this->run(vars, conf);

  EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
  ASSERT_EQ(backend_.removed.size(), 1u);
  EXPECT_EQ(backend_.removed[0].containerId, kContainerId);
}

TEST_F(CniTest, DelSucceedsWhenTheAgentFails) {
  backend_.failure = api::ApiError(api::ErrorKind::kInternal, "boom");
  startAgent();
  const PluginRun run = this->run(env("DEL"), config());

  EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "");
}

TEST_F(CniTest, CheckPassesForAPodTheAgentKnows) {
  backend_.workloads = {
      {.namespace_ = "foo", .name = "httpbin-7d9c8f5b6-x2x4k", .netnsPath = kNetns}};
  startAgent();
  const PluginRun run = this->run(env("CHECK"), config());

  EXPECT_EQ(run.exitCode, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(backend_.listedNamespaces, std::vector<std::string>{"foo"});
}

TEST_F(CniTest, CheckFailsForAPodTheAgentDoesNotKnow) {
  backend_.workloads = {{.namespace_ = "foo", .name = "sleep-5d8f7c9b4-qwert"}};
  startAgent();
  const PluginRun run = this->run(env("CHECK"), config());

  EXPECT_NE(run.exitCode, 0);
  EXPECT_EQ(run.json()["code"], 101) << run.out;
}

TEST_F(CniTest, CheckFailsForAPodKnownInAnotherNetns) {
  backend_.workloads = {{.namespace_ = "foo",
                         .name = "httpbin-7d9c8f5b6-x2x4k",
                         .netnsPath = "/var/run/netns/cni-old"}};
  startAgent();
  const PluginRun run = this->run(env("CHECK"), config());

  EXPECT_NE(run.exitCode, 0);
  EXPECT_EQ(run.json()["code"], 101) << run.out;
}

}  // namespace
}  // namespace ztls::test
