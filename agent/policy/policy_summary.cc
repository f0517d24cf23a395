#include "ztls/policy/policy_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "ztls/policy/connection_decision.h"
#include "ztls/policy/peer_authn.h"

namespace ztls::policy {
namespace {

std::string selectorText(const std::optional<config::Labels>& selector) {
  if (!selector) return "";
  std::string text;
  for (const auto& [key, value] : *selector) {
    text += fmt::format("{}{}={}", text.empty() ? "" : ",", key, value);
  }
  return text;
}

std::string serverScope(const Snapshot& snapshot, const config::ObjectMeta& meta,
                        const std::optional<config::Labels>& selector) {
  if (selector) return "workload";
  return meta.namespace_ == snapshot.mesh().rootNamespace ? "mesh" : "namespace";
}

bool decides(const EffectivePeerAuthn& effective, const config::ObjectKey& key) {
  if (effective.fallback.decidedBy == key) return true;
  return std::any_of(effective.ports.begin(), effective.ports.end(),
                     [&](const auto& entry) { return entry.second.decidedBy == key; });
}

PolicySummary summarize(const Snapshot& snapshot, const config::PeerAuthentication& policy,
                        const std::vector<const Workload*>& workloads) {
  PolicySummary summary{"PeerAuthentication",
                        policy.meta.namespace_,
                        policy.meta.name,
                        serverScope(snapshot, policy.meta, policy.selector),
                        "",
                        {},
                        ""};
  summary.settings = std::string(config::mtlsModeName(policy.mode));
  for (const auto& [port, mode] : policy.portLevelMtls) {
    summary.settings += fmt::format("; port {} {}", port, config::mtlsModeName(mode));
  }
  if (policy.selector) summary.settings += "; selector " + selectorText(policy.selector);
  const config::ObjectKey key{config::Kind::kPeerAuthentication, policy.meta.namespace_,
                              policy.meta.name};
  for (const Workload* workload : workloads) {
    if (decides(effectivePeerAuthn(snapshot, *workload), key)) {
      summary.workloads.push_back(workload->qualifiedName());
    }
  }
  if (policy.selector && policy.meta.namespace_ == snapshot.mesh().rootNamespace) {
    summary.note = "a selector in the root namespace applies to that namespace only, not mesh-wide";
  }
  return summary;
}

PolicySummary summarize(const config::DestinationRule& rule) {
  PolicySummary summary{
      "DestinationRule", rule.meta.namespace_, rule.meta.name, "client", "", {}, ""};
  summary.settings = "host " + rule.host;
  if (rule.tls) summary.settings += "; " + std::string(config::clientTlsModeName(*rule.tls));
  for (const auto& port : rule.portLevelSettings) {
    if (port.tls) {
      summary.settings +=
          fmt::format("; port {} {}", port.port, config::clientTlsModeName(*port.tls));
    }
  }
  if (!rule.tls &&
      std::none_of(rule.portLevelSettings.begin(), rule.portLevelSettings.end(),
                   [](const config::PortTrafficPolicy& port) { return port.tls.has_value(); })) {
    summary.note = "no TLS settings: auto mutual TLS decides";
  }
  return summary;
}

PolicySummary summarize(const Snapshot& snapshot, const config::AuthorizationPolicy& policy,
                        const std::vector<const Workload*>& workloads) {
  PolicySummary summary{"AuthorizationPolicy",
                        policy.meta.namespace_,
                        policy.meta.name,
                        serverScope(snapshot, policy.meta, policy.selector),
                        "",
                        {},
                        ""};
  summary.settings = fmt::format("{}, {} rule{}", config::authzActionName(policy.action),
                                 policy.rules.size(), policy.rules.size() == 1 ? "" : "s");
  if (policy.selector) summary.settings += "; selector " + selectorText(policy.selector);
  for (const Workload* workload : workloads) {
    const auto applying = authorizationPoliciesFor(snapshot, *workload);
    if (std::find(applying.begin(), applying.end(), &policy) != applying.end()) {
      summary.workloads.push_back(workload->qualifiedName());
    }
  }
  if (policy.rules.empty()) {
    summary.note = policy.action == config::AuthzAction::kAllow
                       ? "no rules: denies every request to the workloads it selects"
                       : "no rules: matches nothing";
  }
  return summary;
}

PolicySummary summarize(const Snapshot& snapshot, const config::RequestAuthentication& policy) {
  PolicySummary summary{"RequestAuthentication",
                        policy.meta.namespace_,
                        policy.meta.name,
                        serverScope(snapshot, policy.meta, policy.selector),
                        "",
                        {},
                        ""};
  summary.settings =
      fmt::format("{} JWT rule{}", policy.jwtRules.size(), policy.jwtRules.size() == 1 ? "" : "s");
  summary.note = "stored, not enforced: this agent does not validate JWTs yet";
  return summary;
}

}  // namespace

std::vector<PolicySummary> summarizePolicies(const Snapshot& snapshot,
                                             const std::vector<const Workload*>& workloads) {
  std::vector<PolicySummary> summaries;
  for (const auto& [key, object] : snapshot.objects()) {
    if (const auto* peer = std::get_if<config::PeerAuthentication>(object.get())) {
      summaries.push_back(summarize(snapshot, *peer, workloads));
    } else if (const auto* rule = std::get_if<config::DestinationRule>(object.get())) {
      summaries.push_back(summarize(*rule));
    } else if (const auto* authz = std::get_if<config::AuthorizationPolicy>(object.get())) {
      summaries.push_back(summarize(snapshot, *authz, workloads));
    } else if (const auto* request = std::get_if<config::RequestAuthentication>(object.get())) {
      summaries.push_back(summarize(snapshot, *request));
    }
  }
  std::sort(summaries.begin(), summaries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.namespace_, a.kind, a.name) < std::tie(b.namespace_, b.kind, b.name);
  });
  return summaries;
}

}  // namespace ztls::policy
