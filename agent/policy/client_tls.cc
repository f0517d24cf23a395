#include "ztls/policy/client_tls.h"

#include <fmt/format.h>

#include "ztls/config/ip_address.h"
#include "ztls/policy/peer_authn.h"

namespace ztls::policy {

namespace {

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// "<name>.<ns>.svc.<cluster domain>" → the Service, if it exists.
const config::Service* serviceForFqdn(const Snapshot& snapshot, std::string_view fqdn) {
  const std::string suffix = ".svc." + snapshot.mesh().clusterDomain;
  if (!endsWith(fqdn, suffix)) return nullptr;
  const std::string_view nameAndNs = fqdn.substr(0, fqdn.size() - suffix.size());
  const std::size_t dot = nameAndNs.find('.');
  if (dot == std::string_view::npos || nameAndNs.find('.', dot + 1) != std::string_view::npos) {
    return nullptr;
  }
  return snapshot.findService(nameAndNs.substr(dot + 1), nameAndNs.substr(0, dot));
}

// A pod's resolv.conf search list: <ns>.svc.<cd>, svc.<cd>, <cd>, then the name as is.
const config::Service* serviceForHostname(const Snapshot& snapshot,
                                          std::string_view sourceNamespace, std::string_view host) {
  const std::string& cd = snapshot.mesh().clusterDomain;
  const std::string candidates[] = {
      fmt::format("{}.{}.svc.{}", host, sourceNamespace, cd),
      fmt::format("{}.svc.{}", host, cd),
      fmt::format("{}.{}", host, cd),
      std::string(host),
  };
  for (const std::string& candidate : candidates) {
    if (const config::Service* service = serviceForFqdn(snapshot, candidate)) return service;
  }
  return nullptr;
}

void resolveServiceEndpoint(const Snapshot& snapshot, Destination& d) {
  const config::Service& service = *d.service;
  d.serviceFqdn = fmt::format("{}.{}.svc.{}", service.meta.name, service.meta.namespace_,
                              snapshot.mesh().clusterDomain);
  for (const config::ServicePort& port : service.ports) {
    if (port.port == d.port) d.servicePort = &port;
  }
  if (d.servicePort == nullptr) {
    d.problem = fmt::format("Service {}/{} has no port {}", service.meta.namespace_,
                            service.meta.name, d.port);
    return;
  }
  const std::vector<const Workload*> endpoints = snapshot.endpointsOf(service);
  d.endpointCount = endpoints.size();
  if (endpoints.empty()) {
    d.problem = fmt::format("Service {}/{} selects no workload (no endpoints)",
                            service.meta.namespace_, service.meta.name);
    return;
  }
  d.endpoint = endpoints.front();
  const config::TargetPort& target = d.servicePort->targetPort;
  if (target.name.empty()) {
    d.targetPort = target.number;
  } else if (auto named = d.endpoint->portNamed(target.name)) {
    d.targetPort = *named;
  } else {
    d.problem = fmt::format("{} has no container port named \"{}\" (targetPort of Service {}/{})",
                            d.endpoint->qualifiedName(), target.name, service.meta.namespace_,
                            service.meta.name);
  }
}

// 0: no match; otherwise larger is more specific (exact beats every wildcard).
std::size_t hostMatchScore(const Snapshot& snapshot, const config::DestinationRule& rule,
                           std::string_view fqdn) {
  std::string host = rule.host;
  if (host == "*") return 1;
  if (host.find('.') == std::string::npos) {
    host = fmt::format("{}.{}.svc.{}", host, rule.meta.namespace_, snapshot.mesh().clusterDomain);
  }
  if (host == fqdn) return std::string::npos;
  if (host.size() > 1 && host[0] == '*' && host[1] == '.') {
    const std::string_view suffix = std::string_view(host).substr(1);
    if (endsWith(fqdn, suffix) && fqdn.size() > suffix.size()) return 1 + suffix.size();
  }
  return 0;
}

std::optional<config::ClientTlsMode> tlsForPort(const config::DestinationRule& rule,
                                                std::uint16_t port, bool& portLevel) {
  for (const config::PortTrafficPolicy& settings : rule.portLevelSettings) {
    if (settings.port == port && settings.tls) {
      portLevel = true;
      return settings.tls;
    }
  }
  portLevel = false;
  return rule.tls;
}

ClientTls fromMode(config::ClientTlsMode mode) {
  switch (mode) {
    case config::ClientTlsMode::kDisable:
      return ClientTls::kDisable;
    case config::ClientTlsMode::kSimple:
      return ClientTls::kSimple;
    case config::ClientTlsMode::kMutual:
      return ClientTls::kMutual;
    case config::ClientTlsMode::kIstioMutual:
      return ClientTls::kIstioMutual;
  }
  return ClientTls::kDisable;
}

ClientTlsDecision autoMtls(const Snapshot& snapshot, const Destination& d) {
  const Workload& endpoint = *d.endpoint;
  if (!endpoint.enrolled) {
    return {ClientTls::kDisable, std::nullopt,
            fmt::format("auto mTLS: destination {} is not in the mesh ({}), so plaintext",
                        endpoint.qualifiedName(), endpoint.enrollmentReason)};
  }
  const ModeDecision mode = effectivePeerAuthn(snapshot, endpoint).forPort(d.targetPort);
  if (mode.mode == config::MtlsMode::kDisable) {
    return {ClientTls::kDisable, std::nullopt,
            fmt::format("auto mTLS: destination {} port {} has mTLS DISABLE ({}), so plaintext",
                        endpoint.qualifiedName(), d.targetPort, mode.reason)};
  }
  return {
      ClientTls::kIstioMutual, std::nullopt,
      fmt::format("auto mTLS: destination {} is in the mesh and port {} accepts mutual TLS ({})",
                  endpoint.qualifiedName(), d.targetPort, config::mtlsModeName(mode.mode))};
}

}  // namespace

std::string_view clientTlsName(ClientTls tls) {
  switch (tls) {
    case ClientTls::kIstioMutual:
      return "ISTIO_MUTUAL";
    case ClientTls::kDisable:
      return "DISABLE";
    case ClientTls::kPassthrough:
      return "PASSTHROUGH";
    case ClientTls::kSimple:
      return "SIMPLE";
    case ClientTls::kMutual:
      return "MUTUAL";
  }
  return "PASSTHROUGH";
}

Destination resolveDestination(const Snapshot& snapshot, std::string_view sourceNamespace,
                               std::string_view host, std::uint16_t port) {
  Destination d;
  d.host = std::string(host);
  d.port = port;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (config::parseIpAddress(host)) {
    if ((d.service = snapshot.serviceByClusterIp(host)) != nullptr) {
      d.type = Destination::Type::kService;
    } else if ((d.endpoint = snapshot.workloadByIp(host)) != nullptr) {
      d.type = Destination::Type::kPod;
      d.endpointCount = 1;
      d.targetPort = port;
      d.endpointAddress = std::string(host);
      return d;
    }
  } else {
    d.service = serviceForHostname(snapshot, sourceNamespace, host);
    if (d.service != nullptr) d.type = Destination::Type::kService;
  }
  if (d.service == nullptr) return d;
  resolveServiceEndpoint(snapshot, d);
  if (d.endpoint != nullptr && !d.endpoint->ips.empty())
    d.endpointAddress = d.endpoint->ips.front();
  return d;
}

const config::DestinationRule* findDestinationRule(const Snapshot& snapshot,
                                                   std::string_view sourceNamespace,
                                                   std::string_view serviceNamespace,
                                                   std::string_view fqdn) {
  const std::string_view order[] = {sourceNamespace, serviceNamespace,
                                    snapshot.mesh().rootNamespace};
  for (std::size_t i = 0; i < 3; ++i) {
    if ((i == 1 && order[1] == order[0]) ||
        (i == 2 && (order[2] == order[0] || order[2] == order[1]))) {
      continue;
    }
    const config::DestinationRule* best = nullptr;
    std::size_t bestScore = 0;
    for (const config::DestinationRule* rule : snapshot.destinationRules(order[i])) {
      const std::size_t score = hostMatchScore(snapshot, *rule, fqdn);
      if (score > bestScore) {  // strict: among equals the oldest (listed first) stays
        best = rule;
        bestScore = score;
      }
    }
    if (best != nullptr) return best;
  }
  return nullptr;
}

ClientTlsDecision clientTlsDecision(const Snapshot& snapshot, const Workload& source,
                                    const Destination& d) {
  if (!source.enrolled) {
    return {ClientTls::kPassthrough, std::nullopt,
            fmt::format("source {} is not in the mesh ({}): no agent touches its traffic",
                        source.qualifiedName(), source.enrollmentReason)};
  }
  if (d.endpoint == nullptr) {
    return {ClientTls::kPassthrough, std::nullopt,
            d.problem.empty()
                ? fmt::format("{} is outside the cluster: passed through unchanged", d.host)
                : d.problem};
  }
  if (d.type == Destination::Type::kService) {
    const config::DestinationRule* rule =
        findDestinationRule(snapshot, source.namespace_, d.service->meta.namespace_, d.serviceFqdn);
    if (rule != nullptr) {
      bool portLevel = false;
      if (std::optional<config::ClientTlsMode> mode = tlsForPort(*rule, d.port, portLevel)) {
        const config::ObjectKey key{config::Kind::kDestinationRule, rule->meta.namespace_,
                                    rule->meta.name};
        std::string reason = fmt::format(
            "{} from {} (host {}{})", config::clientTlsModeName(*mode), config::describe(key),
            rule->host, portLevel ? fmt::format(", portLevelSettings {}", d.port) : "");
        if (*mode == config::ClientTlsMode::kSimple || *mode == config::ClientTlsMode::kMutual) {
          reason += ": TLS origination is not supported by ztls";
        }
        return {fromMode(*mode), key, std::move(reason)};
      }
    }
  }
  return autoMtls(snapshot, d);
}

}  // namespace ztls::policy
