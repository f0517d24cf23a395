#include "cni_error.h"
#include "commands.h"

namespace ztls::cni {

std::string commandVersion() {
  Json info;
  info["cniVersion"] = kNewestVersion;
  info["supportedVersions"] = kSupportedVersions;
  return info.dump() + "\n";
}

std::string runPlugin(const Environment& env, const std::string& stdinText,
                      std::string& responseVersion, std::ostream& log) {
  if (env.command == Command::kVersion) {
    // The runtime's version is not checked: finding out which ones we support is the
    // point of asking. Undecodable input is still an error.
    if (stdinText.find_first_not_of(" \t\r\n") != std::string::npos && !Json::accept(stdinText)) {
      throw CniError(kDecodeFailure, "cannot decode the VERSION request on stdin");
    }
    return commandVersion();
  }
  const NetConf conf = parseNetConf(stdinText, responseVersion);
  switch (env.command) {
    case Command::kAdd:
      return commandAdd(env, conf, log);
    case Command::kDel:
      return commandDel(env, conf, log);
    case Command::kCheck:
      return commandCheck(env, conf, log);
    case Command::kVersion:
      break;
  }
  return commandVersion();
}

}  // namespace ztls::cni
