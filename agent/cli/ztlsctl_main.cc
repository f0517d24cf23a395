// ztlsctl: the node-level CLI that explains what ztls does and why.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/explain.h"
#include "cli/live_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ztlsctl: inspect and explain ztls, the node-level mutual-TLS agent"};
  app.require_subcommand(1);

  ztls::cli::ExplainOptions explain;
  CLI::App* explainCommand = app.add_subcommand(
      "explain", "Explain policy decisions offline from a directory (or file) of manifests");
  explainCommand
      ->add_option("--config", explain.configPath,
                   "Directory or file of Kubernetes/Istio YAML, or - for stdin")
      ->required();
  explainCommand->add_option("--workload", explain.workload,
                             "NAMESPACE/NAME of a Pod or Deployment: effective mTLS mode per port");
  explainCommand->add_option("--port", explain.port, "Only this target (container) port")
      ->check(CLI::Range(1, 65535));
  explainCommand->add_option("--from", explain.from,
                             "NAMESPACE/NAME of the client Pod or Deployment");
  explainCommand->add_option(
      "--to", explain.to, "HOST:PORT as the client dials it: service name, cluster IP or pod IP");
  explainCommand->add_option("-o,--output", explain.output, "table (default) or json");
  explainCommand
      ->add_option("--root-namespace", explain.mesh.rootNamespace,
                   "Istio root namespace (mesh-wide policies)")
      ->capture_default_str();
  explainCommand->add_option("--trust-domain", explain.mesh.trustDomain, "SPIFFE trust domain")
      ->capture_default_str();
  explainCommand
      ->add_option("--cluster-domain", explain.mesh.clusterDomain, "Kubernetes cluster domain")
      ->capture_default_str();

  ztls::cli::LiveOptions live;
  if (const char* socket = std::getenv("ZTLS_AGENT_SOCKET")) live.socket = socket;
  CLI::App* workloadsCommand =
      app.add_subcommand("workloads", "Pods on this node: captured or not, why, identity, modes");
  CLI::App* statusCommand =
      app.add_subcommand("status", "The node agent's health, counters and kernel verdicts");
  statusCommand->add_option("-o,--output", live.output, "table (default) or json");
  CLI::App* connectionsCommand =
      app.add_subcommand("connections", "Connections the node agent relays right now");
  connectionsCommand->add_option("-o,--output", live.output, "table (default) or json");
  CLI::App* certsCommand = app.add_subcommand(
      "certs", "Workload certificates on this node: SPIFFE ID, expiry, rotation");
  certsCommand->add_option("-o,--output", live.output, "table (default) or json");
  CLI::App* policiesCommand = app.add_subcommand(
      "policies", "Security policies the agent enforces and which pods here each governs");
  policiesCommand->add_option("-n,--namespace", live.namespace_, "Only this namespace");
  policiesCommand->add_option("-o,--output", live.output, "table (default) or json");
  for (CLI::App* command :
       {workloadsCommand, statusCommand, connectionsCommand, certsCommand, policiesCommand}) {
    command
        ->add_option("--socket", live.socket, "The node agent's API socket (or ZTLS_AGENT_SOCKET)")
        ->capture_default_str();
  }
  workloadsCommand->add_option("-n,--namespace", live.namespace_, "Only this namespace");
  workloadsCommand->add_option("-o,--output", live.output, "table (default) or json");

  CLI11_PARSE(app, argc, argv);

  if (workloadsCommand->parsed()) return ztls::cli::runWorkloads(live, std::cout, std::cerr);
  if (statusCommand->parsed()) return ztls::cli::runStatus(live, std::cout, std::cerr);
  if (policiesCommand->parsed()) return ztls::cli::runPolicies(live, std::cout, std::cerr);
  if (certsCommand->parsed()) return ztls::cli::runCertificates(live, std::cout, std::cerr);
  if (connectionsCommand->parsed()) {
    return ztls::cli::runConnections(live, std::cout, std::cerr);
  }

  if (explainCommand->parsed()) return ztls::cli::runExplain(explain, std::cout, std::cerr);
  return 2;
}
