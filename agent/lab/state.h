// The lab's memory between commands: the objects users applied (kept as the YAML they
// wrote, with the fields an API server would fill in) and the runtime facts about
// nodes and pods. Saved as JSON under the cluster's state directory; every mutating
// command holds the cluster lock while it loads, changes and saves it.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lab/paths.h"

namespace ztls::lab {

struct NodeState {
  std::string name;  // node1, node2, ...
  int index = 0;     // 1-based; picks the pod CIDR and underlay address
  pid_t agentPid = 0;
  // The agent's --kernel-tls: "auto" or "off" (kept across agent restarts).
  std::string kernelTls = "auto";

  std::string podCidr() const { return "10.244." + std::to_string(index) + ".0/24"; }
  std::string podGateway() const { return "10.244." + std::to_string(index) + ".1"; }
  std::string underlayAddress() const { return "10.99.0." + std::to_string(index); }
};

struct PodState {
  std::string namespace_;
  std::string name;
  std::string node;
  std::string owner;         // Deployment name, empty for a bare Pod
  std::string templateHash;  // which Deployment template produced it
  std::string containerId;
  std::string ip;
  std::vector<pid_t> pids;
  long long created = 0;  // unix seconds
  // `label pod` on a pod a Deployment made: kept with the pod, not its template, as in
  // Kubernetes. Values are labels to set; an empty optional removes the label.
  std::map<std::string, std::optional<std::string>> labelChanges;
  std::string key() const { return namespace_ + "/" + name; }
};

// One applied object. `yaml` is the whole document as stored (namespace, creation
// timestamp and cluster IP filled in).
struct ObjectRecord {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string yaml;
  std::string key() const { return kind + "/" + namespace_ + "/" + name; }
};

struct LabState {
  std::string cluster;
  std::vector<NodeState> nodes;
  std::vector<ObjectRecord> objects;  // creation order
  std::map<std::string, PodState> pods;
  int nextServiceAddress = 10;  // 10.96.0.N

  ObjectRecord* findObject(const std::string& kind, const std::string& ns, const std::string& name);
  const NodeState* findNode(const std::string& name) const;
};

bool stateExists(const LabPaths& paths);
LabState loadState(const LabPaths& paths);
void saveState(const LabPaths& paths, const LabState& state);

// flock on the cluster's lock file for the lifetime of the object.
class ClusterLock {
 public:
  explicit ClusterLock(const LabPaths& paths);
  ~ClusterLock();
  ClusterLock(const ClusterLock&) = delete;
  ClusterLock& operator=(const ClusterLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ztls::lab
