#include "mesh_membership.h"

#include "ztls/config/loader.h"
#include "ztls/config/store.h"
#include "ztls/policy/snapshot.h"

namespace ztls::cni {

MembershipVerdict meshMembership(const std::filesystem::path& clusterConfig,
                                 const std::string& namespace_, const std::string& name) {
  config::LoadResult loaded = config::loadPath(clusterConfig, {});
  if (!loaded.ok()) {
    return {false, "the cluster config at " + clusterConfig.string() + " does not load"};
  }
  config::Store store;
  store.apply(std::move(loaded));
  const auto snapshot = policy::Snapshot::build(store.objects(), {});
  const policy::Workload* workload = snapshot->findWorkload(namespace_, name);
  if (workload == nullptr || workload->kind != config::Kind::kPod) {
    return {false, "pod " + namespace_ + "/" + name + " is not in the cluster config"};
  }
  if (workload->enrolled) return {false, workload->enrollmentReason};
  return {true, workload->enrollmentReason};
}

}  // namespace ztls::cni
