// An immutable view of the cluster state with the indices every per-connection question
// needs (by IP, by namespace, by name). Built once per state change, then shared
// read-only: policy questions are pure functions of (snapshot, question).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ztls/config/model.h"
#include "ztls/config/store.h"

namespace ztls::policy {

struct MeshConfig {
  std::string rootNamespace = "istio-system";
  std::string trustDomain = "cluster.local";
  std::string clusterDomain = "cluster.local";
};

// Istio's enrollment labels for a node (ambient-style) data plane.
inline constexpr std::string_view kDataplaneModeLabel = "istio.io/dataplane-mode";
inline constexpr std::string_view kDataplaneModeAmbient = "ambient";
inline constexpr std::string_view kDataplaneModeNone = "none";

// A Pod, or a Deployment's pod template when the state holds no pods for it (offline
// configs and `explain` work on manifests before anything runs).
struct Workload {
  config::Kind kind = config::Kind::kPod;
  std::string namespace_;
  std::string name;
  config::Labels labels;
  std::string serviceAccount;
  std::vector<config::ContainerPort> ports;
  std::vector<std::string> ips;
  std::string node;
  bool enrolled = false;
  std::string enrollmentReason;
  std::string identity;  // spiffe://<trust-domain>/ns/<ns>/sa/<sa>

  std::string qualifiedName() const { return namespace_ + "/" + name; }
  // Container port by name, for Services whose targetPort is named.
  std::optional<std::uint16_t> portNamed(std::string_view portName) const;
};

using config::selectorMatches;

class Snapshot {
 public:
  static std::shared_ptr<const Snapshot> build(const config::Store::Objects& objects,
                                               MeshConfig mesh);

  const MeshConfig& mesh() const { return mesh_; }

  const config::Namespace* findNamespace(std::string_view name) const;
  // A Pod of that name, else a Deployment of that name.
  const Workload* findWorkload(std::string_view ns, std::string_view name) const;
  const Workload* workloadByIp(std::string_view ip) const;

  const config::Service* findService(std::string_view ns, std::string_view name) const;
  const config::Service* serviceByClusterIp(std::string_view ip) const;
  // Pods the Service selects, or selected Deployments when it selects no Pod.
  std::vector<const Workload*> endpointsOf(const config::Service& service) const;

  // Policies of one namespace, oldest first (creation time, then name).
  const std::vector<const config::PeerAuthentication*>& peerAuthentications(
      std::string_view ns) const;
  const std::vector<const config::DestinationRule*>& destinationRules(std::string_view ns) const;
  const std::vector<const config::AuthorizationPolicy*>& authorizationPolicies(
      std::string_view ns) const;

  std::string identityFor(std::string_view ns, std::string_view serviceAccount) const;

  // Every object the snapshot was built from, by key.
  const config::Store::Objects& objects() const { return objects_; }

 private:
  explicit Snapshot(MeshConfig mesh) : mesh_(std::move(mesh)) {}
  void addWorkload(Workload workload);
  void decideEnrollment(Workload& workload) const;

  template <typename T>
  using ByNamespace = std::map<std::string, std::vector<const T*>, std::less<>>;

  MeshConfig mesh_;
  config::Store::Objects objects_;  // keeps every indexed object alive
  std::vector<std::unique_ptr<Workload>> workloadStorage_;
  std::map<std::string, const config::Namespace*, std::less<>> namespaces_;
  std::map<std::pair<std::string, std::string>, const Workload*> workloadsByName_;
  std::map<std::string, const Workload*, std::less<>> workloadsByIp_;
  ByNamespace<Workload> podsByNamespace_;
  ByNamespace<Workload> deploymentsByNamespace_;
  std::map<std::pair<std::string, std::string>, const config::Service*> services_;
  std::map<std::string, const config::Service*, std::less<>> servicesByClusterIp_;
  ByNamespace<config::PeerAuthentication> peerAuthentications_;
  ByNamespace<config::DestinationRule> destinationRules_;
  ByNamespace<config::AuthorizationPolicy> authorizationPolicies_;
};

}  // namespace ztls::policy
