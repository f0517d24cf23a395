// The lab's wires: an underlay namespace with a bridge that links every node
// namespace, per-node pod CIDRs routed over it, and nothing in the root namespace.
#pragma once

#include <vector>

#include "lab/paths.h"
#include "lab/state.h"

namespace ztls::lab {

void createTopology(const LabPaths& paths, const std::vector<NodeState>& nodes);

// What a previous run (crashed or not) may have left: namespaces, cgroups, bpffs
// pins, state. Found by name, so it works without a readable state file.
struct Leftovers {
  std::vector<std::string> netns;
  bool cgroups = false;
  std::vector<std::filesystem::path> bpfPins;
  bool stateDir = false;
  bool empty() const { return netns.empty() && !cgroups && bpfPins.empty() && !stateDir; }
};
Leftovers findLeftovers(const LabPaths& paths);
// Stops every process in the cluster's cgroups, then removes the rest.
void removeLeftovers(const LabPaths& paths, const Leftovers& leftovers);

}  // namespace ztls::lab
