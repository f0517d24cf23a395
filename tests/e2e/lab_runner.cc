#include "lab_runner.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace ztls::e2e {

Outcome shell(const std::string& script) {
  Outcome outcome;
  FILE* pipe = popen(("exec 2>&1; " + script).c_str(), "r");
  if (pipe == nullptr) return outcome;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    outcome.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  outcome.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

Outcome Lab::run(const std::string& arguments) const {
  return shell(std::string(ZTLS_LAB_PATH) + " --cluster " + cluster_ + " " + arguments);
}

std::string Lab::must(const std::string& arguments) const {
  const Outcome outcome = run(arguments);
  if (outcome.exitCode != 0) {
    ADD_FAILURE() << "ztls-lab " << arguments << " exited " << outcome.exitCode << ":\n"
                  << outcome.output;
  }
  return outcome.output;
}

std::pair<std::string, int> Lab::curlStatus(const std::string& from, const std::string& to) const {
  const std::string lab = std::string(ZTLS_LAB_PATH) + " --cluster " + cluster_;
  // The walkthrough's own command line, with kubectl replaced.
  const Outcome outcome = shell(
      lab + " exec $(" + lab + " get pod -l app=sleep -n " + from +
      " -o jsonpath={.items..metadata.name}) -c sleep -n " + from + " -- curl http://httpbin." +
      to + ":8000/ip -s -o /dev/null --max-time 10 -w '%{http_code}' 2>/dev/null");
  return {outcome.output, outcome.exitCode};
}

std::string Lab::agentSocket(const std::string& node) const {
  return "/run/ztls-lab/" + cluster_ + "/nodes/" + node + "/agent.sock";
}

nlohmann::json Lab::agentStatus(const std::string& node) const {
  const Outcome outcome =
      shell(std::string(ZTLSCTL_PATH) + " status -o json --socket " + agentSocket(node));
  if (outcome.exitCode != 0) {
    ADD_FAILURE() << "ztlsctl status on " << node << " failed: " << outcome.output;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(outcome.output);
}

nlohmann::json Lab::agentConnections(const std::string& node) const {
  const Outcome outcome =
      shell(std::string(ZTLSCTL_PATH) + " connections -o json --socket " + agentSocket(node));
  if (outcome.exitCode != 0) {
    ADD_FAILURE() << "ztlsctl connections on " << node << " failed: " << outcome.output;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(outcome.output);
}

nlohmann::json Lab::agentWorkloads(const std::string& node) const {
  const Outcome outcome =
      shell(std::string(ZTLSCTL_PATH) + " workloads -o json --socket " + agentSocket(node));
  if (outcome.exitCode != 0) {
    ADD_FAILURE() << "ztlsctl workloads on " << node << " failed: " << outcome.output;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(outcome.output);
}

}  // namespace ztls::e2e
