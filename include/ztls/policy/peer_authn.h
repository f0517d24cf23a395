// Effective server-side mTLS mode of a workload per target port, with Istio's rules:
// mesh (root namespace, no selector) < namespace (no selector) < workload (selector,
// same namespace only) < port (portLevelMtls of the workload policy). UNSET inherits
// from the next level down, port by port; the oldest policy wins within a level; no
// policy at all means PERMISSIVE.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ztls/config/model.h"
#include "ztls/policy/snapshot.h"

namespace ztls::policy {

enum class PolicyLevel : std::uint8_t { kDefault, kMesh, kNamespace, kWorkload, kPort };
std::string_view policyLevelName(PolicyLevel level);

struct ModeDecision {
  config::MtlsMode mode = config::MtlsMode::kPermissive;  // never kUnset
  PolicyLevel level = PolicyLevel::kDefault;
  std::optional<config::ObjectKey> decidedBy;
  std::string reason;
};

struct EffectivePeerAuthn {
  ModeDecision fallback;                        // any port without a port-level entry
  std::map<std::uint16_t, ModeDecision> ports;  // ports named by portLevelMtls

  const ModeDecision& forPort(std::uint16_t port) const;
};

EffectivePeerAuthn effectivePeerAuthn(const Snapshot& snapshot, const Workload& workload);

}  // namespace ztls::policy
