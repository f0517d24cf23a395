#include "ztls/config/store.h"

#include <chrono>

namespace ztls::config {

CreationTime Store::systemClock() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Store::Store(Clock clock) : clock_(std::move(clock)) {}

// Strictly increasing even when the clock stands still, so objects applied together
// (one file, one directory) keep their order for "oldest wins".
CreationTime Store::nextCreationTime() {
  const CreationTime now = clock_();
  lastAssigned_ = now > lastAssigned_ ? now : lastAssigned_ + 1;
  return lastAssigned_;
}

ApplyOutcome Store::apply(LoadResult loaded) {
  ApplyOutcome outcome;
  const bool valid = loaded.ok();
  outcome.diagnostics = std::move(loaded.diagnostics);
  if (!valid) return outcome;
  for (Object& object : loaded.objects) {
    ObjectKey key = keyOf(object);
    ObjectMeta& meta = metaOf(object);
    auto existing = objects_.find(key);
    const bool isNew = existing == objects_.end();
    if (meta.declaredCreation) {
      meta.creation = *meta.declaredCreation;
    } else if (!isNew) {
      meta.creation = metaOf(*existing->second).creation;
    } else {
      meta.creation = nextCreationTime();
    }
    outcome.changes.emplace_back(key, isNew ? Change::kCreated : Change::kConfigured);
    objects_[std::move(key)] = std::make_shared<const Object>(std::move(object));
  }
  outcome.applied = true;
  if (!outcome.changes.empty()) ++generation_;
  return outcome;
}

bool Store::remove(const ObjectKey& key) {
  if (objects_.erase(key) == 0) return false;
  ++generation_;
  return true;
}

const Object* Store::find(const ObjectKey& key) const {
  auto found = objects_.find(key);
  return found == objects_.end() ? nullptr : found->second.get();
}

}  // namespace ztls::config
