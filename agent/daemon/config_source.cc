#include "daemon/config_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ztls/config/loader.h"
#include "ztls/config/store.h"

namespace ztls::daemon {

ConfigSource::ConfigSource(std::filesystem::path directory, policy::MeshConfig mesh)
    : directory_(std::move(directory)), mesh_(std::move(mesh)) {
  config::Store empty;
  snapshot_ = policy::Snapshot::build(empty.objects(), mesh_);
}

std::string ConfigSource::fingerprint() const {
  std::string print;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory_, error)) {
    if (!entry.is_regular_file(error)) continue;
    const auto modified = entry.last_write_time(error).time_since_epoch().count();
    print += fmt::format("{}:{}:{};", entry.path().string(), entry.file_size(error), modified);
  }
  return print;
}

bool ConfigSource::refresh(bool force) {
  std::lock_guard lock(mutex_);
  const std::string current = fingerprint();
  if (!force && current == fingerprint_) return false;
  fingerprint_ = current;
  config::LoadResult loaded = config::loadPath(directory_, {});
  if (!loaded.ok()) {
    std::string errors;
    for (const auto& diagnostic : loaded.errors()) errors += diagnostic.format() + "; ";
    if (errors != lastError_)
      spdlog::error("config {} rejected, keeping the previous snapshot: {}", directory_.string(),
                    errors);
    lastError_ = errors;
    return false;
  }
  config::Store store;
  store.apply(std::move(loaded));
  snapshot_ = policy::Snapshot::build(store.objects(), mesh_);
  ++generation_;
  lastError_.clear();
  spdlog::info("config generation {} loaded from {}", generation_, directory_.string());
  return true;
}

std::shared_ptr<const policy::Snapshot> ConfigSource::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::uint64_t ConfigSource::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

std::string ConfigSource::lastError() const {
  std::lock_guard lock(mutex_);
  return lastError_;
}

}  // namespace ztls::daemon
