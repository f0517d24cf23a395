#include "daemon/inbound_admission.h"

#include "ztls/policy/connection_decision.h"
#include "ztls/policy/peer_authn.h"

namespace ztls::daemon {

std::optional<std::string> InboundAdmission::recheck(const policy::Snapshot& now) const {
  const policy::Workload* current = now.findWorkload(namespace_, name);
  if (current == nullptr) return "the destination pod is no longer in the config";
  const policy::ModeDecision mode = policy::effectivePeerAuthn(now, *current).forPort(port);
  if (!mutualTls && mode.mode == config::MtlsMode::kStrict) {
    return "port " + std::to_string(port) + " is now STRICT (" + mode.reason + ")";
  }
  const auto verdict =
      policy::authorize(policy::authorizationPoliciesFor(now, *current), attributes);
  if (!verdict.allowed) return "AuthorizationPolicy: " + verdict.reason;
  return std::nullopt;
}

}  // namespace ztls::daemon
