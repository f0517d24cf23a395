#include "lab/cni.h"

#include <fmt/format.h>

#include <stdexcept>

#include "lab/system.h"

namespace ztls::lab {
namespace {

constexpr const char* kCniVersion = "1.0.0";

std::string joinPaths(const std::vector<std::filesystem::path>& dirs) {
  std::string joined;
  for (const auto& dir : dirs) {
    if (!joined.empty()) joined += ':';
    joined += dir.string();
  }
  return joined;
}

std::filesystem::path findPlugin(const std::string& type,
                                 const std::vector<std::filesystem::path>& dirs) {
  for (const auto& dir : dirs) {
    if (std::filesystem::exists(dir / type)) return dir / type;
  }
  throw std::runtime_error(fmt::format("CNI plugin \"{}\" not found in {}", type, joinPaths(dirs)));
}

CommandResult invoke(const std::string& command, const NodeState& node, const LabPaths& paths,
                     const CniPod& pod, const std::vector<std::filesystem::path>& pluginDirs,
                     const nlohmann::json& pluginConfig) {
  const std::string type = pluginConfig.at("type").get<std::string>();
  std::vector<std::string> env{
      "CNI_COMMAND=" + command,
      "CNI_CONTAINERID=" + pod.containerId,
      "CNI_NETNS=" + pod.netns.string(),
      "CNI_IFNAME=eth0",
      "CNI_PATH=" + joinPaths(pluginDirs),
      fmt::format("CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE={};K8S_POD_NAME={};"
                  "K8S_POD_INFRA_CONTAINER_ID={};K8S_POD_UID={};ZTLS_POD_CGROUP={}",
                  pod.namespace_, pod.name, pod.containerId, pod.uid, pod.cgroup.string()),
  };
  return runCommand({findPlugin(type, pluginDirs).string()}, pluginConfig.dump(),
                    paths.nodeNetns(node.name), env);
}

std::string describeFailure(const std::string& type, const CommandResult& result) {
  try {
    const auto error = nlohmann::json::parse(result.out);
    return fmt::format("CNI plugin {} failed (code {}): {}{}", type, error.value("code", 0),
                       error.value("msg", std::string("no message")),
                       error.contains("details") && !error["details"].get<std::string>().empty()
                           ? ": " + error["details"].get<std::string>()
                           : "");
  } catch (const std::exception&) {
    return fmt::format("CNI plugin {} failed with exit code {}: {}{}", type, result.exitCode,
                       result.out, result.err);
  }
}

nlohmann::json chainedConfig(const nlohmann::json& list, const nlohmann::json& plugin,
                             const nlohmann::json& previousResult) {
  nlohmann::json config = plugin;
  config["cniVersion"] = list.at("cniVersion");
  config["name"] = list.at("name");
  if (!previousResult.is_null()) config["prevResult"] = previousResult;
  return config;
}

}  // namespace

nlohmann::json nodeNetworkConfig(const LabPaths& paths, const NodeState& node) {
  return {
      {"cniVersion", kCniVersion},
      {"name", "ztls-lab"},
      {"plugins",
       {
           {{"type", "bridge"},
            {"bridge", "cni0"},
            {"isGateway", true},
            {"ipMasq", false},
            {"hairpinMode", true},
            {"ipam",
             {{"type", "host-local"},
              {"ranges", {{{{"subnet", node.podCidr()}, {"gateway", node.podGateway()}}}}},
              {"routes", {{{"dst", "0.0.0.0/0"}}}},
              {"dataDir", paths.ipamDir(node.name).string()}}}},
           {{"type", "ztls-cni"},
            {"agentSocket", paths.agentSocket(node.name).string()},
            {"clusterConfig", paths.configDir().string()}},
       }},
  };
}

nlohmann::json cniAdd(const LabPaths& paths, const NodeState& node, const CniPod& pod,
                      const std::vector<std::filesystem::path>& pluginDirs) {
  const nlohmann::json list = nodeNetworkConfig(paths, node);
  nlohmann::json result;
  for (const auto& plugin : list.at("plugins")) {
    const CommandResult outcome =
        invoke("ADD", node, paths, pod, pluginDirs, chainedConfig(list, plugin, result));
    if (outcome.exitCode != 0) {
      throw std::runtime_error(describeFailure(plugin.at("type"), outcome));
    }
    try {
      result = nlohmann::json::parse(outcome.out);
    } catch (const std::exception& error) {
      throw std::runtime_error(fmt::format("CNI plugin {} printed an unreadable result: {}",
                                           plugin.at("type").get<std::string>(), error.what()));
    }
  }
  return result;
}

std::vector<std::string> cniDel(const LabPaths& paths, const NodeState& node, const CniPod& pod,
                                const std::vector<std::filesystem::path>& pluginDirs,
                                const nlohmann::json& previousResult) {
  const nlohmann::json list = nodeNetworkConfig(paths, node);
  std::vector<std::string> errors;
  const auto& plugins = list.at("plugins");
  for (auto plugin = plugins.rbegin(); plugin != plugins.rend(); ++plugin) {
    try {
      const CommandResult outcome =
          invoke("DEL", node, paths, pod, pluginDirs, chainedConfig(list, *plugin, previousResult));
      if (outcome.exitCode != 0) errors.push_back(describeFailure(plugin->at("type"), outcome));
    } catch (const std::exception& error) {
      errors.emplace_back(error.what());
    }
  }
  return errors;
}

std::string firstIpv4(const nlohmann::json& result) {
  for (const auto& entry : result.value("ips", nlohmann::json::array())) {
    const std::string address = entry.value("address", "");
    if (address.find(':') != std::string::npos) continue;
    return address.substr(0, address.find('/'));
  }
  throw std::runtime_error("the CNI result has no IPv4 address: " + result.dump());
}

}  // namespace ztls::lab
