#include "cli/live_commands.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "ztls/api/client.h"
#include "ztls/api/endpoint_json.h"

namespace ztls::cli {
namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : separator) + item;
  return joined;
}

void printTable(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  }
}

bool validOutput(const LiveOptions& options, std::ostream& err) {
  if (options.output.empty() || options.output == "table" || options.output == "json") return true;
  err << "error: -o must be table or json, not " << options.output << '\n';
  return false;
}

}  // namespace

int runWorkloads(const LiveOptions& options, std::ostream& out, std::ostream& err) {
  if (!validOutput(options, err)) return 2;
  try {
    api::AgentClient client(options.socket);
    auto workloads = client.listWorkloads(options.namespace_);
    std::sort(workloads.begin(), workloads.end(), [](const auto& a, const auto& b) {
      return std::tie(a.namespace_, a.name) < std::tie(b.namespace_, b.name);
    });
    if (options.output == "json") {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& workload : workloads) {
        nlohmann::json ports = nlohmann::json::array();
        for (const auto& port : workload.ports)
          ports.push_back({{"port", port.port}, {"mode", port.mode}});
        list.push_back({{"namespace", workload.namespace_},
                        {"name", workload.name},
                        {"serviceAccount", workload.serviceAccount},
                        {"ips", workload.ips},
                        {"node", workload.nodeName},
                        {"captured", workload.enrolled},
                        {"reason", workload.enrollmentReason},
                        {"identity", workload.identity.empty() ? nlohmann::json(nullptr)
                                                               : nlohmann::json(workload.identity)},
                        {"netns", workload.netnsPath},
                        {"ports", ports}});
      }
      out << nlohmann::json{{"workloads", list}}.dump(2) << '\n';
      return 0;
    }
    std::vector<std::vector<std::string>> rows{
        {"NAMESPACE", "NAME", "IP", "NODE", "CAPTURED", "IDENTITY", "PORTS", "WHY"}};
    for (const auto& workload : workloads) {
      std::vector<std::string> ports;
      for (const auto& port : workload.ports)
        ports.push_back(fmt::format("{}:{}", port.port, port.mode));
      rows.push_back({workload.namespace_, workload.name, join(workload.ips, ","),
                      workload.nodeName, workload.enrolled ? "yes" : "no",
                      workload.identity.empty() ? "-" : workload.identity,
                      ports.empty() ? "-" : join(ports, ","), workload.enrollmentReason});
    }
    printTable(rows, out);
    return 0;
  } catch (const std::exception& error) {
    err << "error: " << error.what() << '\n';
    return 1;
  }
}

namespace {

std::string endpointText(const api::ConnectionEndpoint& endpoint) {
  std::string text = endpoint.workload.empty() ? endpoint.address
                                               : endpoint.workload + " (" + endpoint.address + ")";
  if (!endpoint.identity.empty()) text += " " + endpoint.identity;
  return text;
}

}  // namespace

int runConnections(const LiveOptions& options, std::ostream& out, std::ostream& err) {
  if (!validOutput(options, err)) return 2;
  try {
    api::AgentClient client(options.socket);
    const auto connections = client.listConnections();
    if (options.output == "json") {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& connection : connections) {
        list.push_back({{"id", connection.id},
                        {"direction", connection.direction},
                        {"source", api::toJson(connection.source)},
                        {"destination", api::toJson(connection.destination)},
                        {"security", connection.security},
                        {"bytesSent", connection.bytesSent},
                        {"bytesReceived", connection.bytesReceived},
                        {"decision", connection.decision},
                        {"reason", connection.reason},
                        {"ageMs", connection.ageMs},
                        {"relay", connection.relay}});
      }
      out << nlohmann::json{{"connections", list}}.dump(2) << '\n';
      return 0;
    }
    std::vector<std::vector<std::string>> rows{{"ID", "DIRECTION", "SOURCE", "DESTINATION",
                                                "SECURITY", "RELAY", "SENT", "RECEIVED", "AGE",
                                                "REASON"}};
    for (const auto& connection : connections) {
      rows.push_back({std::to_string(connection.id), connection.direction,
                      endpointText(connection.source), endpointText(connection.destination),
                      connection.security, connection.relay, std::to_string(connection.bytesSent),
                      std::to_string(connection.bytesReceived),
                      fmt::format("{:.1f}s", static_cast<double>(connection.ageMs) / 1000.0),
                      connection.reason});
    }
    printTable(rows, out);
    return 0;
  } catch (const std::exception& error) {
    err << "error: " << error.what() << '\n';
    return 1;
  }
}

int runCertificates(const LiveOptions& options, std::ostream& out, std::ostream& err) {
  if (!validOutput(options, err)) return 2;
  const auto utc = [](std::int64_t unixSeconds) {
    const std::time_t seconds = unixSeconds;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buffer);
  };
  try {
    api::AgentClient client(options.socket);
    const auto certificates = client.listCertificates();
    if (options.output == "json") {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& certificate : certificates) {
        list.push_back({{"spiffeId", certificate.spiffeId},
                        {"serial", certificate.serial},
                        {"notBefore", utc(certificate.notBeforeUnix)},
                        {"notAfter", utc(certificate.notAfterUnix)},
                        {"nextRotation", utc(certificate.renewAtUnix)},
                        {"rootFingerprint", certificate.rootFingerprint}});
      }
      out << nlohmann::json{{"certificates", list}}.dump(2) << '\n';
      return 0;
    }
    std::vector<std::vector<std::string>> rows{
        {"SPIFFE ID", "SERIAL", "EXPIRES", "NEXT ROTATION", "ROOT SHA-256"}};
    for (const auto& certificate : certificates) {
      rows.push_back({certificate.spiffeId, certificate.serial.substr(0, 16),
                      utc(certificate.notAfterUnix), utc(certificate.renewAtUnix),
                      certificate.rootFingerprint.substr(0, 16)});
    }
    printTable(rows, out);
    return 0;
  } catch (const std::exception& error) {
    err << "error: " << error.what() << '\n';
    return 1;
  }
}

int runPolicies(const LiveOptions& options, std::ostream& out, std::ostream& err) {
  if (!validOutput(options, err)) return 2;
  try {
    api::AgentClient client(options.socket);
    const auto policies = client.listPolicies(options.namespace_);
    if (options.output == "json") {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& policy : policies) {
        list.push_back({{"kind", policy.kind},
                        {"namespace", policy.namespace_},
                        {"name", policy.name},
                        {"scope", policy.scope},
                        {"settings", policy.settings},
                        {"workloads", policy.workloads},
                        {"note", policy.note.empty() ? nlohmann::json(nullptr)
                                                     : nlohmann::json(policy.note)}});
      }
      out << nlohmann::json{{"policies", list}}.dump(2) << '\n';
      return 0;
    }
    if (policies.empty()) {
      out << "No security policies: every port is PERMISSIVE and auto mutual TLS decides.\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows{
        {"NAMESPACE", "KIND", "NAME", "SCOPE", "SETTINGS", "WORKLOADS HERE", "NOTE"}};
    for (const auto& policy : policies) {
      rows.push_back({policy.namespace_, policy.kind, policy.name, policy.scope, policy.settings,
                      policy.workloads.empty() ? "-" : join(policy.workloads, ","),
                      policy.note.empty() ? "-" : policy.note});
    }
    printTable(rows, out);
    return 0;
  } catch (const std::exception& error) {
    err << "error: " << error.what() << '\n';
    return 1;
  }
}

int runStatus(const LiveOptions& options, std::ostream& out, std::ostream& err) {
  if (!validOutput(options, err)) return 2;
  try {
    api::AgentClient client(options.socket);
    const api::AgentStatus status = client.status();
    if (options.output == "json") {
      out << nlohmann::json{{"node", status.nodeName},
                            {"version", status.version},
                            {"uptimeSeconds", status.uptimeSeconds},
                            {"configGeneration", status.configGeneration},
                            {"enrolledPods", status.enrolledPods},
                            {"connections",
                             {{"opened", status.connections.opened},
                              {"active", status.connections.active},
                              {"closed", status.connections.closed},
                              {"bytesInbound", status.connections.bytesInbound},
                              {"bytesOutbound", status.connections.bytesOutbound},
                              {"errors", status.connections.errors}}},
                            {"kernelVerdicts", status.bpfVerdicts},
                            {"kernelTls",
                             {{"state", status.kernelTls.state},
                              {"ciphers", status.kernelTls.ciphers},
                              {"detail", status.kernelTls.detail},
                              {"handoffs", status.kernelTls.handoffs},
                              {"fallbacks", status.kernelTls.fallbacks},
                              {"takenOver", status.kernelTls.takenOver}}},
                            {"problems", status.problems}}
                 .dump(2)
          << '\n';
      return 0;
    }
    out << fmt::format("node:               {}\n", status.nodeName);
    out << fmt::format("agent:              ztls-agent {} up {}s, config generation {}\n",
                       status.version, status.uptimeSeconds, status.configGeneration);
    out << fmt::format("captured pods:      {}\n", status.enrolledPods);
    out << fmt::format("connections:        {} opened, {} active, {} closed, {} failed\n",
                       status.connections.opened, status.connections.active,
                       status.connections.closed, status.connections.errors);
    out << fmt::format("bytes relayed:      {} inbound, {} outbound\n",
                       status.connections.bytesInbound, status.connections.bytesOutbound);
    const api::KernelTlsStatus& kernelTls = status.kernelTls;
    out << fmt::format("kernel TLS:         {}", kernelTls.state);
    if (!kernelTls.ciphers.empty())
      out << " (" << fmt::format("{}", fmt::join(kernelTls.ciphers, ", ")) << ")";
    if (!kernelTls.detail.empty()) out << ": " << kernelTls.detail;
    out << '\n';
    std::uint64_t fallbacks = 0;
    for (const auto& [reason, count] : kernelTls.fallbacks) fallbacks += count;
    out << fmt::format(
        "                    {} sessions handed to the kernel, {} kept in userspace\n",
        kernelTls.handoffs, fallbacks);
    for (const auto& [reason, count] : kernelTls.fallbacks) {
      out << fmt::format("  {:<28}{}\n", reason, count);
    }
    if (kernelTls.takenOver > 0) {
      out << fmt::format("                    {} connections taken over from the previous agent\n",
                         kernelTls.takenOver);
    }
    out << "kernel verdicts:\n";
    for (const auto& [reason, count] : status.bpfVerdicts) {
      out << fmt::format("  {:<28}{}\n", reason, count);
    }
    out << "problems:           " << (status.problems.empty() ? "none" : "") << '\n';
    for (const auto& problem : status.problems) out << "  - " << problem << '\n';
    return 0;
  } catch (const std::exception& error) {
    err << "error: " << error.what() << '\n';
    return 1;
  }
}

}  // namespace ztls::cli
