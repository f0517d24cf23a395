#include <fmt/format.h>

#include "cli/explain.h"

namespace ztls::cli {

namespace {

using nlohmann::json;

json modeJson(const policy::ModeDecision& decision, bool enforced) {
  json result{
      {"mode", config::mtlsModeName(decision.mode)},
      {"level", policy::policyLevelName(decision.level)},
      {"reason", enforced ? decision.reason
                          : decision.reason + " (not enforced: the workload is not in the mesh)"}};
  result["policy"] =
      decision.decidedBy ? json(config::describe(*decision.decidedBy)) : json(nullptr);
  return result;
}

// Only workloads in the mesh present an identity on the wire.
json identityJson(const policy::Workload& workload) {
  return workload.enrolled ? json(workload.identity) : json(nullptr);
}

json endpointJson(const policy::Destination& d) {
  if (d.endpoint == nullptr) return nullptr;
  return json{{"workload", d.endpoint->qualifiedName()},
              {"kind", config::kindName(d.endpoint->kind)},
              {"address", d.endpointAddress.empty() ? json(nullptr) : json(d.endpointAddress)},
              {"targetPort", d.targetPort},
              {"enrolled", d.endpoint->enrolled},
              {"identity", identityJson(*d.endpoint)}};
}

std::string destinationType(policy::Destination::Type type) {
  switch (type) {
    case policy::Destination::Type::kService:
      return "service";
    case policy::Destination::Type::kPod:
      return "pod";
    case policy::Destination::Type::kExternal:
      return "external";
  }
  return "external";
}

void row(std::ostream& out, std::string_view label, std::string_view value) {
  out << fmt::format("{:<13}{}\n", label, value);
}

}  // namespace

json workloadJson(const policy::Snapshot& snapshot, const policy::Workload& workload,
                  std::optional<std::uint16_t> onlyPort) {
  const policy::EffectivePeerAuthn effective = policy::effectivePeerAuthn(snapshot, workload);
  json ports = json::array();
  std::vector<std::uint16_t> listed;
  if (onlyPort) {
    listed.push_back(*onlyPort);
  } else {
    for (const config::ContainerPort& port : workload.ports) listed.push_back(port.port);
  }
  for (std::uint16_t port : listed) {
    json entry = modeJson(effective.forPort(port), workload.enrolled);
    entry["port"] = port;
    ports.push_back(std::move(entry));
  }
  return json{{"workload", workload.qualifiedName()},
              {"kind", config::kindName(workload.kind)},
              {"enrolled", workload.enrolled},
              {"enrollment", workload.enrollmentReason},
              {"identity", workload.identity},
              {"ports", std::move(ports)},
              {"default", modeJson(effective.fallback, workload.enrolled)}};
}

json connectionJson(const policy::ConnectionDecision& decision) {
  const policy::Workload& source = *decision.source;
  const policy::Destination& d = decision.destination;
  json destination{
      {"host", d.host},
      {"port", d.port},
      {"type", destinationType(d.type)},
      {"service",
       d.service ? json(d.service->meta.namespace_ + "/" + d.service->meta.name) : json(nullptr)},
      {"endpoint", endpointJson(d)}};
  if (d.endpointCount > 1) destination["endpointCount"] = d.endpointCount;
  json server{
      {"mode", decision.server ? std::string(config::mtlsModeName(decision.server->mode)) : "NONE"},
      {"reason", decision.serverReason}};
  if (decision.server) {
    server["level"] = policy::policyLevelName(decision.server->level);
    server["policy"] = decision.server->decidedBy
                           ? json(config::describe(*decision.server->decidedBy))
                           : json(nullptr);
  }
  json verdict{{"decision", decision.allowed ? "allow" : "deny"}, {"reason", decision.reason}};
  if (decision.authorization) {
    const policy::AuthzVerdict& authz = *decision.authorization;
    json audits = json::array();
    for (const config::ObjectKey& key : authz.auditMatches) audits.push_back(config::describe(key));
    verdict["authorization"] =
        json{{"allowed", authz.allowed},
             {"reason", authz.reason},
             {"policy",
              authz.decidingPolicy ? json(config::describe(*authz.decidingPolicy)) : json(nullptr)},
             {"audit", std::move(audits)}};
  }
  return json{
      {"source",
       {{"workload", source.qualifiedName()},
        {"enrolled", source.enrolled},
        {"identity", identityJson(source)},
        {"address", source.ips.empty() ? json(nullptr) : json(source.ips.front())}}},
      {"destination", std::move(destination)},
      {"client",
       {{"tls", policy::clientTlsName(decision.client.tls)},
        {"reason", decision.client.reason},
        {"policy", decision.client.decidedBy ? json(config::describe(*decision.client.decidedBy))
                                             : json(nullptr)}}},
      {"server", std::move(server)},
      {"security", decision.mutualTls() ? "mutual_tls" : "plaintext"},
      {"verdict", std::move(verdict)}};
}

void printWorkloadTable(const json& w, std::ostream& out) {
  row(out, "WORKLOAD",
      fmt::format("{} ({})", w["workload"].get<std::string>(), w["kind"].get<std::string>()));
  row(out, "ENROLLED",
      fmt::format("{}: {}", w["enrolled"].get<bool>() ? "yes" : "no",
                  w["enrollment"].get<std::string>()));
  row(out, "IDENTITY", w["identity"].get<std::string>());
  out << "\n" << fmt::format("{:<8}{:<12}{}\n", "PORT", "MODE", "REASON");
  for (const json& port : w["ports"]) {
    out << fmt::format("{:<8}{:<12}{}\n", port["port"].get<int>(), port["mode"].get<std::string>(),
                       port["reason"].get<std::string>());
  }
  const json& fallback = w["default"];
  out << fmt::format("{:<8}{:<12}{}\n", "other", fallback["mode"].get<std::string>(),
                     fallback["reason"].get<std::string>());
}

void printConnectionTable(const json& c, std::ostream& out) {
  const json& source = c["source"];
  row(out, "SOURCE",
      fmt::format("{} ({})", source["workload"].get<std::string>(),
                  source["enrolled"].get<bool>() ? source["identity"].get<std::string>()
                                                 : "not in the mesh, no identity"));
  const json& d = c["destination"];
  std::string target = fmt::format("{}:{}", d["host"].get<std::string>(), d["port"].get<int>());
  if (!d["service"].is_null())
    target += fmt::format(" -> Service {}", d["service"].get<std::string>());
  if (!d["endpoint"].is_null()) {
    const json& e = d["endpoint"];
    target += fmt::format(" -> {} {} port {}", e["kind"].get<std::string>(),
                          e["workload"].get<std::string>(), e["targetPort"].get<int>());
    target += e["enrolled"].get<bool>() ? " (in the mesh)" : " (not in the mesh)";
  }
  row(out, "DESTINATION", target);
  row(out, "CLIENT",
      fmt::format("{}: {}", c["client"]["tls"].get<std::string>(),
                  c["client"]["reason"].get<std::string>()));
  row(out, "SERVER",
      fmt::format("{}: {}", c["server"]["mode"].get<std::string>(),
                  c["server"]["reason"].get<std::string>()));
  row(out, "SECURITY", c["security"].get<std::string>());
  row(out, "VERDICT",
      fmt::format("{}: {}", c["verdict"]["decision"].get<std::string>(),
                  c["verdict"]["reason"].get<std::string>()));
}

}  // namespace ztls::cli
