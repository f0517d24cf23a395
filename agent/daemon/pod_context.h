// What every connection of one captured pod needs to know about it. Immutable and
// shared by the pod's listeners and connections, so a connection outlives a release.
#pragma once

#include <cstdint>
#include <string>

#include "ztls/netns/netns.h"

namespace ztls::daemon {

struct PodContext {
  std::string namespace_;
  std::string name;
  std::string ip;  // the pod's IPv4 address
  netns::Netns netns;
  std::string qualifiedName() const { return namespace_ + "/" + name; }
};

// Ports the agent itself listens on inside every captured pod (Istio's numbers: 15001
// outbound capture, 15006 inbound capture). Bound to loopback so that nothing reaches
// them except through the eBPF programs.
inline constexpr std::uint16_t kInboundListenerPort = 15006;

}  // namespace ztls::daemon
