#include "agent_link.h"

#include <algorithm>
#include <chrono>

namespace ztls::cni {

api::AgentClient connectAgent(const NetConf& conf) {
  api::ClientOptions options;
  options.connectTimeout = std::min(options.connectTimeout, conf.agentTimeout);
  options.callTimeout = conf.agentTimeout;
  return api::AgentClient(conf.agentSocket, options);
}

CniError toCniError(const api::ApiError& error, const std::string& consequence) {
  return {error.transient() ? kTryAgainLater : kAgentRefused, error.what(), consequence};
}

bool failsOpen(const NetConf& conf, const api::ApiError& error, const std::string& namespace_) {
  const auto& names = conf.failOpenForNamespaces;
  return error.transient() && std::find(names.begin(), names.end(), namespace_) != names.end();
}

}  // namespace ztls::cni
