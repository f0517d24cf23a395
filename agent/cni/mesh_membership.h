// When the agent cannot be reached, may this pod start anyway? Only when the cluster
// config (standalone mode: the directory the agents follow) says for certain that the
// pod is outside the mesh. Unknown pods, unreadable config and mesh pods all stay
// blocked: an unprotected mesh pod is worse than a pod that starts later.
#pragma once

#include <filesystem>
#include <string>

namespace ztls::cni {

struct MembershipVerdict {
  bool certainlyOutside = false;
  std::string reason;
};

MembershipVerdict meshMembership(const std::filesystem::path& clusterConfig,
                                 const std::string& namespace_, const std::string& name);

}  // namespace ztls::cni
