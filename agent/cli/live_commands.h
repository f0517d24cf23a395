// ztlsctl commands that ask the live node agent over its API socket.
#pragma once

#include <ostream>
#include <string>

namespace ztls::cli {

struct LiveOptions {
  std::string socket = "/run/ztls/agent.sock";
  std::string output;      // "" (table) or json
  std::string namespace_;  // workloads, policies: only this namespace
};

int runWorkloads(const LiveOptions& options, std::ostream& out, std::ostream& err);
int runConnections(const LiveOptions& options, std::ostream& out, std::ostream& err);
int runCertificates(const LiveOptions& options, std::ostream& out, std::ostream& err);
int runPolicies(const LiveOptions& options, std::ostream& out, std::ostream& err);
int runStatus(const LiveOptions& options, std::ostream& out, std::ostream& err);

}  // namespace ztls::cli
