#include "environment.h"

#include <string_view>
#include <vector>

#include "cni_error.h"

namespace ztls::cni {
namespace {

Command parseCommand(const char* value) {
  if (value == nullptr || *value == '\0') {
    throw CniError(kInvalidEnvironment, "CNI_COMMAND is not set");
  }
  const std::string_view name = value;
  if (name == "ADD") return Command::kAdd;
  if (name == "DEL") return Command::kDel;
  if (name == "CHECK") return Command::kCheck;
  if (name == "VERSION") return Command::kVersion;
  throw CniError(kInvalidEnvironment, "CNI_COMMAND \"" + std::string(name) + "\" is not supported",
                 "supported commands: ADD, DEL, CHECK, VERSION");
}

// The spec allows letters, digits, '_', '.' and '-' and requires at least one character.
bool validContainerId(const std::string& id) {
  if (id.empty()) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::map<std::string, std::string> parseCniArgs(const std::string& text) {
  std::map<std::string, std::string> args;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    const std::string pair = text.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw CniError(kInvalidEnvironment, "CNI_ARGS has a malformed pair \"" + pair + "\"",
                     "expected KEY=VALUE pairs separated by ';'");
    }
    args[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  return args;
}

Environment readEnvironment(const Getenv& getenv) {
  Environment env;
  env.command = parseCommand(getenv("CNI_COMMAND"));
  if (env.command == Command::kVersion) return env;

  const auto read = [&getenv](const char* name) {
    const char* value = getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  env.containerId = read("CNI_CONTAINERID");
  env.netns = read("CNI_NETNS");
  env.ifname = read("CNI_IFNAME");
  env.path = read("CNI_PATH");

  std::vector<std::string> invalid;
  if (!validContainerId(env.containerId)) invalid.emplace_back("CNI_CONTAINERID");
  if (env.command != Command::kDel && env.netns.empty()) invalid.emplace_back("CNI_NETNS");
  if (env.ifname.empty()) invalid.emplace_back("CNI_IFNAME");
  if (env.path.empty()) invalid.emplace_back("CNI_PATH");
  if (!invalid.empty()) {
    std::string names;
    for (const std::string& name : invalid) names += (names.empty() ? "" : ", ") + name;
    throw CniError(kInvalidEnvironment, "missing or invalid environment variables: " + names,
                   env.containerId.empty() || validContainerId(env.containerId)
                       ? ""
                       : "CNI_CONTAINERID may contain only letters, digits, '_', '.' and '-'");
  }
  env.args = parseCniArgs(read("CNI_ARGS"));
  return env;
}

}  // namespace ztls::cni
