#include "lab/topology.h"

#include <fmt/format.h>

#include <algorithm>

#include "lab/system.h"

namespace ztls::lab {
namespace {

void ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  runChecked(argv);
}

void sysctl(const std::string& netns, const std::string& assignment) {
  runChecked({"sysctl", "-qw", assignment}, {}, netns);
}

}  // namespace

void createTopology(const LabPaths& paths, const std::vector<NodeState>& nodes) {
  const std::string underlay = paths.underlayNetns();
  ip({"netns", "add", underlay});
  ip({"-n", underlay, "link", "set", "lo", "up"});
  ip({"-n", underlay, "link", "add", "underlay", "type", "bridge"});
  ip({"-n", underlay, "link", "set", "underlay", "up"});
  for (const auto& node : nodes) {
    const std::string netns = paths.nodeNetns(node.name);
    const std::string uplink = "to-" + node.name;
    ip({"netns", "add", netns});
    ip({"-n", netns, "link", "set", "lo", "up"});
    ip({"-n", underlay, "link", "add", uplink, "type", "veth", "peer", "name", "eth0", "netns",
        netns});
    ip({"-n", underlay, "link", "set", uplink, "master", "underlay", "up"});
    ip({"-n", netns, "addr", "add", node.underlayAddress() + "/24", "dev", "eth0"});
    ip({"-n", netns, "link", "set", "eth0", "up"});
    // Each node routes between its pod bridge and the underlay, like a real host.
    sysctl(netns, "net.ipv4.ip_forward=1");
  }
  for (const auto& node : nodes) {
    for (const auto& peer : nodes) {
      if (peer.name == node.name) continue;
      ip({"-n", paths.nodeNetns(node.name), "route", "add", peer.podCidr(), "via",
          peer.underlayAddress()});
    }
  }
}

Leftovers findLeftovers(const LabPaths& paths) {
  Leftovers leftovers;
  for (const auto& name : listNetns()) {
    if (name.rfind(paths.netnsPrefix(), 0) == 0) leftovers.netns.push_back(name);
  }
  leftovers.cgroups = std::filesystem::exists(paths.cgroupRoot());
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(paths.bpfRoot(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(paths.bpfPinPrefix(), 0) == 0) leftovers.bpfPins.push_back(entry.path());
  }
  leftovers.stateDir = std::filesystem::exists(paths.stateDir());
  return leftovers;
}

void removeLeftovers(const LabPaths& paths, const Leftovers& leftovers) {
  // Processes first: pods and agents all live in the cluster's cgroup subtree.
  if (leftovers.cgroups) destroyCgroupTree(paths.cgroupRoot());
  for (const auto& pin : leftovers.bpfPins) std::filesystem::remove_all(pin);
  std::error_code error;
  if (std::filesystem::is_empty(paths.bpfRoot(), error)) std::filesystem::remove(paths.bpfRoot());
  // Pods before nodes before the underlay, so that no veth is orphaned mid-way.
  std::vector<std::string> netns = leftovers.netns;
  std::sort(netns.begin(), netns.end(), [&](const std::string& a, const std::string& b) {
    auto rank = [&](const std::string& name) {
      if (name == paths.underlayNetns()) return 2;
      return name.rfind(paths.cluster + ".pod.", 0) == 0 ? 0 : 1;
    };
    return rank(a) < rank(b);
  });
  for (const auto& name : netns) runChecked({"ip", "netns", "delete", name});
  if (leftovers.stateDir) std::filesystem::remove_all(paths.stateDir());
}

}  // namespace ztls::lab
