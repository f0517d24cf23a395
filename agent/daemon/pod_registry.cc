#include "daemon/pod_registry.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ztls::daemon {

PodRegistry::PodRegistry(std::filesystem::path file) : file_(std::move(file)) {}

void PodRegistry::load() {
  pods_.clear();
  std::ifstream in(file_);
  if (!in) return;
  nlohmann::json saved;
  try {
    saved = nlohmann::json::parse(in);
  } catch (const std::exception& error) {
    spdlog::error("pod registry {} is unreadable ({}); starting empty", file_.string(),
                  error.what());
    return;
  }
  for (const auto& entry : saved.value("pods", nlohmann::json::array())) {
    api::AddPodRequest pod;
    pod.namespace_ = entry.value("namespace", "");
    pod.name = entry.value("name", "");
    pod.uid = entry.value("uid", "");
    pod.containerId = entry.value("containerId", "");
    pod.netnsPath = entry.value("netnsPath", "");
    pod.cgroupPath = entry.value("cgroupPath", "");
    pod.ips = entry.value("ips", std::vector<std::string>{});
    pod.nodeName = entry.value("nodeName", "");
    if (!std::filesystem::exists(pod.netnsPath)) {
      spdlog::info("pod {}/{} is gone (no {}), forgetting it", pod.namespace_, pod.name,
                   pod.netnsPath);
      continue;
    }
    pods_[pod.namespace_ + "/" + pod.name] = pod;
  }
  save();
}

void PodRegistry::add(const api::AddPodRequest& pod) {
  pods_[pod.namespace_ + "/" + pod.name] = pod;
  save();
}

bool PodRegistry::remove(const std::string& ns, const std::string& name) {
  const bool removed = pods_.erase(ns + "/" + name) > 0;
  if (removed) save();
  return removed;
}

std::vector<api::AddPodRequest> PodRegistry::pods() const {
  std::vector<api::AddPodRequest> all;
  for (const auto& [key, pod] : pods_) all.push_back(pod);
  return all;
}

const api::AddPodRequest* PodRegistry::find(const std::string& ns, const std::string& name) const {
  const auto found = pods_.find(ns + "/" + name);
  return found == pods_.end() ? nullptr : &found->second;
}

void PodRegistry::save() const {
  nlohmann::json saved;
  saved["pods"] = nlohmann::json::array();
  for (const auto& [key, pod] : pods_) {
    saved["pods"].push_back({{"namespace", pod.namespace_},
                             {"name", pod.name},
                             {"uid", pod.uid},
                             {"containerId", pod.containerId},
                             {"netnsPath", pod.netnsPath},
                             {"cgroupPath", pod.cgroupPath},
                             {"ips", pod.ips},
                             {"nodeName", pod.nodeName}});
  }
  std::filesystem::create_directories(file_.parent_path());
  const auto temporary = file_.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << saved.dump(2) << '\n';
  }
  std::filesystem::rename(temporary, file_);
}

}  // namespace ztls::daemon
