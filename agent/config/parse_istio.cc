#include <fmt/format.h>

#include "config/parse.h"
#include "ztls/config/ip_address.h"
#include "ztls/policy/authz.h"

namespace ztls::config::parse {

namespace {

std::optional<MtlsMode> mtlsMode(Context& ctx, const YAML::Node& mtls, const std::string& field) {
  if (!ctx.reader.expectMap(mtls, field)) return std::nullopt;
  ctx.reader.warnUnknownKeys(mtls, field, {"mode"});
  const YAML::Node mode = child(mtls, "mode");
  if (!isPresent(mode)) return MtlsMode::kUnset;
  return ctx.reader.enumeration<MtlsMode>(mode, joinField(field, "mode"),
                                          {{"UNSET", MtlsMode::kUnset},
                                           {"DISABLE", MtlsMode::kDisable},
                                           {"PERMISSIVE", MtlsMode::kPermissive},
                                           {"STRICT", MtlsMode::kStrict}});
}

// DestinationRule tls: absent stays unset (auto mTLS decides); a present block without
// mode is DISABLE, the proto's zero value.
std::optional<ClientTlsMode> clientTls(Context& ctx, const YAML::Node& tls,
                                       const std::string& field, bool& ok) {
  if (!isPresent(tls)) return std::nullopt;
  if (!ctx.reader.expectMap(tls, field)) {
    ok = false;
    return std::nullopt;
  }
  ctx.reader.warnUnknownKeys(tls, field,
                             {"mode", "credentialName", "clientCertificate", "privateKey",
                              "caCertificates", "subjectAltNames", "sni", "insecureSkipVerify"});
  const YAML::Node mode = child(tls, "mode");
  if (!isPresent(mode)) return ClientTlsMode::kDisable;
  std::optional<ClientTlsMode> parsed =
      ctx.reader.enumeration<ClientTlsMode>(mode, joinField(field, "mode"),
                                            {{"DISABLE", ClientTlsMode::kDisable},
                                             {"SIMPLE", ClientTlsMode::kSimple},
                                             {"MUTUAL", ClientTlsMode::kMutual},
                                             {"ISTIO_MUTUAL", ClientTlsMode::kIstioMutual}});
  if (!parsed) {
    ok = false;
    return std::nullopt;
  }
  if (*parsed == ClientTlsMode::kSimple || *parsed == ClientTlsMode::kMutual) {
    ctx.reader.warning(mode, joinField(field, "mode"),
                       fmt::format("{} (TLS origination to a non-mesh server) is not supported by "
                                   "ztls; connections this rule selects will be refused",
                                   clientTlsModeName(*parsed)));
  }
  return parsed;
}

void rejectTargetRefs(Context& ctx, const YAML::Node& spec) {
  for (std::string_view key : {"targetRef", "targetRefs"}) {
    const YAML::Node node = child(spec, key);
    if (isPresent(node)) {
      ctx.reader.error(node, joinField("spec", key),
                       "not supported by ztls: use spec.selector to choose workloads");
    }
  }
}

std::vector<std::string> strings(Context& ctx, const YAML::Node& parent, std::string_view key,
                                 const std::string& field) {
  return ctx.reader.stringList(child(parent, key), joinField(field, key))
      .value_or(std::vector<std::string>{});
}

void checkIpBlocks(Context& ctx, const YAML::Node& parent, std::string_view key,
                   const std::string& field, const std::vector<std::string>& blocks) {
  for (const std::string& block : blocks) {
    if (!parseIpPrefix(block)) {
      ctx.reader.error(child(parent, key), joinField(field, key),
                       fmt::format("\"{}\" is not an IP address or CIDR block", block));
    }
  }
}

void checkPorts(Context& ctx, const YAML::Node& parent, std::string_view key,
                const std::string& field, const std::vector<std::string>& ports) {
  for (const std::string& port : ports) {
    if (!parsePort(port)) {
      ctx.reader.error(child(parent, key), joinField(field, key),
                       fmt::format("\"{}\" is not a port in 1..65535", port));
    }
  }
}

std::optional<AuthzSource> authzSource(Context& ctx, const YAML::Node& node,
                                       const std::string& field) {
  if (!isPresent(node) || !node.IsMap() || node.size() == 0) {
    ctx.reader.error(node, field, "must set at least one field");
    return std::nullopt;
  }
  ctx.reader.warnUnknownKeys(
      node, field,
      {"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
       "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"});
  AuthzSource s;
  s.principals = strings(ctx, node, "principals", field);
  s.notPrincipals = strings(ctx, node, "notPrincipals", field);
  s.requestPrincipals = strings(ctx, node, "requestPrincipals", field);
  s.notRequestPrincipals = strings(ctx, node, "notRequestPrincipals", field);
  s.namespaces = strings(ctx, node, "namespaces", field);
  s.notNamespaces = strings(ctx, node, "notNamespaces", field);
  s.ipBlocks = strings(ctx, node, "ipBlocks", field);
  s.notIpBlocks = strings(ctx, node, "notIpBlocks", field);
  s.remoteIpBlocks = strings(ctx, node, "remoteIpBlocks", field);
  s.notRemoteIpBlocks = strings(ctx, node, "notRemoteIpBlocks", field);
  checkIpBlocks(ctx, node, "ipBlocks", field, s.ipBlocks);
  checkIpBlocks(ctx, node, "notIpBlocks", field, s.notIpBlocks);
  checkIpBlocks(ctx, node, "remoteIpBlocks", field, s.remoteIpBlocks);
  checkIpBlocks(ctx, node, "notRemoteIpBlocks", field, s.notRemoteIpBlocks);
  return s;
}

std::optional<AuthzOperation> authzOperation(Context& ctx, const YAML::Node& node,
                                             const std::string& field) {
  if (!isPresent(node) || !node.IsMap() || node.size() == 0) {
    ctx.reader.error(node, field, "must set at least one field");
    return std::nullopt;
  }
  ctx.reader.warnUnknownKeys(
      node, field,
      {"hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"});
  AuthzOperation o;
  o.hosts = strings(ctx, node, "hosts", field);
  o.notHosts = strings(ctx, node, "notHosts", field);
  o.ports = strings(ctx, node, "ports", field);
  o.notPorts = strings(ctx, node, "notPorts", field);
  o.methods = strings(ctx, node, "methods", field);
  o.notMethods = strings(ctx, node, "notMethods", field);
  o.paths = strings(ctx, node, "paths", field);
  o.notPaths = strings(ctx, node, "notPaths", field);
  checkPorts(ctx, node, "ports", field, o.ports);
  checkPorts(ctx, node, "notPorts", field, o.notPorts);
  return o;
}

std::optional<AuthzCondition> authzCondition(Context& ctx, const YAML::Node& node,
                                             const std::string& field) {
  if (!ctx.reader.expectMap(node, field)) return std::nullopt;
  ctx.reader.warnUnknownKeys(node, field, {"key", "values", "notValues"});
  AuthzCondition c;
  const YAML::Node key = child(node, "key");
  c.key = ctx.reader.string(key, joinField(field, "key")).value_or("");
  if (c.key.empty()) {
    ctx.reader.error(node, joinField(field, "key"), "required");
    return std::nullopt;
  }
  if (!policy::isSupportedConditionKey(c.key)) {
    ctx.reader.error(key, joinField(field, "key"),
                     fmt::format("unsupported condition key \"{}\"", c.key));
    return std::nullopt;
  }
  c.values = strings(ctx, node, "values", field);
  c.notValues = strings(ctx, node, "notValues", field);
  if (c.values.empty() && c.notValues.empty()) {
    ctx.reader.error(node, field, "needs values or notValues");
    return std::nullopt;
  }
  if (c.key == "source.ip" || c.key == "remote.ip" || c.key == "destination.ip") {
    checkIpBlocks(ctx, node, "values", field, c.values);
    checkIpBlocks(ctx, node, "notValues", field, c.notValues);
  } else if (c.key == "destination.port") {
    checkPorts(ctx, node, "values", field, c.values);
    checkPorts(ctx, node, "notValues", field, c.notValues);
  }
  return c;
}

template <typename Item, typename ParseItem>
std::vector<Item> listOf(Context& ctx, const YAML::Node& parent, std::string_view key,
                         const std::string& field, std::string_view wrapper, ParseItem parseItem) {
  std::vector<Item> result;
  const YAML::Node list = child(parent, key);
  const std::string listField = joinField(field, key);
  if (!isPresent(list) || !ctx.reader.expectSequence(list, listField)) return result;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string itemField = fmt::format("{}[{}]", listField, i);
    YAML::Node item = list[i];
    if (!wrapper.empty()) {
      itemField = joinField(itemField, wrapper);
      const YAML::Node wrapped = child(item, wrapper);
      // An absent or null wrapper has no line of its own (or the next token's): point
      // at the list item instead.
      if (!isPresent(wrapped)) {
        ctx.reader.error(item, itemField, "must set at least one field");
        continue;
      }
      item = wrapped;
    }
    if (auto parsed = parseItem(ctx, item, itemField)) result.push_back(std::move(*parsed));
  }
  return result;
}

std::optional<AuthzRule> authzRule(Context& ctx, const YAML::Node& node, const std::string& field) {
  if (!ctx.reader.expectMap(node, field)) return std::nullopt;
  ctx.reader.warnUnknownKeys(node, field, {"from", "to", "when"});
  AuthzRule rule;
  rule.from = listOf<AuthzSource>(ctx, node, "from", field, "source", authzSource);
  rule.to = listOf<AuthzOperation>(ctx, node, "to", field, "operation", authzOperation);
  rule.when = listOf<AuthzCondition>(ctx, node, "when", field, "", authzCondition);
  return rule;
}

}  // namespace

std::optional<Labels> workloadSelector(Context& ctx, const YAML::Node& spec) {
  const YAML::Node selector = child(spec, "selector");
  if (!ctx.reader.expectMap(selector, "spec.selector")) return std::nullopt;
  std::optional<Labels> labels =
      ctx.reader.stringMap(child(selector, "matchLabels"), "spec.selector.matchLabels");
  if (!labels || labels->empty()) return std::nullopt;
  return labels;
}

std::optional<Object> peerAuthentication(Context& ctx, const YAML::Node& document,
                                         ObjectMeta meta) {
  FieldReader& r = ctx.reader;
  PeerAuthentication result;
  result.meta = std::move(meta);
  const YAML::Node spec = child(document, "spec");
  if (!r.expectMap(spec, "spec")) return std::nullopt;
  r.warnUnknownKeys(spec, "spec", {"selector", "mtls", "portLevelMtls"});
  result.selector = workloadSelector(ctx, spec);
  result.mode = mtlsMode(ctx, child(spec, "mtls"), "spec.mtls").value_or(MtlsMode::kUnset);

  const YAML::Node portLevel = child(spec, "portLevelMtls");
  if (isPresent(portLevel)) {
    if (!result.selector) {
      r.error(portLevel, "spec.portLevelMtls",
              "portLevelMtls requires a workload selector (spec.selector.matchLabels): "
              "ports are those of the selected workloads");
    } else if (r.expectMap(portLevel, "spec.portLevelMtls")) {
      for (const auto& entry : portLevel) {
        const std::string field = "spec.portLevelMtls." + entry.first.as<std::string>("?");
        std::optional<std::uint16_t> port = r.port(entry.first, field);
        std::optional<MtlsMode> mode = mtlsMode(ctx, entry.second, field);
        if (port && mode) result.portLevelMtls[*port] = *mode;
      }
    }
  }
  if (result.selector && result.meta.namespace_ == ctx.options.rootNamespace) {
    r.warning(child(spec, "selector"), "spec.selector",
              fmt::format("a PeerAuthentication with a selector in the root namespace {} applies "
                          "only to that namespace's own workloads, not mesh-wide",
                          ctx.options.rootNamespace));
  }
  if (r.hadErrors()) return std::nullopt;
  return result;
}

std::optional<Object> destinationRule(Context& ctx, const YAML::Node& document, ObjectMeta meta) {
  FieldReader& r = ctx.reader;
  DestinationRule result;
  result.meta = std::move(meta);
  const YAML::Node spec = child(document, "spec");
  if (!r.expectMap(spec, "spec")) return std::nullopt;
  r.warnUnknownKeys(spec, "spec",
                    {"host", "trafficPolicy", "subsets", "exportTo", "workloadSelector"});
  const YAML::Node host = child(spec, "host");
  result.host = r.string(host, "spec.host").value_or("");
  if (result.host.empty()) r.error(isPresent(host) ? host : spec, "spec.host", "required");
  for (std::string_view ignored : {"exportTo", "subsets", "workloadSelector"}) {
    const YAML::Node node = child(spec, ignored);
    if (isPresent(node)) {
      r.warning(node, joinField("spec", ignored),
                "ignored by ztls: the rule applies to every client in the mesh");
    }
  }
  bool ok = true;
  const YAML::Node policy = child(spec, "trafficPolicy");
  if (r.expectMap(policy, "spec.trafficPolicy")) {
    r.warnUnknownKeys(policy, "spec.trafficPolicy",
                      {"tls", "portLevelSettings", "connectionPool", "loadBalancer",
                       "outlierDetection", "tunnel", "proxyProtocol"});
    result.tls = clientTls(ctx, child(policy, "tls"), "spec.trafficPolicy.tls", ok);
    const YAML::Node settings = child(policy, "portLevelSettings");
    if (r.expectSequence(settings, "spec.trafficPolicy.portLevelSettings") && isPresent(settings)) {
      for (std::size_t i = 0; i < settings.size(); ++i) {
        const std::string field = fmt::format("spec.trafficPolicy.portLevelSettings[{}]", i);
        const YAML::Node item = settings[i];
        r.warnUnknownKeys(item, field,
                          {"port", "tls", "connectionPool", "loadBalancer", "outlierDetection"});
        const YAML::Node number = child(child(item, "port"), "number");
        if (!isPresent(number)) {
          r.error(item, joinField(field, "port.number"), "required");
          continue;
        }
        PortTrafficPolicy entry;
        entry.port = r.port(number, joinField(field, "port.number")).value_or(0);
        entry.tls = clientTls(ctx, child(item, "tls"), joinField(field, "tls"), ok);
        result.portLevelSettings.push_back(entry);
      }
    }
  }
  if (!ok || r.hadErrors()) return std::nullopt;
  return result;
}

std::optional<Object> requestAuthentication(Context& ctx, const YAML::Node& document,
                                            ObjectMeta meta) {
  FieldReader& r = ctx.reader;
  RequestAuthentication result;
  result.meta = std::move(meta);
  const YAML::Node spec = child(document, "spec");
  if (!r.expectMap(spec, "spec")) return std::nullopt;
  rejectTargetRefs(ctx, spec);
  result.selector = workloadSelector(ctx, spec);
  const YAML::Node rules = child(spec, "jwtRules");
  if (r.expectSequence(rules, "spec.jwtRules") && isPresent(rules)) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const std::string field = fmt::format("spec.jwtRules[{}]", i);
      const YAML::Node item = rules[i];
      if (!r.expectMap(item, field)) continue;
      JwtRule rule;
      rule.issuer = r.string(child(item, "issuer"), joinField(field, "issuer")).value_or("");
      if (rule.issuer.empty()) r.error(item, joinField(field, "issuer"), "required");
      rule.audiences = strings(ctx, item, "audiences", field);
      rule.jwksUri = r.string(child(item, "jwksUri"), joinField(field, "jwksUri")).value_or("");
      rule.jwks = r.string(child(item, "jwks"), joinField(field, "jwks")).value_or("");
      rule.forwardOriginalToken =
          r.boolean(child(item, "forwardOriginalToken"), joinField(field, "forwardOriginalToken"))
              .value_or(false);
      result.jwtRules.push_back(std::move(rule));
    }
  }
  if (r.hadErrors()) return std::nullopt;
  return result;
}

std::optional<Object> authorizationPolicy(Context& ctx, const YAML::Node& document,
                                          ObjectMeta meta) {
  FieldReader& r = ctx.reader;
  AuthorizationPolicy result;
  result.meta = std::move(meta);
  const YAML::Node spec = child(document, "spec");
  if (!r.expectMap(spec, "spec")) return std::nullopt;
  r.warnUnknownKeys(spec, "spec",
                    {"selector", "action", "rules", "provider", "targetRef", "targetRefs"});
  rejectTargetRefs(ctx, spec);
  result.selector = workloadSelector(ctx, spec);
  const YAML::Node action = child(spec, "action");
  if (isPresent(action) && action.IsScalar() && action.Scalar() == "CUSTOM") {
    r.error(action, "spec.action",
            "CUSTOM (external authorization) is not supported by ztls; the policy is rejected "
            "rather than ignored so that nothing it was meant to deny gets through");
    return std::nullopt;
  }
  if (isPresent(action)) {
    std::optional<AuthzAction> parsed =
        r.enumeration<AuthzAction>(action, "spec.action",
                                   {{"ALLOW", AuthzAction::kAllow},
                                    {"DENY", AuthzAction::kDeny},
                                    {"AUDIT", AuthzAction::kAudit}});
    if (!parsed) return std::nullopt;
    result.action = *parsed;
  }
  if (isPresent(child(spec, "provider"))) {
    r.error(child(spec, "provider"), "spec.provider", "only valid with action CUSTOM");
  }
  const YAML::Node rules = child(spec, "rules");
  if (r.expectSequence(rules, "spec.rules") && isPresent(rules)) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const YAML::Node item = rules[i];
      const std::string field = fmt::format("spec.rules[{}]", i);
      if (item.IsNull()) {
        result.rules.emplace_back();  // "- {}" written as "-": matches everything
        continue;
      }
      if (auto rule = authzRule(ctx, item, field)) result.rules.push_back(std::move(*rule));
    }
  }
  if (result.rules.empty()) {
    r.warning(isPresent(rules) ? rules : spec, "spec.rules",
              result.action == AuthzAction::kAllow
                  ? std::string("an ALLOW policy without rules matches nothing: selected workloads "
                                "deny every request no other ALLOW policy matches")
                  : fmt::format("a {} policy without rules matches nothing and has no effect",
                                authzActionName(result.action)));
  }
  if (r.hadErrors()) return std::nullopt;
  return result;
}

}  // namespace ztls::config::parse
