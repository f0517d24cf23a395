// How ztls-cni reaches the node agent and what an agent failure means in CNI terms.
#pragma once

#include <string>

#include "cni_error.h"
#include "netconf.h"
#include "ztls/api/client.h"

namespace ztls::cni {

// One short-lived connection per invocation; throws api::ApiError.
api::AgentClient connectAgent(const NetConf& conf);

// Unreachable or slow agent: kTryAgainLater, so the runtime retries the sandbox.
// The agent said no: kAgentRefused.
CniError toCniError(const api::ApiError& error, const std::string& consequence);

// failOpenForNamespaces only ever covers an agent that cannot be reached; an agent that
// answers is always obeyed.
bool failsOpen(const NetConf& conf, const api::ApiError& error, const std::string& namespace_);

}  // namespace ztls::cni
