// Runs the real ztls-cni binary the way a container runtime does: CNI_* variables in
// the environment, the network config on stdin, the result on stdout.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace ztls::test {

struct PluginRun {
  int exitCode = -1;
  std::string out;
  std::string err;

  nlohmann::ordered_json json() const { return nlohmann::ordered_json::parse(out); }
};

// The caller's CNI_* variables are dropped, so only `vars` reach the plugin.
PluginRun runCniPlugin(const std::map<std::string, std::string>& vars, const std::string& input);

}  // namespace ztls::test
