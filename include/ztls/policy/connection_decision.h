// The whole decision for one connection from a workload to host:port, composed from
// the client TLS decision, the destination's effective mTLS mode and its authorization
// policies. This is what `ztlsctl explain --from --to` prints and what the agents
// enforce, so both always agree.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ztls/policy/authz.h"
#include "ztls/policy/client_tls.h"
#include "ztls/policy/peer_authn.h"
#include "ztls/policy/snapshot.h"

namespace ztls::policy {

struct ConnectionDecision {
  const Workload* source = nullptr;
  Destination destination;
  ClientTlsDecision client;
  // Set when the destination endpoint is in the mesh (its agent applies the mode).
  std::optional<ModeDecision> server;
  std::string serverReason;
  std::optional<AuthzVerdict> authorization;
  bool allowed = false;
  std::string reason;

  bool mutualTls() const;
};

// Policies of the workload's namespace and of the root namespace that apply to it.
std::vector<const config::AuthorizationPolicy*> authorizationPoliciesFor(const Snapshot& snapshot,
                                                                         const Workload& workload);

ConnectionDecision decideConnection(const Snapshot& snapshot, const Workload& source,
                                    std::string_view host, std::uint16_t port);

}  // namespace ztls::policy
