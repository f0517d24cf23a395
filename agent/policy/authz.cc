#include "ztls/policy/authz.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <utility>

#include "ztls/config/ip_address.h"

namespace ztls::policy {

namespace {

using config::AuthorizationPolicy;
using config::AuthzAction;
using config::AuthzCondition;
using config::AuthzOperation;
using config::AuthzRule;
using config::AuthzSource;

constexpr std::string_view kSpiffeScheme = "spiffe://";
constexpr std::string_view kHeaderKeyPrefix = "request.headers[";
constexpr std::string_view kClaimKeyPrefix = "request.auth.claims[";

// ---- Condition keys -------------------------------------------------------------------

enum class ConditionKeyClass {
  kConnection,       // known for every connection
  kHttp,             // known when the connection carries HTTP
  kHttpNotModelled,  // an HTTP attribute ztls does not extract yet
  kUnsupported,
};

bool isBracketedKey(std::string_view key, std::string_view prefix) {
  return key.size() > prefix.size() + 1 && key.starts_with(prefix) && key.ends_with(']');
}

ConditionKeyClass classifyConditionKey(std::string_view key) {
  static constexpr std::array<std::string_view, 7> kConnectionKeys = {
      "source.ip",      "remote.ip",        "source.namespace", "source.principal",
      "destination.ip", "destination.port", "connection.sni"};
  static constexpr std::array<std::string_view, 2> kNotModelledHttpKeys = {
      "request.auth.audiences", "request.auth.presenter"};
  if (std::find(kConnectionKeys.begin(), kConnectionKeys.end(), key) != kConnectionKeys.end()) {
    return ConditionKeyClass::kConnection;
  }
  if (key == "request.auth.principal" || isBracketedKey(key, kHeaderKeyPrefix)) {
    return ConditionKeyClass::kHttp;
  }
  if (std::find(kNotModelledHttpKeys.begin(), kNotModelledHttpKeys.end(), key) !=
          kNotModelledHttpKeys.end() ||
      isBracketedKey(key, kClaimKeyPrefix)) {
    return ConditionKeyClass::kHttpNotModelled;
  }
  return ConditionKeyClass::kUnsupported;
}

bool isEvaluableConditionKey(std::string_view key, bool hasHttp) {
  switch (classifyConditionKey(key)) {
    case ConditionKeyClass::kConnection:
      return true;
    case ConditionKeyClass::kHttp:
      return hasHttp;
    case ConditionKeyClass::kHttpNotModelled:
    case ConditionKeyClass::kUnsupported:
      return false;
  }
  return false;
}

// ---- Strings and numbers --------------------------------------------------------------

std::string toLowerAscii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// Istio's string match: "*" is presence, "*abc" suffix, "abc*" prefix, else exact.
bool matchesPattern(std::string_view pattern, std::string_view value) {
  if (pattern == "*") return !value.empty();
  if (pattern.starts_with('*')) return value.ends_with(pattern.substr(1));
  if (pattern.ends_with('*')) return value.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == value;
}

std::optional<unsigned> parseDecimal(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

std::optional<std::uint16_t> parsePort(std::string_view text) {
  const std::optional<unsigned> value = parseDecimal(text);
  if (!value || *value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

std::string_view withoutSpiffeScheme(std::string_view id) {
  if (id.starts_with(kSpiffeScheme)) id.remove_prefix(kSpiffeScheme.size());
  return id;
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

void appendUnique(std::vector<std::string>& items, std::string item) {
  if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(std::move(item));
}

// ---- The connection, digested once per evaluation -------------------------------------

struct ConnectionFacts {
  std::optional<std::string> principal;  // without "spiffe://", as Istio policies write it
  std::optional<std::string> sourceNamespace;
  std::optional<config::IpAddress> sourceIp;
  std::optional<config::IpAddress> destinationIp;
  std::uint16_t destinationPort = 0;
  const HttpAttributes* http = nullptr;  // null: plain TCP
  std::string lowerHost;
  std::string_view pathWithoutQuery;
};

ConnectionFacts digest(const ConnectionAttributes& attributes) {
  ConnectionFacts facts;
  if (attributes.sourcePrincipal) {
    facts.principal = std::string(withoutSpiffeScheme(*attributes.sourcePrincipal));
    std::string namespace_ = namespaceOfPrincipal(*attributes.sourcePrincipal);
    if (!namespace_.empty()) facts.sourceNamespace = std::move(namespace_);
  }
  facts.sourceIp = config::parsePeerAddress(attributes.sourceIp);
  facts.destinationIp = config::parsePeerAddress(attributes.destinationIp);
  facts.destinationPort = attributes.destinationPort;
  if (attributes.http) {
    facts.http = &*attributes.http;
    facts.lowerHost = toLowerAscii(attributes.http->host);
    // Istio matches `paths` against the path without its query string or fragment.
    const std::string_view path = attributes.http->path;
    facts.pathWithoutQuery = path.substr(0, path.find_first_of("?#"));
  }
  return facts;
}

std::optional<std::string_view> asView(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  return std::string_view(*value);
}

std::optional<std::string_view> headerValue(const HttpAttributes& http, std::string_view name) {
  const auto found = http.headers.find(toLowerAscii(name));
  if (found == http.headers.end()) return std::nullopt;
  return std::string_view(found->second);
}

// ---- Matchers: each answers "does this one listed value match the connection?" ---------

auto patternMatcher(std::optional<std::string_view> value) {
  return [value](const std::string& pattern) {
    return value.has_value() && matchesPattern(pattern, *value);
  };
}

auto hostMatcher(std::string_view lowerHost) {
  return [lowerHost](const std::string& pattern) {
    return matchesPattern(toLowerAscii(pattern), lowerHost);
  };
}

auto ipMatcher(const std::optional<config::IpAddress>& address) {
  return [&address](const std::string& entry) {
    const std::optional<config::IpPrefix> prefix = config::parseIpPrefix(entry);
    return address.has_value() && prefix.has_value() && prefix->contains(*address);
  };
}

auto portMatcher(std::uint16_t port) {
  return [port](const std::string& entry) { return parsePort(entry) == port; };
}

// A field pair holds when the positive list is unset or has a match, and nothing in the
// negative list matches.
template <typename Matcher>
bool fieldHolds(const std::vector<std::string>& values, const std::vector<std::string>& notValues,
                const Matcher& matches) {
  const bool positive = values.empty() || std::any_of(values.begin(), values.end(), matches);
  return positive && std::none_of(notValues.begin(), notValues.end(), matches);
}

// ---- Rules ----------------------------------------------------------------------------
// Without HTTP the L7 fields below are skipped: only a DENY rule reaches them then,
// and Istio drops them from a DENY rule on TCP.

bool sourceMatches(const AuthzSource& source, const ConnectionFacts& facts) {
  const bool connectionFieldsHold =
      fieldHolds(source.principals, source.notPrincipals,
                 patternMatcher(asView(facts.principal))) &&
      fieldHolds(source.namespaces, source.notNamespaces,
                 patternMatcher(asView(facts.sourceNamespace))) &&
      fieldHolds(source.ipBlocks, source.notIpBlocks, ipMatcher(facts.sourceIp)) &&
      fieldHolds(source.remoteIpBlocks, source.notRemoteIpBlocks, ipMatcher(facts.sourceIp));
  if (!connectionFieldsHold || facts.http == nullptr) return connectionFieldsHold;
  return fieldHolds(source.requestPrincipals, source.notRequestPrincipals,
                    patternMatcher(asView(facts.http->requestPrincipal)));
}

bool operationMatches(const AuthzOperation& operation, const ConnectionFacts& facts) {
  const bool portsHold =
      fieldHolds(operation.ports, operation.notPorts, portMatcher(facts.destinationPort));
  if (!portsHold || facts.http == nullptr) return portsHold;
  return fieldHolds(operation.hosts, operation.notHosts, hostMatcher(facts.lowerHost)) &&
         fieldHolds(operation.methods, operation.notMethods, patternMatcher(facts.http->method)) &&
         fieldHolds(operation.paths, operation.notPaths, patternMatcher(facts.pathWithoutQuery));
}

// Only called for keys isEvaluableConditionKey accepted.
bool conditionHolds(const AuthzCondition& condition, const ConnectionFacts& facts) {
  const auto holds = [&condition](const auto& matcher) {
    return fieldHolds(condition.values, condition.notValues, matcher);
  };
  const std::string_view key = condition.key;
  if (key == "source.ip" || key == "remote.ip") return holds(ipMatcher(facts.sourceIp));
  if (key == "destination.ip") return holds(ipMatcher(facts.destinationIp));
  if (key == "destination.port") return holds(portMatcher(facts.destinationPort));
  if (key == "source.principal") return holds(patternMatcher(asView(facts.principal)));
  if (key == "source.namespace") return holds(patternMatcher(asView(facts.sourceNamespace)));
  // A node agent does not see the SNI the client sent to the workload: unknown.
  if (key == "connection.sni") return holds(patternMatcher(std::nullopt));
  if (key == "request.auth.principal") {
    return holds(patternMatcher(asView(facts.http->requestPrincipal)));
  }
  const std::string_view headerName =
      key.substr(kHeaderKeyPrefix.size(), key.size() - kHeaderKeyPrefix.size() - 1);
  return holds(patternMatcher(headerValue(*facts.http, headerName)));
}

bool ruleMatches(const AuthzRule& rule, const ConnectionFacts& facts) {
  const auto sourceMatchesFacts = [&facts](const AuthzSource& s) {
    return sourceMatches(s, facts);
  };
  const auto operationMatchesFacts = [&facts](const AuthzOperation& o) {
    return operationMatches(o, facts);
  };
  const bool hasHttp = facts.http != nullptr;
  const auto conditionHoldsOrIsDropped = [&facts, hasHttp](const AuthzCondition& c) {
    return !isEvaluableConditionKey(c.key, hasHttp) || conditionHolds(c, facts);
  };
  return (rule.from.empty() ||
          std::any_of(rule.from.begin(), rule.from.end(), sourceMatchesFacts)) &&
         (rule.to.empty() || std::any_of(rule.to.begin(), rule.to.end(), operationMatchesFacts)) &&
         std::all_of(rule.when.begin(), rule.when.end(), conditionHoldsOrIsDropped);
}

// ---- Fields a rule uses that this connection cannot answer ----------------------------

struct UnknownFields {
  std::vector<std::string> httpOnly;     // need HTTP; the connection is plain TCP
  std::vector<std::string> notModelled;  // ztls does not extract them even from HTTP

  bool empty() const { return httpOnly.empty() && notModelled.empty(); }
};

void noteIfSet(std::vector<std::string>& names, const std::vector<std::string>& field,
               std::string_view fieldName) {
  if (!field.empty()) appendUnique(names, std::string(fieldName));
}

void noteConditionKey(UnknownFields& unknown, std::string_view key, bool hasHttp) {
  const std::string name = fmt::format("when {}", key);
  switch (classifyConditionKey(key)) {
    case ConditionKeyClass::kConnection:
      return;
    case ConditionKeyClass::kHttp:
      if (!hasHttp) appendUnique(unknown.httpOnly, name);
      return;
    case ConditionKeyClass::kHttpNotModelled:
      appendUnique(hasHttp ? unknown.notModelled : unknown.httpOnly, name);
      return;
    case ConditionKeyClass::kUnsupported:
      appendUnique(unknown.notModelled, name);
      return;
  }
}

UnknownFields unknownFieldsOf(const AuthzRule& rule, bool hasHttp) {
  UnknownFields unknown;
  if (!hasHttp) {
    for (const AuthzSource& source : rule.from) {
      noteIfSet(unknown.httpOnly, source.requestPrincipals, "requestPrincipals");
      noteIfSet(unknown.httpOnly, source.notRequestPrincipals, "notRequestPrincipals");
    }
    for (const AuthzOperation& operation : rule.to) {
      noteIfSet(unknown.httpOnly, operation.hosts, "hosts");
      noteIfSet(unknown.httpOnly, operation.notHosts, "notHosts");
      noteIfSet(unknown.httpOnly, operation.methods, "methods");
      noteIfSet(unknown.httpOnly, operation.notMethods, "notMethods");
      noteIfSet(unknown.httpOnly, operation.paths, "paths");
      noteIfSet(unknown.httpOnly, operation.notPaths, "notPaths");
    }
  }
  for (const AuthzCondition& condition : rule.when) {
    noteConditionKey(unknown, condition.key, hasHttp);
  }
  return unknown;
}

// Istio's rule for TCP: DENY and AUDIT rules lose the fields they cannot evaluate
// (denying and auditing more); an ALLOW rule that needs them cannot match (allowing less).
bool dropsUnknownFields(AuthzAction action) { return action != AuthzAction::kAllow; }

std::string unknownFieldsNote(std::size_t ruleIndex, const UnknownFields& unknown, bool dropped) {
  std::vector<std::string> parts;
  if (!unknown.httpOnly.empty()) {
    parts.push_back(fmt::format("HTTP-only fields ({})", joined(unknown.httpOnly, ", ")));
  }
  if (!unknown.notModelled.empty()) {
    parts.push_back(
        fmt::format("attributes ztls does not model ({})", joined(unknown.notModelled, ", ")));
  }
  return fmt::format("rule {} uses {}; treated as TCP: {}", ruleIndex, joined(parts, " and "),
                     dropped ? "those fields are ignored, so the rest of the rule decides"
                             : "the rule cannot match");
}

// ---- Policies -------------------------------------------------------------------------

struct PolicyEvaluation {
  std::optional<std::size_t> matchedRule;
  std::string matchedRuleNote;  // set when unknown fields were dropped from the matched rule
  std::vector<std::string> unmatchableRuleNotes;  // rules that could not match at all
};

PolicyEvaluation evaluatePolicy(const AuthorizationPolicy& policy, const ConnectionFacts& facts) {
  PolicyEvaluation evaluation;
  const bool hasHttp = facts.http != nullptr;
  const bool drops = dropsUnknownFields(policy.action);
  for (std::size_t index = 0; index < policy.rules.size(); ++index) {
    const AuthzRule& rule = policy.rules[index];
    const UnknownFields unknown = unknownFieldsOf(rule, hasHttp);
    if (!unknown.empty() && !drops) {
      evaluation.unmatchableRuleNotes.push_back(unknownFieldsNote(index, unknown, false));
      continue;
    }
    if (ruleMatches(rule, facts)) {
      evaluation.matchedRule = index;
      if (!unknown.empty()) evaluation.matchedRuleNote = unknownFieldsNote(index, unknown, true);
      return evaluation;
    }
  }
  return evaluation;
}

config::ObjectKey keyOfPolicy(const AuthorizationPolicy& policy) {
  return config::ObjectKey{config::Kind::kAuthorizationPolicy, policy.meta.namespace_,
                           policy.meta.name};
}

std::vector<const AuthorizationPolicy*> withAction(
    std::span<const AuthorizationPolicy* const> policies, AuthzAction action) {
  std::vector<const AuthorizationPolicy*> selected;
  for (const AuthorizationPolicy* policy : policies) {
    if (policy != nullptr && policy->action == action) selected.push_back(policy);
  }
  return selected;
}

std::string decisionReason(std::string_view verb, const AuthorizationPolicy& policy,
                           const PolicyEvaluation& evaluation) {
  std::string reason =
      fmt::format("{} by {} ({}, rule {})", verb, config::describe(keyOfPolicy(policy)),
                  policy.action == AuthzAction::kDeny ? "DENY" : "ALLOW", *evaluation.matchedRule);
  if (!evaluation.matchedRuleNote.empty()) reason += "; " + evaluation.matchedRuleNote;
  return reason;
}

AuthzVerdict decided(bool allowed, std::string_view verb, const AuthorizationPolicy& policy,
                     const PolicyEvaluation& evaluation) {
  AuthzVerdict verdict;
  verdict.allowed = allowed;
  verdict.reason = decisionReason(verb, policy, evaluation);
  verdict.decidingPolicy = keyOfPolicy(policy);
  return verdict;
}

std::optional<AuthzVerdict> denyVerdict(const std::vector<const AuthorizationPolicy*>& denies,
                                        const ConnectionFacts& facts) {
  for (const AuthorizationPolicy* policy : denies) {
    const PolicyEvaluation evaluation = evaluatePolicy(*policy, facts);
    if (evaluation.matchedRule) return decided(false, "denied", *policy, evaluation);
  }
  return std::nullopt;
}

AuthzVerdict allowVerdict(const std::vector<const AuthorizationPolicy*>& allows,
                          const ConnectionFacts& facts) {
  if (allows.empty()) return AuthzVerdict{true, "no ALLOW policy applies", std::nullopt, {}};
  std::vector<std::string> notes;
  for (const AuthorizationPolicy* policy : allows) {
    const PolicyEvaluation evaluation = evaluatePolicy(*policy, facts);
    if (evaluation.matchedRule) return decided(true, "allowed", *policy, evaluation);
    const std::string name = config::describe(keyOfPolicy(*policy));
    if (policy->rules.empty()) {
      notes.push_back(fmt::format("{} has no rules (allows nothing)", name));
    }
    for (const std::string& note : evaluation.unmatchableRuleNotes) {
      notes.push_back(fmt::format("{} {}", name, note));
    }
  }
  std::string reason = fmt::format("no ALLOW policy matched; {} ALLOW {}", allows.size(),
                                   allows.size() == 1 ? "policy applies" : "policies apply");
  for (const std::string& note : notes) reason += "; " + note;
  return AuthzVerdict{false, std::move(reason), std::nullopt, {}};
}

}  // namespace

AuthzVerdict authorize(std::span<const config::AuthorizationPolicy* const> policies,
                       const ConnectionAttributes& attributes) {
  const ConnectionFacts facts = digest(attributes);
  std::vector<config::ObjectKey> auditMatches;
  for (const AuthorizationPolicy* audit : withAction(policies, AuthzAction::kAudit)) {
    if (evaluatePolicy(*audit, facts).matchedRule) auditMatches.push_back(keyOfPolicy(*audit));
  }
  std::optional<AuthzVerdict> verdict =
      denyVerdict(withAction(policies, AuthzAction::kDeny), facts);
  if (!verdict) verdict = allowVerdict(withAction(policies, AuthzAction::kAllow), facts);
  verdict->auditMatches = std::move(auditMatches);
  return *std::move(verdict);
}

bool appliesTo(const config::AuthorizationPolicy& policy, std::string_view workloadNamespace,
               const config::Labels& workloadLabels, std::string_view rootNamespace) {
  const bool meshWide = !rootNamespace.empty() && policy.meta.namespace_ == rootNamespace;
  if (!meshWide && policy.meta.namespace_ != workloadNamespace) return false;
  if (!policy.selector) return true;
  return config::selectorMatches(*policy.selector, workloadLabels);
}

bool isSupportedConditionKey(std::string_view key) {
  return classifyConditionKey(key) != ConditionKeyClass::kUnsupported;
}

bool isHttpOnlyConditionKey(std::string_view key) {
  const ConditionKeyClass keyClass = classifyConditionKey(key);
  return keyClass == ConditionKeyClass::kHttp || keyClass == ConditionKeyClass::kHttpNotModelled;
}

std::string namespaceOfPrincipal(std::string_view spiffeId) {
  static constexpr std::string_view kMarker = "/ns/";
  const std::string_view id = withoutSpiffeScheme(spiffeId);
  const std::size_t marker = id.find(kMarker);
  if (marker == std::string_view::npos) return "";
  const std::size_t start = marker + kMarker.size();
  const std::size_t end = id.find('/', start);
  if (end == std::string_view::npos || end == start) return "";
  return std::string(id.substr(start, end - start));
}

}  // namespace ztls::policy
