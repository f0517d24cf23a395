// The CNI commands. Each returns what goes to stdout on success and throws CniError
// otherwise; `log` is stderr, which runtimes keep in their own logs.
#pragma once

#include <ostream>
#include <string>

#include "environment.h"
#include "netconf.h"

namespace ztls::cni {

// Enrolls the pod synchronously and echoes prevResult: the pod exists only once the
// agent has vetted it.
std::string commandAdd(const Environment& env, const NetConf& conf, std::ostream& log);
// Best effort and idempotent: never fails because of the agent.
std::string commandDel(const Environment& env, const NetConf& conf, std::ostream& log);
// Fails unless the agent knows the pod in this network namespace.
std::string commandCheck(const Environment& env, const NetConf& conf, std::ostream& log);
std::string commandVersion();

// Parses stdin for `env.command` and runs it. `responseVersion` is the cniVersion any
// error must be reported in; it becomes the config's as soon as that is known to be
// supported.
std::string runPlugin(const Environment& env, const std::string& stdinText,
                      std::string& responseVersion, std::ostream& log);

}  // namespace ztls::cni
