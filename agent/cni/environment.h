// The CNI_* environment variables of one invocation, validated for its command.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace ztls::cni {

enum class Command : std::uint8_t { kAdd, kDel, kCheck, kVersion };

struct Environment {
  Command command = Command::kVersion;
  std::string containerId;
  std::string netns;  // empty is allowed for DEL only
  std::string ifname;
  std::string path;
  std::map<std::string, std::string> args;  // CNI_ARGS
};

using Getenv = std::function<const char*(const char*)>;

// Throws CniError(kInvalidEnvironment) naming every missing or malformed variable.
Environment readEnvironment(const Getenv& getenv);

// "K1=V1;K2=V2" into a map. Empty segments are tolerated; a segment without '=' or with
// an empty key is an error.
std::map<std::string, std::string> parseCniArgs(const std::string& text);

}  // namespace ztls::cni
