// The network configuration ztls-cni reads from stdin, validated.
//
// Plugin keys:
//   agentSocket            required; the node agent's socket, "/run/..." or "unix:/run/..."
//   agentTimeoutSeconds    optional, default 10; bounds each call to the agent
//   failOpenForNamespaces  optional, default []; see the README in this folder
//   nodeName               optional; passed to the agent, which otherwise uses its own
//   clusterConfig          optional; standalone mode's cluster config directory, read only
//                          when the agent is unreachable, to let pods outside the mesh start
// Runtime-filled: runtimeConfig.cgroupPath (the "cgroupPath" capability).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ztls::cni {

using Json = nlohmann::ordered_json;  // keeps prevResult's key order when echoing it

inline constexpr const char* kNewestVersion = "1.0.0";
inline const std::vector<std::string> kSupportedVersions = {"0.4.0", "1.0.0"};

struct NetConf {
  std::string cniVersion;
  std::string name;
  std::string type;
  std::string agentSocket;
  std::chrono::milliseconds agentTimeout{10000};
  std::vector<std::string> failOpenForNamespaces;
  std::string nodeName;
  std::string clusterConfig;
  std::string cgroupPath;  // from runtimeConfig; empty when the runtime passed none
  std::optional<Json> prevResult;
};

// Throws CniError: kDecodeFailure for text that is not a JSON object,
// kIncompatibleVersion for an unsupported cniVersion, kInvalidNetworkConfig for missing
// or mistyped keys. `acceptedVersion` is set as soon as cniVersion is known to be
// supported, so that later errors can be reported in the runtime's version.
NetConf parseNetConf(const std::string& text, std::string& acceptedVersion);

// The pod's addresses from a bridge/host-local style prevResult, prefix length removed.
// Addresses on host-side interfaces (those without a sandbox) are skipped.
std::vector<std::string> podAddresses(const Json& prevResult);

}  // namespace ztls::cni
