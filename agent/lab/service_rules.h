// kube-proxy's job in the lab: cluster IP:port → endpoint pod IP:targetPort by
// nftables DNAT on every node, and name resolution through per-pod hosts files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lab/state.h"

namespace ztls::lab {

struct ServiceEndpoint {
  std::string ip;
  std::uint16_t port = 0;
};

struct ServicePortEndpoints {
  std::uint16_t port = 0;
  std::string protocol;  // "tcp" or "udp"
  std::vector<ServiceEndpoint> endpoints;
};

struct ServiceEndpoints {
  std::string namespace_;
  std::string name;
  std::string clusterIp;
  std::vector<ServicePortEndpoints> ports;
};

// Reads Services and running pods from the cluster YAML and resolves named target ports.
std::vector<ServiceEndpoints> serviceEndpoints(const std::string& clusterYaml);

// One nft transaction that replaces the node's whole lab table atomically.
std::string renderServiceRules(const std::vector<ServiceEndpoints>& services,
                               const NodeState& node);

std::string renderHostsFile(const std::vector<ServiceEndpoints>& services, const PodState& pod);

}  // namespace ztls::lab
