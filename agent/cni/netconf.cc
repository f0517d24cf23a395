#include "netconf.h"

#include <arpa/inet.h>

#include <algorithm>

#include "cni_error.h"

namespace ztls::cni {
namespace {

[[noreturn]] void invalid(const std::string& msg, const std::string& details = "") {
  throw CniError(kInvalidNetworkConfig, msg, details);
}

std::string requiredString(const Json& config, const char* key) {
  const auto found = config.find(key);
  if (found == config.end() || !found->is_string() || found->get<std::string>().empty()) {
    invalid(std::string("network config needs a non-empty string \"") + key + "\"");
  }
  return found->get<std::string>();
}

std::string optionalString(const Json& object, const char* key, const std::string& where) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return "";
  if (!found->is_string()) invalid(where + key + " must be a string");
  return found->get<std::string>();
}

void checkVersion(const Json& config, std::string& acceptedVersion) {
  const auto found = config.find("cniVersion");
  if (found == config.end() || !found->is_string()) {
    invalid("network config needs a string \"cniVersion\"");
  }
  const std::string version = found->get<std::string>();
  if (std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version) ==
      kSupportedVersions.end()) {
    std::string supported;
    for (const std::string& v : kSupportedVersions)
      supported += (supported.empty() ? "" : ", ") + v;
    throw CniError(kIncompatibleVersion, "incompatible CNI version",
                   "config is " + version + "; ztls-cni supports " + supported);
  }
  acceptedVersion = version;
}

// The agent API needs a path, not just any string; catch a typo here as a config error
// instead of as an unreachable agent.
std::string agentSocket(const Json& config) {
  const std::string socket = requiredString(config, "agentSocket");
  const bool absolute = socket.starts_with("/") || socket.starts_with("unix:/");
  if (!absolute) invalid("agentSocket \"" + socket + "\" must be an absolute path");
  return socket;
}

std::chrono::milliseconds agentTimeout(const Json& config) {
  const auto found = config.find("agentTimeoutSeconds");
  if (found == config.end()) return std::chrono::milliseconds(10000);
  if (!found->is_number() || found->get<double>() <= 0 || found->get<double>() > 600) {
    invalid("agentTimeoutSeconds must be a number of seconds between 0 and 600");
  }
  return std::chrono::milliseconds(static_cast<long>(found->get<double>() * 1000));
}

std::vector<std::string> failOpenNamespaces(const Json& config) {
  const auto found = config.find("failOpenForNamespaces");
  if (found == config.end() || found->is_null()) return {};
  if (!found->is_array()) invalid("failOpenForNamespaces must be a list of namespace names");
  std::vector<std::string> names;
  for (const Json& item : *found) {
    if (!item.is_string() || item.get<std::string>().empty()) {
      invalid("failOpenForNamespaces must be a list of namespace names");
    }
    names.push_back(item.get<std::string>());
  }
  return names;
}

std::string runtimeCgroupPath(const Json& config) {
  const auto runtime = config.find("runtimeConfig");
  if (runtime == config.end() || runtime->is_null()) return "";
  if (!runtime->is_object()) invalid("runtimeConfig must be an object");
  return optionalString(*runtime, "cgroupPath", "runtimeConfig.");
}

bool isAddress(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// An ips[] entry whose interface index names a host-side interface (no sandbox) is not
// the pod's address. Entries without an index, or with one we cannot resolve, are kept:
// dropping a real pod address would leave it unprotected.
bool onHostInterface(const Json& ip, const Json& prevResult) {
  const auto index = ip.find("interface");
  const auto interfaces = prevResult.find("interfaces");
  if (index == ip.end() || !index->is_number_unsigned() || interfaces == prevResult.end() ||
      !interfaces->is_array()) {
    return false;
  }
  const auto at = index->get<std::size_t>();
  if (at >= interfaces->size() || !(*interfaces)[at].is_object()) return false;
  const auto sandbox = (*interfaces)[at].find("sandbox");
  return sandbox == (*interfaces)[at].end() || !sandbox->is_string() ||
         sandbox->get<std::string>().empty();
}

}  // namespace

NetConf parseNetConf(const std::string& text, std::string& acceptedVersion) {
  Json config;
  try {
    config = Json::parse(text);
  } catch (const Json::exception& error) {
    throw CniError(kDecodeFailure, "cannot decode the network config on stdin", error.what());
  }
  if (!config.is_object()) {
    throw CniError(kDecodeFailure, "the network config on stdin is not a JSON object");
  }
  checkVersion(config, acceptedVersion);

  NetConf conf;
  conf.cniVersion = acceptedVersion;
  conf.name = requiredString(config, "name");
  conf.type = requiredString(config, "type");
  conf.agentSocket = agentSocket(config);
  conf.agentTimeout = agentTimeout(config);
  conf.failOpenForNamespaces = failOpenNamespaces(config);
  conf.nodeName = optionalString(config, "nodeName", "");
  conf.clusterConfig = optionalString(config, "clusterConfig", "");
  if (!conf.clusterConfig.empty() && conf.clusterConfig.front() != '/') {
    invalid("clusterConfig \"" + conf.clusterConfig + "\" must be an absolute path");
  }
  conf.cgroupPath = runtimeCgroupPath(config);
  if (const auto prev = config.find("prevResult"); prev != config.end() && !prev->is_null()) {
    if (!prev->is_object()) invalid("prevResult must be an object");
    conf.prevResult = *prev;
  }
  return conf;
}

std::vector<std::string> podAddresses(const Json& prevResult) {
  std::vector<std::string> addresses;
  const auto ips = prevResult.find("ips");
  if (ips == prevResult.end() || ips->is_null()) return addresses;
  if (!ips->is_array()) invalid("prevResult.ips must be a list");
  for (std::size_t i = 0; i < ips->size(); ++i) {
    const Json& ip = (*ips)[i];
    const std::string where = "prevResult.ips[" + std::to_string(i) + "].address";
    if (!ip.is_object() || !ip.contains("address") || !ip["address"].is_string()) {
      invalid(where + " is missing");
    }
    const std::string cidr = ip["address"].get<std::string>();
    const std::string address = cidr.substr(0, cidr.find('/'));
    if (!isAddress(address)) invalid(where + " \"" + cidr + "\" is not an address/prefix");
    if (!onHostInterface(ip, prevResult)) addresses.push_back(address);
  }
  return addresses;
}

}  // namespace ztls::cni
