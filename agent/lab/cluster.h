// Makes the running lab match the stored objects: pods for Deployments (and bare Pods)
// with their namespaces, cgroups, CNI networking and processes; the Services' DNAT
// rules on every node; pods' hosts files; and the cluster config every agent watches.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lab/paths.h"
#include "lab/state.h"

namespace ztls::lab {

struct Toolbox {
  std::filesystem::path binDir;  // ztls-agent and ztls-cni
  std::vector<std::filesystem::path> cniPluginDirs() const;
};

class Cluster {
 public:
  Cluster(LabPaths paths, LabState& state, Toolbox tools)
      : paths_(std::move(paths)), state_(state), tools_(std::move(tools)) {}

  // Lines like "pod foo/httpbin-... started on node1 (10.244.1.2)" go to `log`.
  void reconcile(std::vector<std::string>& log);
  // The config file only (objects changed that need no pod work).
  void writeClusterConfig() const;

  void startAgent(NodeState& node);
  void stopAgent(NodeState& node);
  // A DaemonSet's surge restart: the new agent starts while the old one runs and takes
  // over its kernel TLS connections; the old one exits once the rest have ended.
  void restartAgent(NodeState& node);
  bool agentRunning(const NodeState& node) const;

  // The full cluster as YAML: applied objects plus pods with node and IP.
  std::string clusterYaml() const;

 private:
  struct DesiredPod;
  std::vector<DesiredPod> desiredPods() const;
  void createPod(const DesiredPod& desired, std::vector<std::string>& log);
  void deletePod(PodState pod, std::vector<std::string>& log);  // by value: it erases the entry
  std::string placePod(const DesiredPod& desired) const;
  void writeServiceRules() const;
  void writeHostsFiles() const;
  void waitUntilListening(const PodState& pod, const std::vector<std::uint16_t>& ports) const;
  // Spawns the node's agent and waits until that process serves the API socket (during a
  // hand-over the agent it replaces serves there until it lets go).
  void launchAgent(NodeState& node);

  LabPaths paths_;
  LabState& state_;
  Toolbox tools_;
};

}  // namespace ztls::lab
