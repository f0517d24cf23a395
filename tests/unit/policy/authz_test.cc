#include "ztls/policy/authz.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace ztls::policy {
namespace {

using config::AuthorizationPolicy;
using config::AuthzAction;
using config::AuthzCondition;
using config::AuthzOperation;
using config::AuthzRule;
using config::AuthzSource;
using config::Labels;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kSleepId = "spiffe://cluster.local/ns/foo/sa/sleep";
constexpr const char* kSleep = "cluster.local/ns/foo/sa/sleep";
constexpr const char* kOther = "cluster.local/ns/foo/sa/other";

// ---- Builders -------------------------------------------------------------------------

AuthorizationPolicy makePolicy(std::string name, AuthzAction action, std::vector<AuthzRule> rules,
                               std::string namespace_ = "foo") {
  AuthorizationPolicy policy;
  policy.meta.name = std::move(name);
  policy.meta.namespace_ = std::move(namespace_);
  policy.action = action;
  policy.rules = std::move(rules);
  return policy;
}

using StringList = std::vector<std::string>;
using SourceField = StringList AuthzSource::*;
using OperationField = StringList AuthzOperation::*;

// Designated initializers would be shorter, but g++ 12 warns about every member left out.
template <typename Message>
Message withFields(std::initializer_list<std::pair<StringList Message::*, StringList>> fields) {
  Message message;
  for (const auto& [field, values] : fields) message.*field = values;
  return message;
}

AuthzSource source(std::initializer_list<std::pair<SourceField, StringList>> fields) {
  return withFields<AuthzSource>(fields);
}

AuthzOperation operation(std::initializer_list<std::pair<OperationField, StringList>> fields) {
  return withFields<AuthzOperation>(fields);
}

AuthzCondition condition(std::string key, StringList values, StringList notValues = {}) {
  AuthzCondition result;
  result.key = std::move(key);
  result.values = std::move(values);
  result.notValues = std::move(notValues);
  return result;
}

AuthzRule makeRule(std::vector<AuthzSource> from, std::vector<AuthzOperation> to = {},
                   std::vector<AuthzCondition> when = {}) {
  AuthzRule rule;
  rule.from = std::move(from);
  rule.to = std::move(to);
  rule.when = std::move(when);
  return rule;
}

AuthzRule fromField(SourceField field, StringList values) {
  return makeRule({source({{field, std::move(values)}})});
}

AuthzRule toField(OperationField field, StringList values) {
  return makeRule({}, {operation({{field, std::move(values)}})});
}

AuthzRule when(std::string key, StringList values, StringList notValues = {}) {
  return makeRule({}, {}, {condition(std::move(key), std::move(values), std::move(notValues))});
}

AuthzRule fromPrincipal(std::string principal) {
  return fromField(&AuthzSource::principals, {std::move(principal)});
}

ConnectionAttributes mtls(std::string spiffeId = kSleepId) {
  ConnectionAttributes attributes;
  attributes.sourcePrincipal = std::move(spiffeId);
  attributes.sourceIp = "10.1.2.3";
  attributes.destinationIp = "10.0.0.9";
  attributes.destinationPort = 8080;
  return attributes;
}

ConnectionAttributes plaintext() {
  ConnectionAttributes attributes = mtls();
  attributes.sourcePrincipal.reset();
  return attributes;
}

ConnectionAttributes fromIp(std::string sourceIp) {
  ConnectionAttributes attributes = mtls();
  attributes.sourceIp = std::move(sourceIp);
  return attributes;
}

HttpAttributes request(std::string method, std::string path) {
  HttpAttributes http;
  http.method = std::move(method);
  http.path = std::move(path);
  http.host = "example.com";
  return http;
}

ConnectionAttributes withHttp(HttpAttributes http, ConnectionAttributes attributes = mtls()) {
  attributes.http = std::move(http);
  return attributes;
}

ConnectionAttributes getPath(std::string path) { return withHttp(request("GET", std::move(path))); }

ConnectionAttributes withHost(std::string host) {
  HttpAttributes http = request("GET", "/");
  http.host = std::move(host);
  return withHttp(std::move(http));
}

ConnectionAttributes withRequestPrincipal(std::optional<std::string> requestPrincipal) {
  HttpAttributes http = request("GET", "/");
  http.requestPrincipal = std::move(requestPrincipal);
  return withHttp(std::move(http));
}

ConnectionAttributes withHeader(std::string name, std::string value) {
  HttpAttributes http = request("GET", "/");
  http.headers[std::move(name)] = std::move(value);
  return withHttp(std::move(http));
}

std::string nameOf(const config::ObjectKey& key) { return key.namespace_ + "/" + key.name; }

std::vector<std::string> namesOf(const std::vector<config::ObjectKey>& keys) {
  std::vector<std::string> names;
  for (const config::ObjectKey& key : keys) names.push_back(nameOf(key));
  return names;
}

AuthzVerdict authorizeAll(const std::vector<AuthorizationPolicy>& policies,
                          const ConnectionAttributes& attributes) {
  std::vector<const AuthorizationPolicy*> pointers;
  for (const AuthorizationPolicy& policy : policies) pointers.push_back(&policy);
  return authorize(pointers, attributes);
}

template <typename Case>
std::string caseName(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

// ---- One rule: the same rule must allow as ALLOW exactly when it denies as DENY --------
// (true for every case here: none asks for L7 attributes on a plain TCP connection).

struct RuleCase {
  std::string name;
  AuthzRule rule;
  ConnectionAttributes attributes;
  bool matches;
};

void PrintTo(const RuleCase& ruleCase, std::ostream* out) { *out << ruleCase.name; }

std::vector<RuleCase> ruleCases() {
  return {
      {"EmptyRuleMatchesPlaintext", AuthzRule{}, plaintext(), true},
      {"EmptySourceMatchesPlaintext", makeRule({AuthzSource{}}), plaintext(), true},

      {"PrincipalExact", fromPrincipal(kSleep), mtls(), true},
      {"PrincipalExactOther", fromPrincipal(kSleep), mtls("spiffe://cluster.local/ns/foo/sa/other"),
       false},
      {"PrincipalAttributeWithoutScheme", fromPrincipal(kSleep), mtls(kSleep), true},
      {"PrincipalPrefix", fromPrincipal("cluster.local/ns/foo/*"), mtls(), true},
      {"PrincipalPrefixOther", fromPrincipal("cluster.local/ns/bar/*"), mtls(), false},
      {"PrincipalSuffix", fromPrincipal("*/sa/sleep"), mtls(), true},
      {"PrincipalSuffixOther", fromPrincipal("*/sa/other"), mtls(), false},
      {"PrincipalPresence", fromPrincipal("*"), mtls(), true},
      {"PrincipalPresencePlaintext", fromPrincipal("*"), plaintext(), false},
      {"PrincipalExactPlaintext", fromPrincipal(kSleep), plaintext(), false},
      {"PrincipalAnyOfList", fromField(&AuthzSource::principals, {kOther, kSleep}), mtls(), true},
      {"NotPrincipalExcluded", fromField(&AuthzSource::notPrincipals, {kSleep}), mtls(), false},
      {"NotPrincipalOther", fromField(&AuthzSource::notPrincipals, {kOther}), mtls(), true},
      {"NotPrincipalPrefixExcluded",
       fromField(&AuthzSource::notPrincipals, {"cluster.local/ns/foo/*"}), mtls(), false},
      {"NotPrincipalPresenceMtls", fromField(&AuthzSource::notPrincipals, {"*"}), mtls(), false},
      {"NotPrincipalPresencePlaintext", fromField(&AuthzSource::notPrincipals, {"*"}), plaintext(),
       true},
      {"NotPrincipalExactPlaintext", fromField(&AuthzSource::notPrincipals, {kSleep}), plaintext(),
       true},

      {"NamespaceExact", fromField(&AuthzSource::namespaces, {"foo"}), mtls(), true},
      {"NamespaceExactOther", fromField(&AuthzSource::namespaces, {"bar"}), mtls(), false},
      {"NamespacePrefix", fromField(&AuthzSource::namespaces, {"fo*"}), mtls(), true},
      {"NamespacePrefixOther", fromField(&AuthzSource::namespaces, {"ba*"}), mtls(), false},
      {"NamespaceSuffix", fromField(&AuthzSource::namespaces, {"*oo"}), mtls(), true},
      {"NamespaceSuffixOther", fromField(&AuthzSource::namespaces, {"*ar"}), mtls(), false},
      {"NamespacePresence", fromField(&AuthzSource::namespaces, {"*"}), mtls(), true},
      {"NamespacePresencePlaintext", fromField(&AuthzSource::namespaces, {"*"}), plaintext(),
       false},
      {"NamespacePresenceIdWithoutNamespace", fromField(&AuthzSource::namespaces, {"*"}),
       mtls("spiffe://cluster.local/sa/sleep"), false},
      {"NotNamespaceExcluded", fromField(&AuthzSource::notNamespaces, {"foo"}), mtls(), false},
      {"NotNamespaceOther", fromField(&AuthzSource::notNamespaces, {"bar"}), mtls(), true},
      {"NotNamespacePlaintext", fromField(&AuthzSource::notNamespaces, {"foo"}), plaintext(), true},

      {"IpBlockCidrV4", fromField(&AuthzSource::ipBlocks, {"10.0.0.0/8"}), mtls(), true},
      {"IpBlockCidrV4Outside", fromField(&AuthzSource::ipBlocks, {"192.168.0.0/16"}), mtls(),
       false},
      {"IpBlockCidrV4PartialOctet", fromField(&AuthzSource::ipBlocks, {"10.1.2.0/30"}), mtls(),
       true},
      {"IpBlockCidrV4PartialOctetOutside", fromField(&AuthzSource::ipBlocks, {"10.1.2.4/30"}),
       mtls(), false},
      {"IpBlockCidrV4HostBitsSet", fromField(&AuthzSource::ipBlocks, {"10.9.9.9/8"}), mtls(), true},
      {"IpBlockCidrV4All", fromField(&AuthzSource::ipBlocks, {"0.0.0.0/0"}), mtls(), true},
      {"IpBlockSingleV4", fromField(&AuthzSource::ipBlocks, {"10.1.2.3"}), mtls(), true},
      {"IpBlockSingleV4Other", fromField(&AuthzSource::ipBlocks, {"10.1.2.4"}), mtls(), false},
      {"IpBlockCidrV6", fromField(&AuthzSource::ipBlocks, {"2001:db8::/32"}),
       fromIp("2001:db8:1::5"), true},
      {"IpBlockCidrV6Outside", fromField(&AuthzSource::ipBlocks, {"2001:db8::/32"}),
       fromIp("2001:db9::1"), false},
      {"IpBlockSingleV6", fromField(&AuthzSource::ipBlocks, {"2001:db8::5"}),
       fromIp("2001:db8:0:0::5"), true},
      {"IpBlockV4DoesNotMatchV6", fromField(&AuthzSource::ipBlocks, {"0.0.0.0/0"}),
       fromIp("2001:db8::5"), false},
      {"IpBlockV4MappedSource", fromField(&AuthzSource::ipBlocks, {"10.0.0.0/8"}),
       fromIp("::ffff:10.1.2.3"), true},
      {"IpBlockV4MappedEntry", fromField(&AuthzSource::ipBlocks, {"::ffff:10.0.0.0/104"}), mtls(),
       true},
      {"IpBlockV6ZoneIgnored", fromField(&AuthzSource::ipBlocks, {"fe80::/10"}),
       fromIp("fe80::1%eth0"), true},
      {"IpBlockUnparsableEntry", fromField(&AuthzSource::ipBlocks, {"not-an-ip"}), mtls(), false},
      {"IpBlockPrefixTooLong", fromField(&AuthzSource::ipBlocks, {"10.0.0.0/33"}), mtls(), false},
      {"IpBlockPrefixEmpty", fromField(&AuthzSource::ipBlocks, {"10.0.0.0/"}), mtls(), false},
      {"IpBlockUnparsableSource", fromField(&AuthzSource::ipBlocks, {"0.0.0.0/0"}), fromIp(""),
       false},
      {"NotIpBlockExcluded", fromField(&AuthzSource::notIpBlocks, {"10.0.0.0/8"}), mtls(), false},
      {"NotIpBlockExcludedV6", fromField(&AuthzSource::notIpBlocks, {"2001:db8::/32"}),
       fromIp("2001:db8::7"), false},
      {"NotIpBlockOther", fromField(&AuthzSource::notIpBlocks, {"192.168.0.0/16"}), mtls(), true},
      {"NotIpBlockUnparsableEntry", fromField(&AuthzSource::notIpBlocks, {"garbage"}), mtls(),
       true},
      {"RemoteIpBlock", fromField(&AuthzSource::remoteIpBlocks, {"10.0.0.0/8"}), mtls(), true},
      {"RemoteIpBlockOutside", fromField(&AuthzSource::remoteIpBlocks, {"172.16.0.0/12"}), mtls(),
       false},
      {"NotRemoteIpBlockExcluded", fromField(&AuthzSource::notRemoteIpBlocks, {"10.1.0.0/16"}),
       mtls(), false},
      {"NotRemoteIpBlockOther", fromField(&AuthzSource::notRemoteIpBlocks, {"172.16.0.0/12"}),
       mtls(), true},

      {"SourceFieldsAreAnded",
       makeRule(
           {source({{&AuthzSource::principals, {kSleep}}, {&AuthzSource::namespaces, {"bar"}}})}),
       mtls(), false},
      {"SourcePositiveAndNegativeAnded",
       makeRule(
           {source({{&AuthzSource::principals, {"*"}}, {&AuthzSource::notPrincipals, {kSleep}}})}),
       mtls(), false},
      {"SourcesAreOred",
       makeRule({source({{&AuthzSource::principals, {kOther}}}),
                 source({{&AuthzSource::namespaces, {"foo"}}})}),
       mtls(), true},

      {"Port", toField(&AuthzOperation::ports, {"8080"}), mtls(), true},
      {"PortOther", toField(&AuthzOperation::ports, {"9090"}), mtls(), false},
      {"PortAnyOfList", toField(&AuthzOperation::ports, {"80", "8080"}), mtls(), true},
      {"PortUnparsable", toField(&AuthzOperation::ports, {"http"}), mtls(), false},
      {"PortOverflowDoesNotWrap", toField(&AuthzOperation::ports, {"73616"}), mtls(), false},
      {"NotPortExcluded", toField(&AuthzOperation::notPorts, {"8080"}), mtls(), false},
      {"NotPortOther", toField(&AuthzOperation::notPorts, {"9090"}), mtls(), true},
      {"OperationsAreOred",
       makeRule({}, {operation({{&AuthzOperation::ports, {"9090"}}}),
                     operation({{&AuthzOperation::ports, {"8080"}}})}),
       mtls(), true},
      {"FromAndToAreAnded",
       makeRule({source({{&AuthzSource::principals, {kSleep}}})},
                {operation({{&AuthzOperation::ports, {"9090"}}})}),
       mtls(), false},
      {"FromAndToBothMatch",
       makeRule({source({{&AuthzSource::principals, {kSleep}}})},
                {operation({{&AuthzOperation::ports, {"8080"}}})}),
       mtls(), true},

      {"PathExact", toField(&AuthzOperation::paths, {"/api"}), getPath("/api"), true},
      {"PathExactLonger", toField(&AuthzOperation::paths, {"/api"}), getPath("/api/v1"), false},
      {"PathPrefix", toField(&AuthzOperation::paths, {"/api/*"}), getPath("/api/v1/items"), true},
      {"PathPrefixOther", toField(&AuthzOperation::paths, {"/api/*"}), getPath("/admin/x"), false},
      {"PathSuffix", toField(&AuthzOperation::paths, {"*.json"}), getPath("/data/report.json"),
       true},
      {"PathSuffixOther", toField(&AuthzOperation::paths, {"*.json"}), getPath("/data/report.xml"),
       false},
      {"PathPresence", toField(&AuthzOperation::paths, {"*"}), getPath("/"), true},
      {"PathIgnoresQuery", toField(&AuthzOperation::paths, {"/api"}), getPath("/api?debug=1"),
       true},
      {"NotPathExcluded", toField(&AuthzOperation::notPaths, {"/admin*"}), getPath("/admin/users"),
       false},
      {"NotPathOther", toField(&AuthzOperation::notPaths, {"/admin*"}), getPath("/public"), true},

      {"HostCaseInsensitive", toField(&AuthzOperation::hosts, {"Example.COM"}),
       withHost("example.com"), true},
      {"HostSuffixCaseInsensitive", toField(&AuthzOperation::hosts, {"*.example.com"}),
       withHost("API.Example.com"), true},
      {"HostOther", toField(&AuthzOperation::hosts, {"other.com"}), withHost("example.com"), false},
      {"NotHostExcluded", toField(&AuthzOperation::notHosts, {"EXAMPLE.com"}),
       withHost("example.com"), false},
      {"NotHostOther", toField(&AuthzOperation::notHosts, {"other.com"}), withHost("example.com"),
       true},

      {"Method", toField(&AuthzOperation::methods, {"GET"}), getPath("/"), true},
      {"MethodOther", toField(&AuthzOperation::methods, {"POST"}), getPath("/"), false},
      {"NotMethodExcluded", toField(&AuthzOperation::notMethods, {"GET"}), getPath("/"), false},
      {"NotMethodOther", toField(&AuthzOperation::notMethods, {"DELETE"}), getPath("/"), true},
      {"PortsAndPathsAnded",
       makeRule({}, {operation({{&AuthzOperation::ports, {"8080"}},
                                {&AuthzOperation::paths, {"/admin"}}})}),
       getPath("/api"), false},

      {"RequestPrincipalExact", fromField(&AuthzSource::requestPrincipals, {"issuer/subject"}),
       withRequestPrincipal("issuer/subject"), true},
      {"RequestPrincipalPrefix", fromField(&AuthzSource::requestPrincipals, {"issuer/*"}),
       withRequestPrincipal("issuer/subject"), true},
      {"RequestPrincipalPresenceWithoutJwt", fromField(&AuthzSource::requestPrincipals, {"*"}),
       withRequestPrincipal(std::nullopt), false},
      {"NotRequestPrincipalWithoutJwt",
       fromField(&AuthzSource::notRequestPrincipals, {"issuer/subject"}),
       withRequestPrincipal(std::nullopt), true},
      {"NotRequestPrincipalExcluded",
       fromField(&AuthzSource::notRequestPrincipals, {"issuer/subject"}),
       withRequestPrincipal("issuer/subject"), false},

      {"WhenSourceIpCidr", when("source.ip", {"10.0.0.0/8"}), mtls(), true},
      {"WhenSourceIpCidrOutside", when("source.ip", {"192.168.0.0/16"}), mtls(), false},
      {"WhenSourceIpNotValues", when("source.ip", {}, {"10.1.0.0/16"}), mtls(), false},
      {"WhenRemoteIp", when("remote.ip", {"10.1.2.3"}), mtls(), true},
      {"WhenSourceNamespace", when("source.namespace", {"foo"}), mtls(), true},
      {"WhenSourceNamespaceOther", when("source.namespace", {"bar"}), mtls(), false},
      {"WhenSourceNamespaceNotValues", when("source.namespace", {}, {"foo"}), mtls(), false},
      {"WhenSourceNamespacePlaintext", when("source.namespace", {"*"}), plaintext(), false},
      {"WhenSourcePrincipal", when("source.principal", {"cluster.local/ns/foo/*"}), mtls(), true},
      {"WhenDestinationIp", when("destination.ip", {"10.0.0.0/24"}), mtls(), true},
      {"WhenDestinationIpOutside", when("destination.ip", {"10.0.1.0/24"}), mtls(), false},
      {"WhenDestinationPort", when("destination.port", {"8080"}), mtls(), true},
      {"WhenDestinationPortOther", when("destination.port", {"9090"}), mtls(), false},
      {"WhenDestinationPortNotValues", when("destination.port", {}, {"8080"}), mtls(), false},
      {"WhenSniValuesUnknown", when("connection.sni", {"example.com"}), mtls(), false},
      {"WhenSniNotValuesOnly", when("connection.sni", {}, {"example.com"}), mtls(), true},
      {"WhenHeader", when("request.headers[x-token]", {"abc"}), withHeader("x-token", "abc"), true},
      {"WhenHeaderPrefix", when("request.headers[x-token]", {"ab*"}), withHeader("x-token", "abc"),
       true},
      {"WhenHeaderOtherValue", when("request.headers[x-token]", {"xyz"}),
       withHeader("x-token", "abc"), false},
      {"WhenHeaderPresenceNeedsValue", when("request.headers[x-token]", {"*"}),
       withHeader("x-token", ""), false},
      {"WhenHeaderAbsent", when("request.headers[x-token]", {"*"}), getPath("/"), false},
      {"WhenHeaderNotValuesAbsent", when("request.headers[x-token]", {}, {"abc"}), getPath("/"),
       true},
      {"WhenHeaderNotValuesExcluded", when("request.headers[x-token]", {}, {"abc"}),
       withHeader("x-token", "abc"), false},
      {"WhenHeaderNameCaseInsensitive", when("request.headers[X-Token]", {"abc"}),
       withHeader("x-token", "abc"), true},
      {"WhenRequestAuthPrincipal", when("request.auth.principal", {"issuer/*"}),
       withRequestPrincipal("issuer/subject"), true},
      {"WhenRequestAuthPrincipalWithoutJwt", when("request.auth.principal", {"*"}),
       withRequestPrincipal(std::nullopt), false},
      {"WhenAllConditionsMustHold",
       makeRule({}, {},
                {condition("source.namespace", {"foo"}), condition("destination.port", {"9090"})}),
       mtls(), false},
      {"WhenAllConditionsHold",
       makeRule({}, {},
                {condition("source.namespace", {"foo"}), condition("destination.port", {"8080"})}),
       mtls(), true},
  };
}

class AuthzRuleMatchTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(AuthzRuleMatchTest, AllowsAsAllowExactlyWhenItDeniesAsDeny) {
  const RuleCase& ruleCase = GetParam();
  const AuthorizationPolicy allow = makePolicy("allow-rule", AuthzAction::kAllow, {ruleCase.rule});
  const AuthorizationPolicy deny = makePolicy("deny-rule", AuthzAction::kDeny, {ruleCase.rule});

  EXPECT_EQ(authorizeAll({allow}, ruleCase.attributes).allowed, ruleCase.matches);
  EXPECT_EQ(authorizeAll({deny}, ruleCase.attributes).allowed, !ruleCase.matches);
}

INSTANTIATE_TEST_SUITE_P(Rules, AuthzRuleMatchTest, ::testing::ValuesIn(ruleCases()),
                         caseName<RuleCase>);

// ---- Whole verdicts: evaluation order, reasons, audit, the TCP rule ----------------------

struct VerdictCase {
  std::string name;
  std::vector<AuthorizationPolicy> policies;
  ConnectionAttributes attributes;
  bool allowed;
  std::vector<std::string> reasonContains;
  std::string decidingPolicy;  // "ns/name"; empty when no single policy decided
  std::vector<std::string> auditMatches;
};

void PrintTo(const VerdictCase& verdictCase, std::ostream* out) { *out << verdictCase.name; }

AuthorizationPolicy allowAll() { return makePolicy("allow-all", AuthzAction::kAllow, {{}}); }
AuthorizationPolicy allowSleep() {
  return makePolicy("allow-sleep", AuthzAction::kAllow, {fromPrincipal(kSleep)});
}
AuthorizationPolicy allowOther() {
  return makePolicy("allow-other", AuthzAction::kAllow, {fromPrincipal(kOther)});
}
AuthorizationPolicy denyAll() { return makePolicy("deny-all", AuthzAction::kDeny, {{}}); }
AuthorizationPolicy denySleep() {
  return makePolicy("deny-sleep", AuthzAction::kDeny, {fromPrincipal(kSleep)});
}
AuthorizationPolicy denyOther() {
  return makePolicy("deny-other", AuthzAction::kDeny, {fromPrincipal(kOther)});
}
AuthorizationPolicy auditAll() { return makePolicy("audit-all", AuthzAction::kAudit, {{}}); }
AuthorizationPolicy auditOther() {
  return makePolicy("audit-other", AuthzAction::kAudit, {fromPrincipal(kOther)});
}
AuthorizationPolicy denyPlaintext() {
  return makePolicy("deny-plaintext", AuthzAction::kDeny,
                    {fromField(&AuthzSource::notPrincipals, {"*"})});
}
AuthorizationPolicy allowAnyPrincipal() {
  return makePolicy("allow-mtls", AuthzAction::kAllow, {fromPrincipal("*")});
}

std::vector<VerdictCase> orderCases() {
  return {
      {"NoPoliciesAllow", {}, mtls(), true, {"no ALLOW policy applies"}, "", {}},
      {"DenyBeatsAllow",
       {allowAll(), denyAll()},
       mtls(),
       false,
       {"denied by AuthorizationPolicy foo/deny-all", "rule 0"},
       "foo/deny-all",
       {}},
      {"NonMatchingDenyThenMatchingAllow",
       {denyOther(), allowSleep()},
       mtls(),
       true,
       {"allowed by AuthorizationPolicy foo/allow-sleep", "rule 0"},
       "foo/allow-sleep",
       {}},
      {"OnlyNonMatchingDenyAllows",
       {denyOther()},
       mtls(),
       true,
       {"no ALLOW policy applies"},
       "",
       {}},
      {"AllowPresentNoneMatchingDenies",
       {allowOther()},
       mtls(),
       false,
       {"no ALLOW policy matched; 1 ALLOW policy applies"},
       "",
       {}},
      {"TwoAllowPresentNoneMatchingDenies",
       {allowOther(), makePolicy("allow-bar", AuthzAction::kAllow,
                                 {fromField(&AuthzSource::namespaces, {"bar"})})},
       mtls(),
       false,
       {"no ALLOW policy matched; 2 ALLOW policies apply"},
       "",
       {}},
      {"AnyMatchingAllowSuffices",
       {allowOther(), allowSleep()},
       mtls(),
       true,
       {"allowed by AuthorizationPolicy foo/allow-sleep"},
       "foo/allow-sleep",
       {}},
      {"AllowWithoutRulesAllowsNothing",
       {makePolicy("allow-nothing", AuthzAction::kAllow, {})},
       mtls(),
       false,
       {"no ALLOW policy matched", "AuthorizationPolicy foo/allow-nothing has no rules"},
       "",
       {}},
      {"AllowWithEmptyRuleAllowsEverything",
       {allowAll()},
       plaintext(),
       true,
       {"allowed by AuthorizationPolicy foo/allow-all"},
       "foo/allow-all",
       {}},
      {"DenyWithoutRulesDeniesNothing",
       {makePolicy("deny-nothing", AuthzAction::kDeny, {})},
       plaintext(),
       true,
       {"no ALLOW policy applies"},
       "",
       {}},
      {"DenyWithEmptyRuleDeniesEverything",
       {denyAll()},
       mtls(),
       false,
       {"denied by AuthorizationPolicy foo/deny-all"},
       "foo/deny-all",
       {}},
      {"ReasonNamesMatchingRuleIndex",
       {makePolicy("allow-two", AuthzAction::kAllow,
                   {fromPrincipal(kOther), fromPrincipal(kSleep)})},
       mtls(),
       true,
       {"AuthorizationPolicy foo/allow-two", "rule 1"},
       "foo/allow-two",
       {}},
      {"ReasonNamesPolicyNamespace",
       {makePolicy("deny-all", AuthzAction::kDeny, {{}}, "istio-system")},
       mtls(),
       false,
       {"AuthorizationPolicy istio-system/deny-all"},
       "istio-system/deny-all",
       {}},
      {"FirstMatchingDenyDecides",
       {denyOther(), denySleep()},
       mtls(),
       false,
       {"denied by AuthorizationPolicy foo/deny-sleep"},
       "foo/deny-sleep",
       {}},
      {"AuditAloneAllowsAndIsRecorded",
       {auditAll()},
       mtls(),
       true,
       {"no ALLOW policy applies"},
       "",
       {"foo/audit-all"}},
      {"AuditRecordedWhenDenied",
       {auditAll(), denyAll()},
       mtls(),
       false,
       {"denied by AuthorizationPolicy foo/deny-all"},
       "foo/deny-all",
       {"foo/audit-all"}},
      {"AuditRecordedWhenAllowed",
       {auditAll(), allowSleep()},
       mtls(),
       true,
       {"allowed by AuthorizationPolicy foo/allow-sleep"},
       "foo/allow-sleep",
       {"foo/audit-all"}},
      {"AuditDoesNotSatisfyAllow",
       {auditAll(), allowOther()},
       mtls(),
       false,
       {"no ALLOW policy matched; 1 ALLOW policy applies"},
       "",
       {"foo/audit-all"}},
      {"AuditNotMatchingNotRecorded", {auditOther()}, mtls(), true, {}, "", {}},
      {"DenyNotPrincipalsPresenceDeniesPlaintext",
       {denyPlaintext()},
       plaintext(),
       false,
       {"denied by AuthorizationPolicy foo/deny-plaintext"},
       "foo/deny-plaintext",
       {}},
      {"DenyNotPrincipalsPresenceAllowsMtls",
       {denyPlaintext()},
       mtls(),
       true,
       {"no ALLOW policy applies"},
       "",
       {}},
      {"AllowPrincipalsPresenceRejectsPlaintext",
       {allowAnyPrincipal()},
       plaintext(),
       false,
       {"no ALLOW policy matched"},
       "",
       {}},
      {"AllowPrincipalsPresenceAcceptsMtls",
       {allowAnyPrincipal()},
       mtls(),
       true,
       {"allowed by AuthorizationPolicy foo/allow-mtls"},
       "foo/allow-mtls",
       {}},
  };
}

AuthorizationPolicy allowGet() {
  return makePolicy("allow-get", AuthzAction::kAllow, {toField(&AuthzOperation::methods, {"GET"})});
}
AuthorizationPolicy denyAdmin() {
  return makePolicy("deny-admin", AuthzAction::kDeny,
                    {toField(&AuthzOperation::paths, {"/admin*"})});
}

std::vector<VerdictCase> tcpCases() {
  return {
      {"AllowHttpRuleCannotMatchTcp",
       {allowGet()},
       mtls(),
       false,
       {"no ALLOW policy matched",
        "AuthorizationPolicy foo/allow-get rule 0 uses HTTP-only fields (methods); treated as TCP: "
        "the rule cannot match"},
       "",
       {}},
      {"AllowHttpRuleMatchesHttp",
       {allowGet()},
       getPath("/"),
       true,
       {"allowed by AuthorizationPolicy foo/allow-get"},
       "foo/allow-get",
       {}},
      {"AllowHttpRuleIgnoredEvenIfL4PartMatches",
       {makePolicy("allow-sleep-api", AuthzAction::kAllow,
                   {makeRule({source({{&AuthzSource::principals, {kSleep}}})},
                             {operation({{&AuthzOperation::paths, {"/api"}}})})})},
       mtls(),
       false,
       {"rule 0 uses HTTP-only fields (paths); treated as TCP: the rule cannot match"},
       "",
       {}},
      {"AllowRequestPrincipalsRuleCannotMatchTcp",
       {makePolicy("allow-jwt", AuthzAction::kAllow,
                   {fromField(&AuthzSource::requestPrincipals, {"*"})})},
       mtls(),
       false,
       {"uses HTTP-only fields (requestPrincipals)"},
       "",
       {}},
      {"AllowHeaderConditionCannotMatchTcp",
       {makePolicy("allow-header", AuthzAction::kAllow, {when("request.headers[x-debug]", {"1"})})},
       mtls(),
       false,
       {"uses HTTP-only fields (when request.headers[x-debug])"},
       "",
       {}},
      {"AllowLaterL4RuleStillMatchesTcp",
       {makePolicy(
           "allow-mixed", AuthzAction::kAllow,
           {toField(&AuthzOperation::paths, {"/api"}), toField(&AuthzOperation::ports, {"8080"})})},
       mtls(),
       true,
       {"allowed by AuthorizationPolicy foo/allow-mixed", "rule 1"},
       "foo/allow-mixed",
       {}},
      {"DenyHttpOnlyRuleDeniesAllTcp",
       {denyAdmin()},
       mtls(),
       false,
       {"denied by AuthorizationPolicy foo/deny-admin",
        "rule 0 uses HTTP-only fields (paths); treated as TCP: those fields are ignored"},
       "foo/deny-admin",
       {}},
      {"DenyHttpOnlyRuleNarrowWithHttp",
       {denyAdmin()},
       getPath("/public"),
       true,
       {"no ALLOW policy applies"},
       "",
       {}},
      {"DenyHttpOnlyRuleMatchesWithHttp",
       {denyAdmin()},
       getPath("/admin/users"),
       false,
       {"denied by AuthorizationPolicy foo/deny-admin"},
       "foo/deny-admin",
       {}},
      {"DenyKeepsL4PartOnTcpNoMatch",
       {makePolicy("deny-other-post", AuthzAction::kDeny,
                   {makeRule({source({{&AuthzSource::principals, {kOther}}})},
                             {operation({{&AuthzOperation::methods, {"POST"}}})})})},
       mtls(),
       true,
       {"no ALLOW policy applies"},
       "",
       {}},
      {"DenyKeepsL4PartOnTcpMatch",
       {makePolicy("deny-sleep-post", AuthzAction::kDeny,
                   {makeRule({source({{&AuthzSource::principals, {kSleep}}})},
                             {operation({{&AuthzOperation::methods, {"POST"}}})})})},
       mtls(),
       false,
       {"denied by AuthorizationPolicy foo/deny-sleep-post",
        "rule 0 uses HTTP-only fields (methods); treated as TCP"},
       "foo/deny-sleep-post",
       {}},
      {"DenyDropsHeaderConditionOnTcp",
       {makePolicy("deny-debug", AuthzAction::kDeny, {when("request.headers[x-debug]", {"1"})})},
       mtls(),
       false,
       {"uses HTTP-only fields (when request.headers[x-debug]); treated as TCP"},
       "foo/deny-debug",
       {}},
      {"DenyDropsRequestPrincipalsOnTcp",
       {makePolicy("deny-no-jwt", AuthzAction::kDeny,
                   {fromField(&AuthzSource::notRequestPrincipals, {"*"})})},
       mtls(),
       false,
       {"uses HTTP-only fields (notRequestPrincipals)"},
       "foo/deny-no-jwt",
       {}},
      {"DenyListsEveryDroppedField",
       {makePolicy("deny-many", AuthzAction::kDeny,
                   {makeRule({},
                             {operation({{&AuthzOperation::notHosts, {"a.com"}},
                                         {&AuthzOperation::methods, {"POST"}},
                                         {&AuthzOperation::paths, {"/x"}}})},
                             {condition("request.auth.principal", {"*"})})})},
       mtls(),
       false,
       {"HTTP-only fields (notHosts, methods, paths, when request.auth.principal)"},
       "foo/deny-many",
       {}},
      // Istio widens an AUDIT rule on TCP the way it widens a DENY rule.
      {"AuditHttpRuleRecordedOnTcpWithoutItsHttpFields",
       {makePolicy("audit-admin", AuthzAction::kAudit,
                   {toField(&AuthzOperation::paths, {"/admin"})})},
       mtls(),
       true,
       {"no ALLOW policy applies"},
       "",
       {"foo/audit-admin"}},
      {"AllowClaimConditionNotModelledWithHttp",
       {makePolicy("allow-admins", AuthzAction::kAllow,
                   {when("request.auth.claims[groups]", {"admin"})})},
       getPath("/"),
       false,
       {"rule 0 uses attributes ztls does not model (when request.auth.claims[groups]); treated "
        "as TCP: the rule cannot match"},
       "",
       {}},
      {"AllowClaimConditionOnTcpIsHttpOnly",
       {makePolicy("allow-admins", AuthzAction::kAllow,
                   {when("request.auth.claims[groups]", {"admin"})})},
       mtls(),
       false,
       {"uses HTTP-only fields (when request.auth.claims[groups])"},
       "",
       {}},
      {"DenyAudienceConditionNotModelledWithHttp",
       {makePolicy("deny-audience", AuthzAction::kDeny,
                   {when("request.auth.audiences", {"internal"})})},
       getPath("/"),
       false,
       {"attributes ztls does not model (when request.auth.audiences); treated as TCP: those "
        "fields are ignored"},
       "foo/deny-audience",
       {}},
      {"DenyUnsupportedConditionKeyDropped",
       {makePolicy("deny-filter", AuthzAction::kDeny,
                   {makeRule({source({{&AuthzSource::principals, {kSleep}}})}, {},
                             {condition("experimental.envoy.filters.x", {"1"})})})},
       getPath("/"),
       false,
       {"attributes ztls does not model (when experimental.envoy.filters.x)"},
       "foo/deny-filter",
       {}},
  };
}

class AuthzVerdictTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(AuthzVerdictTest, DecidesAndExplains) {
  const VerdictCase& verdictCase = GetParam();
  const AuthzVerdict verdict = authorizeAll(verdictCase.policies, verdictCase.attributes);

  EXPECT_EQ(verdict.allowed, verdictCase.allowed) << verdict.reason;
  for (const std::string& fragment : verdictCase.reasonContains) {
    EXPECT_THAT(verdict.reason, HasSubstr(fragment));
  }
  EXPECT_THAT(verdict.reason, Not(HasSubstr("\n")));
  EXPECT_EQ(verdict.decidingPolicy ? nameOf(*verdict.decidingPolicy) : "",
            verdictCase.decidingPolicy);
  EXPECT_EQ(namesOf(verdict.auditMatches), verdictCase.auditMatches);
}

INSTANTIATE_TEST_SUITE_P(Order, AuthzVerdictTest, ::testing::ValuesIn(orderCases()),
                         caseName<VerdictCase>);
INSTANTIATE_TEST_SUITE_P(Tcp, AuthzVerdictTest, ::testing::ValuesIn(tcpCases()),
                         caseName<VerdictCase>);

TEST(AuthzVerdictEdgeTest, NullPolicyPointersAreSkipped) {
  const AuthorizationPolicy deny = denyAll();
  const std::vector<const AuthorizationPolicy*> policies = {nullptr, &deny, nullptr};

  const AuthzVerdict verdict = authorize(policies, mtls());

  EXPECT_FALSE(verdict.allowed);
  EXPECT_THAT(verdict.reason, HasSubstr("foo/deny-all"));
}

TEST(AuthzVerdictEdgeTest, AllowMatchNamesNoTcpNoteWhenNothingWasDropped) {
  const AuthzVerdict verdict = authorizeAll({allowSleep()}, mtls());

  EXPECT_TRUE(verdict.allowed);
  EXPECT_THAT(verdict.reason, Not(HasSubstr("treated as TCP")));
  EXPECT_THAT(verdict.auditMatches, IsEmpty());
}

// ---- appliesTo --------------------------------------------------------------------------

struct AppliesCase {
  std::string name;
  std::string policyNamespace;
  std::optional<Labels> selector;
  std::string workloadNamespace;
  Labels workloadLabels;
  bool applies;
};

void PrintTo(const AppliesCase& appliesCase, std::ostream* out) { *out << appliesCase.name; }

constexpr const char* kRootNamespace = "istio-system";

std::vector<AppliesCase> appliesCases() {
  const Labels sleepV1 = {{"app", "sleep"}, {"version", "v1"}};
  return {
      {"NoSelectorSameNamespace", "foo", std::nullopt, "foo", sleepV1, true},
      {"NoSelectorOtherNamespace", "foo", std::nullopt, "bar", sleepV1, false},
      {"SelectorMatches", "foo", Labels{{"app", "sleep"}}, "foo", sleepV1, true},
      {"SelectorAllPairsMatch", "foo", sleepV1, "foo", sleepV1, true},
      {"SelectorValueDiffers", "foo", Labels{{"app", "httpbin"}}, "foo", sleepV1, false},
      {"SelectorKeyMissing", "foo", Labels{{"tier", "web"}}, "foo", sleepV1, false},
      {"SelectorNeedsEveryPair", "foo", Labels{{"app", "sleep"}, {"version", "v2"}}, "foo", sleepV1,
       false},
      {"EmptySelectorSelectsNamespace", "foo", Labels{}, "foo", sleepV1, true},
      {"SelectorDoesNotCrossNamespaces", "foo", Labels{{"app", "sleep"}}, "bar", sleepV1, false},
      {"RootWithoutSelectorAppliesEverywhere", kRootNamespace, std::nullopt, "bar", sleepV1, true},
      {"RootSelectorAppliesAcrossNamespaces", kRootNamespace, Labels{{"app", "sleep"}}, "bar",
       sleepV1, true},
      {"RootSelectorStillFiltersLabels", kRootNamespace, Labels{{"app", "httpbin"}}, "bar", sleepV1,
       false},
      {"RootPolicyAppliesToRootWorkloads", kRootNamespace, std::nullopt, kRootNamespace, {}, true},
  };
}

class AuthzAppliesToTest : public ::testing::TestWithParam<AppliesCase> {};

TEST_P(AuthzAppliesToTest, SelectsWorkloads) {
  const AppliesCase& appliesCase = GetParam();
  AuthorizationPolicy policy =
      makePolicy("policy", AuthzAction::kAllow, {{}}, appliesCase.policyNamespace);
  policy.selector = appliesCase.selector;

  EXPECT_EQ(
      appliesTo(policy, appliesCase.workloadNamespace, appliesCase.workloadLabels, kRootNamespace),
      appliesCase.applies);
}

INSTANTIATE_TEST_SUITE_P(Selection, AuthzAppliesToTest, ::testing::ValuesIn(appliesCases()),
                         caseName<AppliesCase>);

TEST(AuthzAppliesToEdgeTest, EmptyRootNamespaceMakesNothingMeshWide) {
  const AuthorizationPolicy policy = makePolicy("policy", AuthzAction::kAllow, {{}}, "");

  EXPECT_FALSE(appliesTo(policy, "bar", {}, ""));
}

// ---- namespaceOfPrincipal and condition keys --------------------------------------------

struct NamespaceCase {
  std::string name;
  std::string spiffeId;
  std::string expectedNamespace;
};

void PrintTo(const NamespaceCase& namespaceCase, std::ostream* out) { *out << namespaceCase.name; }

class AuthzNamespaceOfPrincipalTest : public ::testing::TestWithParam<NamespaceCase> {};

TEST_P(AuthzNamespaceOfPrincipalTest, ExtractsNamespace) {
  EXPECT_EQ(namespaceOfPrincipal(GetParam().spiffeId), GetParam().expectedNamespace);
}

INSTANTIATE_TEST_SUITE_P(
    Principals, AuthzNamespaceOfPrincipalTest,
    ::testing::Values(NamespaceCase{"SpiffeId", kSleepId, "foo"},
                      NamespaceCase{"WithoutScheme", kSleep, "foo"},
                      NamespaceCase{"OtherTrustDomain", "spiffe://example.org/ns/bar/sa/x", "bar"},
                      NamespaceCase{"NoNamespaceSegment", "spiffe://cluster.local/sa/sleep", ""},
                      NamespaceCase{"NamespaceNotTerminated", "spiffe://cluster.local/ns/foo", ""},
                      NamespaceCase{"EmptyNamespace", "spiffe://cluster.local/ns//sa/x", ""},
                      NamespaceCase{"Empty", "", ""}),
    caseName<NamespaceCase>);

struct ConditionKeyCase {
  std::string name;
  std::string key;
  bool supported;
  bool httpOnly;
};

void PrintTo(const ConditionKeyCase& keyCase, std::ostream* out) { *out << keyCase.name; }

class AuthzConditionKeyTest : public ::testing::TestWithParam<ConditionKeyCase> {};

TEST_P(AuthzConditionKeyTest, Classifies) {
  EXPECT_EQ(isSupportedConditionKey(GetParam().key), GetParam().supported);
  EXPECT_EQ(isHttpOnlyConditionKey(GetParam().key), GetParam().httpOnly);
}

INSTANTIATE_TEST_SUITE_P(
    Keys, AuthzConditionKeyTest,
    ::testing::Values(
        ConditionKeyCase{"SourceIp", "source.ip", true, false},
        ConditionKeyCase{"RemoteIp", "remote.ip", true, false},
        ConditionKeyCase{"SourceNamespace", "source.namespace", true, false},
        ConditionKeyCase{"SourcePrincipal", "source.principal", true, false},
        ConditionKeyCase{"DestinationIp", "destination.ip", true, false},
        ConditionKeyCase{"DestinationPort", "destination.port", true, false},
        ConditionKeyCase{"ConnectionSni", "connection.sni", true, false},
        ConditionKeyCase{"RequestHeader", "request.headers[x-token]", true, true},
        ConditionKeyCase{"RequestAuthPrincipal", "request.auth.principal", true, true},
        ConditionKeyCase{"RequestAuthAudiences", "request.auth.audiences", true, true},
        ConditionKeyCase{"RequestAuthPresenter", "request.auth.presenter", true, true},
        ConditionKeyCase{"RequestAuthClaim", "request.auth.claims[groups]", true, true},
        ConditionKeyCase{"RequestAuthNestedClaim", "request.auth.claims[a][b]", true, true},
        ConditionKeyCase{"HeaderWithoutName", "request.headers[]", false, false},
        ConditionKeyCase{"HeaderUnterminated", "request.headers[x-token", false, false},
        ConditionKeyCase{"ClaimWithoutName", "request.auth.claims[]", false, false},
        ConditionKeyCase{"EnvoyFilterMetadata", "experimental.envoy.filters.http.x[y]", false,
                         false},
        ConditionKeyCase{"UnknownKey", "source.port", false, false},
        ConditionKeyCase{"Empty", "", false, false}),
    caseName<ConditionKeyCase>);

}  // namespace
}  // namespace ztls::policy
