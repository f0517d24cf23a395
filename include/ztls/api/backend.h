// What the agent core implements to be served over the API socket.
#pragma once

#include <string>
#include <vector>

#include "ztls/api/error.h"
#include "ztls/api/types.h"

namespace ztls::api {

// Called concurrently from the server's worker threads: implementations must be
// thread-safe. Throw ApiError to pick the status the caller sees; any other exception
// reaches the caller as kInternal with its what() text.
class AgentBackend {
 public:
  virtual ~AgentBackend() = default;

  virtual AddPodResult addPod(const AddPodRequest& request) = 0;
  // Returns whether the pod was enrolled; must succeed for a pod it never saw.
  virtual bool removePod(const RemovePodRequest& request) = 0;
  // An empty namespace lists every namespace.
  virtual std::vector<Workload> listWorkloads(const std::string& namespace_) = 0;
  virtual AgentStatus status() = 0;
  virtual std::vector<ConnectionInfo> listConnections() = 0;
  virtual std::vector<CertificateInfo> listCertificates() = 0;
  // An empty namespace lists every namespace.
  virtual std::vector<PolicyInfo> listPolicies(const std::string& namespace_) = 0;
};

}  // namespace ztls::api
