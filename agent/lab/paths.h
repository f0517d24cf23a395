// Every name and path one lab cluster owns. All of them derive from the cluster name,
// so `down` (or an `up` after a crash) can find leftovers without any saved state.
// Names use '.' after the cluster name: cluster names are DNS labels without dots, so
// one cluster's prefix never matches another's.
#pragma once

#include <filesystem>
#include <string>

namespace ztls::lab {

struct LabPaths {
  std::string cluster;
  std::filesystem::path cgroup2;  // cgroup v2 mount point

  std::filesystem::path stateDir() const { return "/run/ztls-lab/" + cluster; }
  std::filesystem::path configDir() const { return stateDir() / "config"; }
  std::filesystem::path clusterConfigFile() const { return configDir() / "cluster.yaml"; }
  std::filesystem::path stateFile() const { return stateDir() / "lab.json"; }
  // Outside stateDir so that `down` can remove the whole directory while holding it.
  std::filesystem::path lockFile() const { return "/run/ztls-lab/" + cluster + ".lock"; }

  std::string netnsPrefix() const { return cluster + "."; }
  std::string underlayNetns() const { return cluster + ".underlay"; }
  std::string nodeNetns(const std::string& node) const { return cluster + "." + node; }
  std::string podNetns(const std::string& ns, const std::string& pod) const {
    return cluster + ".pod." + ns + "." + pod;
  }

  std::filesystem::path cgroupRoot() const { return cgroup2 / ("ztls-lab." + cluster); }
  std::filesystem::path nodeCgroup(const std::string& node) const { return cgroupRoot() / node; }
  // The agent attaches its connect/sockops programs here once per node.
  std::filesystem::path podsCgroup(const std::string& node) const {
    return nodeCgroup(node) / "pods";
  }
  std::filesystem::path podCgroup(const std::string& node, const std::string& ns,
                                  const std::string& pod) const {
    return podsCgroup(node) / (ns + "_" + pod);
  }
  // Outside pods/: the agent's own connects must never be captured.
  std::filesystem::path agentCgroup(const std::string& node) const {
    return nodeCgroup(node) / "agent";
  }

  std::filesystem::path bpfRoot() const { return "/sys/fs/bpf/ztls"; }
  // bpffs refuses names with dots; '_' cannot appear in a cluster name either.
  std::string bpfPinPrefix() const { return cluster + "_"; }
  std::filesystem::path bpfPinDir(const std::string& node) const {
    return bpfRoot() / (bpfPinPrefix() + node);
  }

  std::filesystem::path nodeDir(const std::string& node) const {
    return stateDir() / "nodes" / node;
  }
  std::filesystem::path agentSocket(const std::string& node) const {
    return nodeDir(node) / "agent.sock";
  }
  std::filesystem::path agentLog(const std::string& node) const {
    return nodeDir(node) / "agent.log";
  }
  std::filesystem::path ipamDir(const std::string& node) const { return nodeDir(node) / "ipam"; }
  std::filesystem::path podDir(const std::string& ns, const std::string& pod) const {
    return stateDir() / "pods" / (ns + "_" + pod);
  }
};

}  // namespace ztls::lab
