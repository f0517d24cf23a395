// Typed access to a node agent's API socket, for ztls-cni and ztlsctl.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ztls/api/error.h"
#include "ztls/api/types.h"

namespace ztls::api {

struct ClientOptions {
  std::chrono::milliseconds connectTimeout{2000};
  std::chrono::milliseconds callTimeout{10000};
};

// Every failure is an ApiError (a std::runtime_error) whose message names the socket and
// says what to check, e.g. "cannot reach the ztls agent at /run/ztls/agent.sock:
// connection refused — is ztls-agent running?".
class AgentClient {
 public:
  // `target` is "unix:/path" or a plain absolute path. Connects before returning.
  explicit AgentClient(const std::string& target, ClientOptions options = {});
  ~AgentClient();
  AgentClient(AgentClient&&) noexcept;
  AgentClient& operator=(AgentClient&&) noexcept;

  const std::string& socketPath() const;

  AddPodResult addPod(const AddPodRequest& request);
  bool removePod(const RemovePodRequest& request);
  std::vector<Workload> listWorkloads(const std::string& namespace_ = "");
  AgentStatus status();
  std::vector<ConnectionInfo> listConnections();
  std::vector<CertificateInfo> listCertificates();
  std::vector<PolicyInfo> listPolicies(const std::string& namespace_);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ztls::api
