#include "lab/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "lab/system.h"

namespace ztls::lab {

ObjectRecord* LabState::findObject(const std::string& kind, const std::string& ns,
                                   const std::string& name) {
  for (auto& object : objects) {
    if (object.kind == kind && object.namespace_ == ns && object.name == name) return &object;
  }
  return nullptr;
}

const NodeState* LabState::findNode(const std::string& name) const {
  for (const auto& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

namespace {

nlohmann::json labelChanges(const PodState& pod) {
  nlohmann::json changes = nlohmann::json::object();
  for (const auto& [label, value] : pod.labelChanges) {
    changes[label] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  }
  return changes;
}

}  // namespace

bool stateExists(const LabPaths& paths) { return std::filesystem::exists(paths.stateFile()); }

LabState loadState(const LabPaths& paths) {
  if (!stateExists(paths)) {
    throw std::runtime_error("lab cluster \"" + paths.cluster +
                             "\" is not up; run `ztls-lab up` first");
  }
  const auto json = nlohmann::json::parse(readFile(paths.stateFile()));
  LabState state;
  state.cluster = json.at("cluster").get<std::string>();
  state.nextServiceAddress = json.at("nextServiceAddress").get<int>();
  for (const auto& node : json.at("nodes")) {
    state.nodes.push_back({node.at("name").get<std::string>(), node.at("index").get<int>(),
                           node.at("agentPid").get<pid_t>(),
                           node.value("kernelTls", std::string("auto"))});
  }
  for (const auto& object : json.at("objects")) {
    state.objects.push_back(
        {object.at("kind").get<std::string>(), object.at("namespace").get<std::string>(),
         object.at("name").get<std::string>(), object.at("yaml").get<std::string>()});
  }
  for (const auto& pod : json.at("pods")) {
    PodState entry;
    entry.namespace_ = pod.at("namespace").get<std::string>();
    entry.name = pod.at("name").get<std::string>();
    entry.node = pod.at("node").get<std::string>();
    entry.owner = pod.at("owner").get<std::string>();
    entry.templateHash = pod.at("templateHash").get<std::string>();
    entry.containerId = pod.at("containerId").get<std::string>();
    entry.ip = pod.at("ip").get<std::string>();
    entry.pids = pod.at("pids").get<std::vector<pid_t>>();
    entry.created = pod.at("created").get<long long>();
    const nlohmann::json labelChanges = pod.value("labelChanges", nlohmann::json::object());
    for (const auto& [label, value] : labelChanges.items()) {
      entry.labelChanges[label] =
          value.is_null() ? std::nullopt : std::optional(value.get<std::string>());
    }
    state.pods.emplace(entry.key(), entry);
  }
  return state;
}

void saveState(const LabPaths& paths, const LabState& state) {
  nlohmann::json json;
  json["cluster"] = state.cluster;
  json["nextServiceAddress"] = state.nextServiceAddress;
  json["nodes"] = nlohmann::json::array();
  for (const auto& node : state.nodes) {
    json["nodes"].push_back(
        {{"name", node.name},
         {"index", node.index},
         {"agentPid", node.agentPid},
         {"kernelTls", node.kernelTls}});
  }
  json["objects"] = nlohmann::json::array();
  for (const auto& object : state.objects) {
    json["objects"].push_back({{"kind", object.kind},
                               {"namespace", object.namespace_},
                               {"name", object.name},
                               {"yaml", object.yaml}});
  }
  json["pods"] = nlohmann::json::array();
  for (const auto& [key, pod] : state.pods) {
    json["pods"].push_back({{"namespace", pod.namespace_},
                            {"name", pod.name},
                            {"node", pod.node},
                            {"owner", pod.owner},
                            {"templateHash", pod.templateHash},
                            {"containerId", pod.containerId},
                            {"ip", pod.ip},
                            {"pids", pod.pids},
                            {"created", pod.created},
                            {"labelChanges", labelChanges(pod)}});
  }
  writeFileAtomic(paths.stateFile(), json.dump(2) + "\n");
}

ClusterLock::ClusterLock(const LabPaths& paths) {
  std::filesystem::create_directories(paths.lockFile().parent_path());
  fd_ = ::open(paths.lockFile().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0 || flock(fd_, LOCK_EX) != 0) {
    throw std::runtime_error("cannot lock " + paths.lockFile().string() + ": " +
                             std::strerror(errno));
  }
}

ClusterLock::~ClusterLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace ztls::lab
