// Istio AuthorizationPolicy evaluation as a pure function of (policies, attributes).
//
// Order (Istio): CUSTOM is never present (the loader rejects it); any matching DENY
// denies; if ALLOW policies apply, one must match or the request is denied; with no
// ALLOW policies the request is allowed. AUDIT policies are reported, never decisive.
//
// Attributes only known at L7 (methods, paths, hosts, request principals, request.*
// conditions) are optional. When a connection is plain TCP (no `http`), Istio's rule
// for TCP traffic applies: in an ALLOW policy a rule that needs L7 attributes never
// matches; in DENY and AUDIT policies the L7-only parts are dropped so the rest of the
// rule decides (the deny becomes broader, never narrower). Reasons say when this happened.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ztls/config/model.h"

namespace ztls::policy {

struct HttpAttributes {
  std::string method;
  std::string path;
  std::string host;
  std::optional<std::string> requestPrincipal;  // "iss/sub" of a validated JWT
  std::map<std::string, std::string> headers;   // lower-case names
};

struct ConnectionAttributes {
  // Verified peer identity as a SPIFFE ID ("spiffe://cluster.local/ns/foo/sa/sleep");
  // absent for plaintext. source.namespace is derived from it, as in Istio.
  std::optional<std::string> sourcePrincipal;
  std::string sourceIp;
  std::string destinationIp;
  std::uint16_t destinationPort = 0;   // the workload's target (container) port
  std::optional<HttpAttributes> http;  // absent: plain TCP, L7 attributes unknown
};

struct AuthzVerdict {
  bool allowed = true;
  // Human-readable: which policy and rule decided, or why nothing did.
  std::string reason;
  std::optional<config::ObjectKey> decidingPolicy;
  std::vector<config::ObjectKey> auditMatches;  // AUDIT policies that matched
};

// Evaluates the policies that already apply to the destination workload.
AuthzVerdict authorize(std::span<const config::AuthorizationPolicy* const> policies,
                       const ConnectionAttributes& attributes);

// Whether a policy applies to a workload. A policy selects workloads of its own
// namespace (all of them without a selector); a policy in the root namespace applies
// mesh-wide, its selector then matching workloads of every namespace.
bool appliesTo(const config::AuthorizationPolicy& policy, std::string_view workloadNamespace,
               const config::Labels& workloadLabels, std::string_view rootNamespace);

// `when` keys ztls understands, and which of them need L7 attributes (the latter is
// meaningful only for supported keys).
bool isSupportedConditionKey(std::string_view key);
bool isHttpOnlyConditionKey(std::string_view key);

// "spiffe://td/ns/foo/sa/sleep" -> "foo"; empty when the ID has no namespace segment.
std::string namespaceOfPrincipal(std::string_view spiffeId);

}  // namespace ztls::policy
