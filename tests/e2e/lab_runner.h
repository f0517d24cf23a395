// Runs the real lab and CLI binaries for the end-to-end tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ztls::e2e {

struct Outcome {
  int exitCode = -1;
  std::string output;  // stdout and stderr together, in order
};

// `sh -c script`; the script sees ZTLS_LAB_CLUSTER set to the test's cluster.
Outcome shell(const std::string& script);

class Lab {
 public:
  explicit Lab(std::string cluster) : cluster_(std::move(cluster)) {}
  const std::string& cluster() const { return cluster_; }

  // ztls-lab with these arguments (already shell-quoted where needed).
  Outcome run(const std::string& arguments) const;
  // Fails the current test (ADD_FAILURE) with the output when the exit code is not 0.
  std::string must(const std::string& arguments) const;

  // The HTTP status curl gets from sleep in `from` for http://httpbin.<to>:8000/ip, or
  // "000" when the connection failed, plus curl's exit code.
  std::pair<std::string, int> curlStatus(const std::string& from, const std::string& to) const;

  std::string agentSocket(const std::string& node) const;
  nlohmann::json agentStatus(const std::string& node) const;
  nlohmann::json agentWorkloads(const std::string& node) const;
  nlohmann::json agentConnections(const std::string& node) const;

 private:
  std::string cluster_;
};

}  // namespace ztls::e2e
