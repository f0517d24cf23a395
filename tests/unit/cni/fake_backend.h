// An AgentBackend that records what it is asked and answers what the test says.
#pragma once

#include <mutex>
#include <optional>
#include <vector>

#include "ztls/api/backend.h"

namespace ztls::test {

class FakeBackend : public api::AgentBackend {
 public:
  api::AddPodResult addPod(const api::AddPodRequest& request) override {
    std::lock_guard lock(mutex_);
    added.push_back(request);
    if (failure) throw *failure;
    return addResult;
  }
  bool removePod(const api::RemovePodRequest& request) override {
    std::lock_guard lock(mutex_);
    removed.push_back(request);
    if (failure) throw *failure;
    return wasEnrolled;
  }
  std::vector<api::Workload> listWorkloads(const std::string& namespace_) override {
    std::lock_guard lock(mutex_);
    listedNamespaces.push_back(namespace_);
    if (failure) throw *failure;
    std::vector<api::Workload> matching;
    for (const api::Workload& workload : workloads) {
      if (namespace_.empty() || workload.namespace_ == namespace_) matching.push_back(workload);
    }
    return matching;
  }
  api::AgentStatus status() override {
    std::lock_guard lock(mutex_);
    if (failure) throw *failure;
    return agentStatus;
  }
  std::vector<api::CertificateInfo> listCertificates() override {
    std::lock_guard lock(mutex_);
    if (failure) throw *failure;
    return certificates;
  }
  std::vector<api::PolicyInfo> listPolicies(const std::string& namespace_) override {
    std::lock_guard lock(mutex_);
    if (failure) throw *failure;
    std::vector<api::PolicyInfo> matching;
    for (const api::PolicyInfo& policy : policies) {
      if (namespace_.empty() || policy.namespace_ == namespace_) matching.push_back(policy);
    }
    return matching;
  }
  std::vector<api::ConnectionInfo> listConnections() override {
    std::lock_guard lock(mutex_);
    if (failure) throw *failure;
    return connections;
  }

  // Answers; set before the plugin or client runs.
  api::AddPodResult addResult{.enrolled = true,
                              .reason = "namespace foo has istio.io/dataplane-mode=ambient"};
  bool wasEnrolled = true;
  std::vector<api::Workload> workloads;
  api::AgentStatus agentStatus;
  std::vector<api::ConnectionInfo> connections;
  std::vector<api::CertificateInfo> certificates;
  std::vector<api::PolicyInfo> policies;
  std::optional<api::ApiError> failure;

  // Calls seen; read after the plugin or client has returned.
  std::vector<api::AddPodRequest> added;
  std::vector<api::RemovePodRequest> removed;
  std::vector<std::string> listedNamespaces;

 private:
  std::mutex mutex_;
};

}  // namespace ztls::test
