// A cluster state built from YAML for policy tests, with a clock that advances one
// second per object so "oldest wins" follows apply order.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ztls/config/store.h"
#include "ztls/policy/connection_decision.h"
#include "ztls/policy/snapshot.h"

namespace ztls::testing {

class TestCluster {
 public:
  explicit TestCluster(policy::MeshConfig mesh = {});

  // Applies like `kubectl apply -n ns -f -`; a failed apply fails the test.
  void apply(std::string_view yaml, std::string_view ns = "");
  void applyFile(std::string_view pathInRepo, std::string_view ns = "");
  config::ApplyOutcome tryApply(std::string_view yaml, std::string_view ns = "");
  void remove(config::Kind kind, std::string_view ns, std::string_view name);
  void createNamespace(std::string_view name, const config::Labels& labels = {});

  // foo and bar in the mesh (the walkthrough's sidecar injection becomes the ambient
  // label), legacy outside; httpbin and sleep in each, httpbin in legacy optional.
  void deployWalkthrough(bool httpbinInLegacy = true);

  const policy::Snapshot& snapshot();
  const policy::Workload& workload(std::string_view ns, std::string_view name);
  policy::ConnectionDecision connect(std::string_view fromNs, std::string_view fromName,
                                     std::string_view host, std::uint16_t port);
  // "200" when the walkthrough's curl would get through, "000" when it would not.
  std::string curlStatus(std::string_view fromNs, std::string_view toNs);
  // The walkthrough's probe loop, printed as it prints it.
  std::string probeMatrix(std::initializer_list<std::string_view> from,
                          std::initializer_list<std::string_view> to);

 private:
  policy::MeshConfig mesh_;
  config::CreationTime now_;
  config::Store store_;
  std::uint64_t snapshotGeneration_ = ~0ULL;
  std::shared_ptr<const policy::Snapshot> snapshot_;
};

std::string readRepoFile(std::string_view pathInRepo);

}  // namespace ztls::testing
