// What each security policy in a snapshot is and which workloads it governs, for
// `ztlsctl policies`: the agent's own view, so an operator can see what it enforces
// rather than what was meant to be applied.
#pragma once

#include <string>
#include <vector>

#include "ztls/policy/snapshot.h"

namespace ztls::policy {

struct PolicySummary {
  std::string kind;  // "PeerAuthentication", "DestinationRule", ...
  std::string namespace_;
  std::string name;
  // "mesh", "namespace" or "workload" for server-side policies; "client" for a
  // DestinationRule, which the client's agent applies to a host.
  std::string scope;
  std::string settings;  // one line: "STRICT; port 80 DISABLE", "ALLOW, 2 rules", ...
  // Of the workloads asked about: those this policy decides (PeerAuthentication: it
  // sets the mode of at least one port) or applies to (AuthorizationPolicy).
  std::vector<std::string> workloads;
  std::string note;  // why it governs nothing, when that is surprising; else empty
};

// Every PeerAuthentication, DestinationRule, AuthorizationPolicy and
// RequestAuthentication, sorted by namespace, kind and name. `workloads` are the
// qualified names (ns/name) to report against, typically the pods of one node.
std::vector<PolicySummary> summarizePolicies(const Snapshot& snapshot,
                                             const std::vector<const Workload*>& workloads);

}  // namespace ztls::policy
