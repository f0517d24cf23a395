// `up` after a crash and `down` leave nothing behind: namespaces, cgroups, bpffs pins,
// state, processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lab_runner.h"

namespace ztls::e2e {
namespace {

std::filesystem::path cgroup2() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    if (line.find(" - cgroup2 ") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 5; ++i) fields >> field;
    return field;
  }
  return {};
}

std::vector<std::string> leftovers(const std::string& cluster) {
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/var/run/netns", error)) {
    if (entry.path().filename().string().rfind(cluster + ".", 0) == 0) {
      found.push_back("netns " + entry.path().string());
    }
  }
  for (const auto& path : {std::filesystem::path("/run/ztls-lab") / cluster,
                           std::filesystem::path("/run/ztls-lab") / (cluster + ".lock"),
                           cgroup2() / ("ztls-lab." + cluster),
                           std::filesystem::path("/sys/fs/bpf/ztls") / (cluster + "_node1")}) {
    if (std::filesystem::exists(path)) found.push_back(path.string());
  }
  return found;
}

std::vector<pid_t> labPids(const std::string& cluster) {
  std::vector<pid_t> pids;
  std::ifstream state("/run/ztls-lab/" + cluster + "/lab.json");
  if (!state) return pids;
  const auto json = nlohmann::json::parse(state);
  for (const auto& node : json["nodes"]) pids.push_back(node["agentPid"].get<pid_t>());
  for (const auto& pod : json["pods"]) {
    for (const auto& pid : pod["pids"]) pids.push_back(pid.get<pid_t>());
  }
  return pids;
}

// Zombies waiting for init to reap them are gone for our purposes.
bool processRunning(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!std::getline(stat, content)) return false;
  const auto close = content.rfind(')');
  return close != std::string::npos && content.size() > close + 2 && content[close + 2] != 'Z';
}

TEST(LabHygiene, UpAfterACrashCleansUpAndDownLeavesNothing) {
  ASSERT_EQ(geteuid(), 0) << "the lab needs root";
  // A fixed name: if a previous run died half-way, this run's first `up` clears it.
  const Lab lab("ztls-hyg");
  ASSERT_EQ(lab.run("down").exitCode, 0);
  ASSERT_EQ(lab.run("up --nodes 1").exitCode, 0);
  lab.must("create ns legacy");
  lab.must("apply -n legacy -f " + std::string(ZTLS_SOURCE_DIR) + "/samples/sleep/sleep.yaml");
  const std::vector<pid_t> crashed = labPids(lab.cluster());
  ASSERT_GE(crashed.size(), 2u);

  // A crash: every process of the lab dies at once and its state file is lost.
  for (const pid_t pid : crashed) kill(pid, SIGKILL);
  std::filesystem::remove("/run/ztls-lab/" + lab.cluster() + "/lab.json");
  EXPECT_FALSE(leftovers(lab.cluster()).empty());

  const Outcome again = lab.run("up --nodes 1");
  EXPECT_EQ(again.exitCode, 0) << again.output;
  EXPECT_NE(again.output.find("removing leftovers"), std::string::npos) << again.output;
  EXPECT_EQ(lab.run("up --nodes 1").output.find("already up") != std::string::npos, true)
      << "a second up on a healthy cluster is a no-op";

  const std::vector<pid_t> running = labPids(lab.cluster());
  const Outcome down = lab.run("down");
  EXPECT_EQ(down.exitCode, 0) << down.output;
  EXPECT_EQ(leftovers(lab.cluster()), std::vector<std::string>{});
  for (const pid_t pid : running) {
    EXPECT_FALSE(processRunning(pid)) << "process " << pid << " survived down";
  }
}

}  // namespace
}  // namespace ztls::e2e
