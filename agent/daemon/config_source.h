// The agent's view of the control plane in standalone mode: a directory of Kubernetes
// and Istio YAML (the lab writes it; a real node would get the same objects over xDS).
// Every successful load becomes one immutable policy snapshot; a load with errors keeps
// the previous snapshot and is reported, never half-applied.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "ztls/policy/snapshot.h"

namespace ztls::daemon {

class ConfigSource {
 public:
  ConfigSource(std::filesystem::path directory, policy::MeshConfig mesh);

  // Reloads when any file changed since the last look (or always with force). Returns
  // true when a new snapshot was published.
  bool refresh(bool force = false);

  std::shared_ptr<const policy::Snapshot> snapshot() const;
  std::uint64_t generation() const;
  // Empty when the last load succeeded.
  std::string lastError() const;

 private:
  std::string fingerprint() const;

  std::filesystem::path directory_;
  policy::MeshConfig mesh_;
  mutable std::mutex mutex_;
  std::string fingerprint_;
  std::shared_ptr<const policy::Snapshot> snapshot_;
  std::uint64_t generation_ = 0;
  std::string lastError_;
};

}  // namespace ztls::daemon
