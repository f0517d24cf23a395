// `ztlsctl explain`: answers policy questions offline from a directory of manifests.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "ztls/policy/connection_decision.h"
#include "ztls/policy/snapshot.h"

namespace ztls::cli {

struct ExplainOptions {
  std::string configPath;
  std::string workload;  // NS/NAME
  std::optional<std::uint16_t> port;
  std::string from;  // NS/NAME
  std::string to;    // HOST:PORT
  std::string output = "table";
  policy::MeshConfig mesh;
};

// Runs the command; returns the process exit code. Diagnostics go to err.
int runExplain(const ExplainOptions& options, std::ostream& out, std::ostream& err);

nlohmann::json workloadJson(const policy::Snapshot& snapshot, const policy::Workload& workload,
                            std::optional<std::uint16_t> onlyPort);
nlohmann::json connectionJson(const policy::ConnectionDecision& decision);
void printWorkloadTable(const nlohmann::json& workload, std::ostream& out);
void printConnectionTable(const nlohmann::json& connection, std::ostream& out);

}  // namespace ztls::cli
