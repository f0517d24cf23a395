// The state file: everything a later command needs must survive save and load.
#include "lab/state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace ztls::lab {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  void TearDown() override {
    std::filesystem::remove_all(paths_.stateDir());
    std::filesystem::remove(paths_.lockFile());
  }

  // The pid keeps parallel runs, and a real cluster, out of each other's files.
  LabPaths paths_{"ztls-unit-" + std::to_string(::getpid()), "/sys/fs/cgroup"};
};

LabState sampleState(const std::string& cluster) {
  LabState state;
  state.cluster = cluster;
  state.nextServiceAddress = 42;
  state.nodes = {{"node1", 1, 1234}, {"node2", 2, 0}};
  state.objects = {
      {"Namespace", "", "foo", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n"},
      {"Service", "foo", "httpbin",
       "kind: Service\nmetadata:\n  name: httpbin\n  annotations:\n    note: \"a \\\"quoted\\\" "
       "value\"\nspec:\n  clusterIP: 10.96.0.10\n"}};
  PodState pod;
  pod.namespace_ = "foo";
  pod.name = "httpbin-5d8f7c";
  pod.node = "node2";
  pod.owner = "httpbin";
  pod.templateHash = "5d8f7c";
  pod.containerId = "ztls-foo-httpbin-5d8f7c";
  pod.ip = "10.244.2.7";
  pod.pids = {100, 101};
  pod.created = 1714564800;
  pod.labelChanges = {{"version", "v2"}, {"app", std::nullopt}};
  state.pods.emplace(pod.key(), pod);
  PodState pending;
  pending.namespace_ = "foo";
  pending.name = "bare";
  state.pods.emplace(pending.key(), pending);
  return state;
}

TEST_F(StateFileTest, SaveThenLoadKeepsEverything) {
  const LabState saved = sampleState(paths_.cluster);
  EXPECT_FALSE(stateExists(paths_));
  saveState(paths_, saved);
  EXPECT_TRUE(stateExists(paths_));

  const LabState loaded = loadState(paths_);
  EXPECT_EQ(loaded.cluster, saved.cluster);
  EXPECT_EQ(loaded.nextServiceAddress, 42);

  ASSERT_EQ(loaded.nodes.size(), 2u);
  for (std::size_t i = 0; i < loaded.nodes.size(); ++i) {
    EXPECT_EQ(loaded.nodes[i].name, saved.nodes[i].name);
    EXPECT_EQ(loaded.nodes[i].index, saved.nodes[i].index);
    EXPECT_EQ(loaded.nodes[i].agentPid, saved.nodes[i].agentPid);
  }

  ASSERT_EQ(loaded.objects.size(), 2u);
  for (std::size_t i = 0; i < loaded.objects.size(); ++i) {
    EXPECT_EQ(loaded.objects[i].key(), saved.objects[i].key());
    EXPECT_EQ(loaded.objects[i].yaml, saved.objects[i].yaml);
  }

  ASSERT_EQ(loaded.pods.size(), 2u);
  for (const auto& [key, pod] : saved.pods) {
    ASSERT_EQ(loaded.pods.count(key), 1u) << key;
    const PodState& back = loaded.pods.at(key);
    EXPECT_EQ(back.namespace_, pod.namespace_);
    EXPECT_EQ(back.name, pod.name);
    EXPECT_EQ(back.node, pod.node);
    EXPECT_EQ(back.owner, pod.owner);
    EXPECT_EQ(back.templateHash, pod.templateHash);
    EXPECT_EQ(back.containerId, pod.containerId);
    EXPECT_EQ(back.ip, pod.ip);
    EXPECT_EQ(back.pids, pod.pids);
    EXPECT_EQ(back.created, pod.created);
    EXPECT_EQ(back.labelChanges, pod.labelChanges);
  }
}

TEST_F(StateFileTest, LoadedNodesAreFoundByName) {
  saveState(paths_, sampleState(paths_.cluster));
  const LabState loaded = loadState(paths_);
  ASSERT_NE(loaded.findNode("node2"), nullptr);
  EXPECT_EQ(loaded.findNode("node2")->podCidr(), "10.244.2.0/24");
  EXPECT_EQ(loaded.findNode("node3"), nullptr);
}

TEST_F(StateFileTest, LoadingAClusterThatIsNotUpSaysSo) {
  try {
    loadState(paths_);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()),
              "lab cluster \"" + paths_.cluster + "\" is not up; run `ztls-lab up` first");
  }
}

TEST_F(StateFileTest, LockCreatesTheLockFileOutsideTheStateDirectory) {
  {
    ClusterLock lock(paths_);
    EXPECT_TRUE(std::filesystem::exists(paths_.lockFile()));
  }
  EXPECT_FALSE(std::filesystem::exists(paths_.stateDir()));
}

}  // namespace
}  // namespace ztls::lab
