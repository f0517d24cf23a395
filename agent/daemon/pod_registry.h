// The pods the CNI plugin announced on this node, persisted so that a restarted agent
// re-captures them without the pods being re-created (Istio's CNI agent re-learns them
// from the API server; standalone mode keeps them in the agent's state directory).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ztls/api/types.h"

namespace ztls::daemon {

class PodRegistry {
 public:
  explicit PodRegistry(std::filesystem::path file);

  // Loads the saved pods, dropping those whose network namespace no longer exists.
  void load();
  void add(const api::AddPodRequest& pod);
  bool remove(const std::string& ns, const std::string& name);
  std::vector<api::AddPodRequest> pods() const;
  const api::AddPodRequest* find(const std::string& ns, const std::string& name) const;

 private:
  void save() const;

  std::filesystem::path file_;
  std::map<std::string, api::AddPodRequest> pods_;  // "ns/name"
};

}  // namespace ztls::daemon
