// The cluster state with `kubectl apply` semantics. An apply is all-or-nothing: a load
// result carrying any error changes nothing, so the previous valid state stays in force.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "ztls/config/loader.h"
#include "ztls/config/model.h"

namespace ztls::config {

enum class Change : std::uint8_t { kCreated, kConfigured };

struct ApplyOutcome {
  bool applied = false;
  std::vector<Diagnostic> diagnostics;  // everything the load reported
  std::vector<std::pair<ObjectKey, Change>> changes;
};

class Store {
 public:
  using Clock = std::function<CreationTime()>;
  using Objects = std::map<ObjectKey, std::shared_ptr<const Object>>;

  static CreationTime systemClock();

  explicit Store(Clock clock = &Store::systemClock);

  ApplyOutcome apply(LoadResult loaded);
  bool remove(const ObjectKey& key);

  const Object* find(const ObjectKey& key) const;
  const Objects& objects() const { return objects_; }
  // Bumped by every successful change, so watchers can tell snapshots apart.
  std::uint64_t generation() const { return generation_; }

 private:
  CreationTime nextCreationTime();

  Clock clock_;
  Objects objects_;
  CreationTime lastAssigned_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace ztls::config
