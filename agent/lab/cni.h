// Calls the node's CNI plugin chain the way kubelet's runtime (libcni) does: each
// plugin binary from CNI_PATH, the CNI_* environment, the network configuration on
// stdin with the previous plugin's result as prevResult, run in the node's network
// namespace (the host side of the pod's veth lands there).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/paths.h"
#include "lab/state.h"

namespace ztls::lab {

struct CniPod {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string containerId;
  std::filesystem::path netns;
  std::filesystem::path cgroup;
};

// The conflist the lab writes for each node: bridge + host-local, then ztls-cni.
nlohmann::json nodeNetworkConfig(const LabPaths& paths, const NodeState& node);

// Returns the chain's final result; throws with the failing plugin's CNI error.
nlohmann::json cniAdd(const LabPaths& paths, const NodeState& node, const CniPod& pod,
                      const std::vector<std::filesystem::path>& pluginDirs);
// Best effort in reverse order, as the spec asks of runtimes; returns the errors seen.
std::vector<std::string> cniDel(const LabPaths& paths, const NodeState& node, const CniPod& pod,
                                const std::vector<std::filesystem::path>& pluginDirs,
                                const nlohmann::json& previousResult);

// The first IPv4 address of a CNI result, without its prefix length.
std::string firstIpv4(const nlohmann::json& result);

}  // namespace ztls::lab
