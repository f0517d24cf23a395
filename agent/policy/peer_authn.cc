#include "ztls/policy/peer_authn.h"

#include <fmt/format.h>

namespace ztls::policy {

namespace {

using config::MtlsMode;
using config::PeerAuthentication;

struct Candidate {
  const PeerAuthentication* policy = nullptr;
  std::size_t competitors = 0;  // how many policies matched at this level
};

// Snapshot lists are oldest first, so the first match is the winner.
template <typename Predicate>
Candidate oldestMatching(const std::vector<const PeerAuthentication*>& policies,
                         Predicate matches) {
  Candidate result;
  for (const PeerAuthentication* policy : policies) {
    if (!matches(*policy)) continue;
    if (result.policy == nullptr) result.policy = policy;
    ++result.competitors;
  }
  return result;
}

config::ObjectKey keyOf(const PeerAuthentication& policy) {
  return config::ObjectKey{config::Kind::kPeerAuthentication, policy.meta.namespace_,
                           policy.meta.name};
}

std::string describeCandidate(const Candidate& c, PolicyLevel level) {
  std::string text =
      fmt::format("{} ({} level", config::describe(keyOf(*c.policy)), policyLevelName(level));
  if (c.competitors > 1) text += fmt::format(", oldest of {} at this level", c.competitors);
  return text + ")";
}

// Lays one level over the decision so far: a set mode replaces it, UNSET inherits.
void overlay(ModeDecision& decision, const Candidate& candidate, PolicyLevel level) {
  if (candidate.policy == nullptr) return;
  const std::string who = describeCandidate(candidate, level);
  if (candidate.policy->mode == MtlsMode::kUnset) {
    decision.reason += fmt::format("; {} leaves mode UNSET, so it is inherited", who);
    return;
  }
  decision.mode = candidate.policy->mode;
  decision.level = level;
  decision.decidedBy = keyOf(*candidate.policy);
  decision.reason = fmt::format("{} from {}", config::mtlsModeName(decision.mode), who);
}

}  // namespace

std::string_view policyLevelName(PolicyLevel level) {
  switch (level) {
    case PolicyLevel::kDefault:
      return "default";
    case PolicyLevel::kMesh:
      return "mesh";
    case PolicyLevel::kNamespace:
      return "namespace";
    case PolicyLevel::kWorkload:
      return "workload";
    case PolicyLevel::kPort:
      return "port";
  }
  return "default";
}

const ModeDecision& EffectivePeerAuthn::forPort(std::uint16_t port) const {
  auto found = ports.find(port);
  return found == ports.end() ? fallback : found->second;
}

EffectivePeerAuthn effectivePeerAuthn(const Snapshot& snapshot, const Workload& workload) {
  const std::string& root = snapshot.mesh().rootNamespace;
  auto withoutSelector = [](const PeerAuthentication& p) { return !p.selector.has_value(); };
  auto selectsWorkload = [&](const PeerAuthentication& p) {
    return p.selector && selectorMatches(*p.selector, workload.labels);
  };

  const Candidate mesh = oldestMatching(snapshot.peerAuthentications(root), withoutSelector);
  // In the root namespace the namespace-level policy is the mesh policy itself.
  const Candidate ns =
      workload.namespace_ == root
          ? Candidate{}
          : oldestMatching(snapshot.peerAuthentications(workload.namespace_), withoutSelector);
  const Candidate selected =
      oldestMatching(snapshot.peerAuthentications(workload.namespace_), selectsWorkload);

  EffectivePeerAuthn result;
  result.fallback.mode = MtlsMode::kPermissive;
  result.fallback.level = PolicyLevel::kDefault;
  result.fallback.reason = "PERMISSIVE by default: no PeerAuthentication sets a mode";
  overlay(result.fallback, mesh, PolicyLevel::kMesh);
  overlay(result.fallback, ns, PolicyLevel::kNamespace);
  overlay(result.fallback, selected, PolicyLevel::kWorkload);

  if (selected.policy == nullptr) return result;
  for (const auto& [port, mode] : selected.policy->portLevelMtls) {
    ModeDecision decision = result.fallback;
    const std::string who = describeCandidate(selected, PolicyLevel::kPort);
    if (mode == MtlsMode::kUnset) {
      decision.reason += fmt::format("; port {} is UNSET in {}, so it is inherited", port, who);
    } else {
      decision.mode = mode;
      decision.level = PolicyLevel::kPort;
      decision.decidedBy = keyOf(*selected.policy);
      decision.reason =
          fmt::format("{} from {}, portLevelMtls {}", config::mtlsModeName(mode), who, port);
    }
    result.ports.emplace(port, std::move(decision));
  }
  return result;
}

}  // namespace ztls::policy
