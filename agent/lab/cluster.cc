#include "lab/cluster.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "lab/cni.h"
#include "lab/images.h"
#include "lab/launcher.h"
#include "lab/objects.h"
#include "lab/service_rules.h"
#include "lab/system.h"
#include "ztls/config/loader.h"

namespace ztls::lab {
namespace {

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

// Kubernetes' alphabet for generated names: no vowels, no look-alike digits.
std::string safeEncode(std::uint64_t value, std::size_t length) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (std::size_t i = 0; i < length; ++i) {
    out += kAlphabet[value % kAlphabet.size()];
    value /= kAlphabet.size();
  }
  return out;
}

std::string emit(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return out.c_str();
}

config::Pod parsePod(const YAML::Node& podNode) {
  const std::string text = emit(podNode);
  config::LoadResult loaded = config::parseYaml(text, "pod", {});
  if (!loaded.ok() || loaded.objects.size() != 1 ||
      !std::holds_alternative<config::Pod>(loaded.objects.front())) {
    std::string errors;
    for (const auto& diagnostic : loaded.errors()) errors += diagnostic.format() + "\n";
    throw std::runtime_error("cannot build pod: " + errors);
  }
  return std::get<config::Pod>(loaded.objects.front());
}

bool listening(pid_t pid, std::uint16_t port) {
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in(fmt::format("/proc/{}/net/{}", pid, table));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos &&
          std::stoul(local.substr(colon + 1), nullptr, 16) == port) {
        return true;
      }
    }
  }
  return false;
}

// Accepts, and the listening process is `pid` (SO_PEERCRED of a Unix stream connection
// names the process that called listen()).
bool socketServedBy(const std::filesystem::path& path, pid_t pid) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  bool served = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    ucred peer{};
    socklen_t length = sizeof peer;
    served = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0 && peer.pid == pid;
  }
  ::close(fd);
  return served;
}

bool socketAccepts(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::string timestampOf(long long unixSeconds) {
  const std::time_t seconds = unixSeconds;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string tail(const std::filesystem::path& file, std::size_t lines) {
  std::ifstream in(file);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "  " + all[i] + "\n";
  }
  return out;
}

}  // namespace

std::vector<std::filesystem::path> Toolbox::cniPluginDirs() const {
  return {binDir, "/usr/lib/cni", "/opt/cni/bin"};
}

struct Cluster::DesiredPod {
  std::string namespace_;
  std::string name;
  std::string owner;
  std::string templateHash;
  YAML::Node node;  // the Pod as the config shows it, without node and status
  config::Pod pod;
};

std::vector<Cluster::DesiredPod> Cluster::desiredPods() const {
  std::vector<DesiredPod> desired;
  for (const auto& record : state_.objects) {
    if (record.kind == "Pod") {
      YAML::Node node = YAML::Load(record.yaml);
      node.remove("status");
      desired.push_back({record.namespace_, record.name, "", "", node, parsePod(node)});
      continue;
    }
    if (record.kind != "Deployment") continue;
    const YAML::Node deployment = YAML::Load(record.yaml);
    const YAML::Node podTemplate = deployment["spec"]["template"];
    const int replicas = deployment["spec"]["replicas"].as<int>(1);
    const std::uint64_t templateDigest = fnv1a(emit(podTemplate));
    const std::string hash = safeEncode(templateDigest, 9);
    for (int index = 0; index < replicas; ++index) {
      const std::string suffix = safeEncode(
          fnv1a(fmt::format("{}/{}/{}/{}", record.namespace_, record.name, hash, index)), 5);
      YAML::Node node;
      node["apiVersion"] = "v1";
      node["kind"] = "Pod";
      node["metadata"]["name"] = fmt::format("{}-{}-{}", record.name, hash, suffix);
      node["metadata"]["namespace"] = record.namespace_;
      node["metadata"]["labels"] = YAML::Clone(podTemplate["metadata"]["labels"]);
      node["metadata"]["labels"]["pod-template-hash"] = hash;
      node["metadata"]["ownerReferences"][0]["kind"] = "Deployment";
      node["metadata"]["ownerReferences"][0]["name"] = record.name;
      node["spec"] = YAML::Clone(podTemplate["spec"]);
      desired.push_back({record.namespace_, node["metadata"]["name"].as<std::string>(), record.name,
                         hash, node, parsePod(node)});
    }
  }
  return desired;
}

std::string Cluster::placePod(const DesiredPod& desired) const {
  const auto& spec = desired.pod.spec;
  if (!spec.nodeName.empty()) {
    if (state_.findNode(spec.nodeName) == nullptr) {
      throw std::runtime_error(fmt::format("pod {}/{}: spec.nodeName \"{}\" is not a lab node",
                                           desired.namespace_, desired.name, spec.nodeName));
    }
    return spec.nodeName;
  }
  std::map<std::string, int> load;
  for (const auto& [key, pod] : state_.pods) ++load[pod.node];
  const NodeState* best = nullptr;
  for (const auto& node : state_.nodes) {
    const config::Labels nodeLabels{{"kubernetes.io/hostname", node.name},
                                    {"kubernetes.io/os", "linux"}};
    if (!config::selectorMatches(spec.nodeSelector, nodeLabels)) continue;
    if (best == nullptr || load[node.name] < load[best->name]) best = &node;
  }
  if (best == nullptr) {
    throw std::runtime_error(fmt::format("pod {}/{}: no lab node matches its nodeSelector",
                                         desired.namespace_, desired.name));
  }
  return best->name;
}

void Cluster::reconcile(std::vector<std::string>& log) {
  const std::vector<DesiredPod> desired = desiredPods();
  std::set<std::string> wanted;
  for (const auto& pod : desired) wanted.insert(pod.namespace_ + "/" + pod.name);
  std::vector<PodState> stale;
  for (const auto& [key, pod] : state_.pods) {
    if (!wanted.contains(key)) stale.push_back(pod);
  }
  for (const auto& pod : stale) deletePod(pod, log);
  // A pod that cannot start does not stop the others, nor the Service rules; like a
  // kubelet, the next reconcile tries it again.
  std::string failures;
  for (const auto& pod : desired) {
    if (state_.pods.contains(pod.namespace_ + "/" + pod.name)) continue;
    try {
      createPod(pod, log);
    } catch (const std::exception& error) {
      failures += std::string(failures.empty() ? "" : "\n") + error.what();
    }
  }
  writeServiceRules();
  writeHostsFiles();
  writeClusterConfig();
  if (!failures.empty()) throw std::runtime_error(failures);
}

void Cluster::createPod(const DesiredPod& desired, std::vector<std::string>& log) {
  PodState pod;
  pod.namespace_ = desired.namespace_;
  pod.name = desired.name;
  pod.owner = desired.owner;
  pod.templateHash = desired.templateHash;
  pod.node = placePod(desired);
  pod.created = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  pod.containerId = fmt::format("{:016x}{:016x}", fnv1a(pod.key() + std::to_string(pod.created)),
                                fnv1a(pod.name + paths_.cluster));
  const NodeState& node = *state_.findNode(pod.node);
  const std::string netns = paths_.podNetns(pod.namespace_, pod.name);
  const auto cgroup = paths_.podCgroup(pod.node, pod.namespace_, pod.name);
  const auto podDir = paths_.podDir(pod.namespace_, pod.name);

  // The pod exists (without an IP) before its network does, as in Kubernetes: the
  // agent may look it up while ztls-cni enrolls it.
  state_.pods[pod.key()] = pod;
  try {
    runChecked({"ip", "netns", "add", netns});
    runChecked({"ip", "-n", netns, "link", "set", "lo", "up"});
    std::filesystem::create_directories(cgroup);
    std::filesystem::create_directories(podDir);
    writeClusterConfig();

    const CniPod cniPod{pod.namespace_,  pod.name,         pod.containerId,
                        pod.containerId, netnsPath(netns), cgroup};
    const nlohmann::json result = cniAdd(paths_, node, cniPod, tools_.cniPluginDirs());
    writeFileAtomic(podDir / "cni-result.json", result.dump(2));
    pod.ip = firstIpv4(result);
    state_.pods[pod.key()] = pod;
    writeHostsFiles();

    std::vector<std::uint16_t> ports;
    for (const auto& container : desired.pod.spec.containers) {
      LaunchSpec spec{commandForContainer(container),
                      netnsPath(netns),
                      cgroup,
                      podDir / "hosts",
                      {"HOSTNAME=" + pod.name}};
      pod.pids.push_back(spawnDetached(spec, podDir / (container.name + ".log")));
      for (const auto& port : container.ports) ports.push_back(port.port);
    }
    state_.pods[pod.key()] = pod;
    waitUntilListening(pod, ports);
  } catch (const std::exception& error) {
    std::vector<std::string> ignored;
    deletePod(state_.pods[pod.key()], ignored);
    throw std::runtime_error(
        fmt::format("pod {} failed to start on {}: {}", pod.key(), pod.node, error.what()));
  }
  log.push_back(
      fmt::format("pod/{} started in {} on {} ({})", pod.name, pod.namespace_, pod.node, pod.ip));
}

void Cluster::waitUntilListening(const PodState& pod,
                                 const std::vector<std::uint16_t>& ports) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (const std::uint16_t port : ports) {
    while (true) {
      bool anyListening = false;
      for (const pid_t pid : pod.pids) anyListening = anyListening || listening(pid, port);
      if (anyListening) break;
      bool alive = false;
      for (const pid_t pid : pod.pids) alive = alive || processAlive(pid);
      if (!alive || std::chrono::steady_clock::now() > deadline) {
        std::string logs;
        for (const auto& entry :
             std::filesystem::directory_iterator(paths_.podDir(pod.namespace_, pod.name))) {
          if (entry.path().extension() == ".log") logs += tail(entry.path(), 10);
        }
        throw std::runtime_error(fmt::format(
            "{} listening on port {}; its log:\n{}",
            alive ? "timed out waiting for it to be" : "its process exited before", port, logs));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void Cluster::deletePod(PodState pod, std::vector<std::string>& log) {
  const auto cgroup = paths_.podCgroup(pod.node, pod.namespace_, pod.name);
  destroyCgroupTree(cgroup);
  for (const pid_t pid : pod.pids) stopProcess(pid, 500);
  const std::string netns = paths_.podNetns(pod.namespace_, pod.name);
  const auto podDir = paths_.podDir(pod.namespace_, pod.name);
  const NodeState* node = state_.findNode(pod.node);
  if (node != nullptr && netnsExists(netns)) {
    nlohmann::json previous;
    if (std::filesystem::exists(podDir / "cni-result.json")) {
      previous = nlohmann::json::parse(readFile(podDir / "cni-result.json"));
    }
    const CniPod cniPod{pod.namespace_,  pod.name,         pod.containerId,
                        pod.containerId, netnsPath(netns), cgroup};
    for (const auto& error : cniDel(paths_, *node, cniPod, tools_.cniPluginDirs(), previous)) {
      log.push_back("warning: " + error);
    }
  }
  if (netnsExists(netns)) runChecked({"ip", "netns", "delete", netns});
  std::filesystem::remove_all(podDir);
  state_.pods.erase(pod.key());
  log.push_back(fmt::format("pod/{} deleted from {}", pod.name, pod.namespace_));
}

std::string Cluster::clusterYaml() const {
  std::string out;
  std::map<std::string, YAML::Node> podNodes;
  for (const auto& desired : desiredPods())
    podNodes[desired.namespace_ + "/" + desired.name] = desired.node;
  for (const auto& record : state_.objects) {
    if (record.kind == "Pod" || record.kind == "Deployment") continue;
    out += "---\n" + record.yaml;
  }
  // Deployments too: the policy core explains a Deployment even before its pods run.
  for (const auto& record : state_.objects) {
    if (record.kind == "Deployment") out += "---\n" + record.yaml;
  }
  for (const auto& [key, pod] : state_.pods) {
    auto found = podNodes.find(key);
    if (found == podNodes.end()) continue;
    YAML::Node node = YAML::Clone(found->second);
    for (const auto& [label, value] : pod.labelChanges) {
      if (value) {
        node["metadata"]["labels"][label] = *value;
      } else if (node["metadata"]["labels"]) {
        node["metadata"]["labels"].remove(label);
      }
    }
    const NodeState* node_state = state_.findNode(pod.node);
    node["metadata"]["creationTimestamp"] = timestampOf(pod.created);
    node["spec"]["nodeName"] = pod.node;
    node["status"]["phase"] = pod.ip.empty() ? "Pending" : "Running";
    if (node_state != nullptr) node["status"]["hostIP"] = node_state->underlayAddress();
    if (!pod.ip.empty()) {
      node["status"]["podIP"] = pod.ip;
      node["status"]["podIPs"][0]["ip"] = pod.ip;
    }
    out += "---\n" + emit(node) + "\n";
  }
  return out;
}

void Cluster::writeClusterConfig() const {
  writeFileAtomic(paths_.clusterConfigFile(), clusterYaml());
}

void Cluster::writeServiceRules() const {
  const auto services = serviceEndpoints(clusterYaml());
  for (const auto& node : state_.nodes) {
    runChecked({"nft", "-f", "-"}, renderServiceRules(services, node), paths_.nodeNetns(node.name));
  }
}

void Cluster::writeHostsFiles() const {
  const auto services = serviceEndpoints(clusterYaml());
  for (const auto& [key, pod] : state_.pods) {
    if (pod.ip.empty()) continue;
    writeFileInPlace(paths_.podDir(pod.namespace_, pod.name) / "hosts",
                     renderHostsFile(services, pod));
  }
}

bool Cluster::agentRunning(const NodeState& node) const {
  return processAlive(node.agentPid) && socketAccepts(paths_.agentSocket(node.name));
}

void Cluster::startAgent(NodeState& node) {
  if (agentRunning(node)) return;
  launchAgent(node);
}

void Cluster::restartAgent(NodeState& node) {
  if (!agentRunning(node)) {
    startAgent(node);
    return;
  }
  const pid_t previousPid = node.agentPid;
  launchAgent(node);
  // What the old agent could not hand over (userspace TLS, plaintext) drains there for up
  // to its --drain-seconds (30 by default); after that it is stopped like any agent.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(35);
  while (processAlive(previousPid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stopProcess(previousPid, 5000);
}

void Cluster::launchAgent(NodeState& node) {
  std::filesystem::create_directories(paths_.nodeDir(node.name));
  std::filesystem::create_directories(paths_.agentCgroup(node.name));
  std::filesystem::create_directories(paths_.podsCgroup(node.name));
  LaunchSpec spec;
  spec.argv = {(tools_.binDir / "ztls-agent").string(),
               "--node",
               node.name,
               "--config-dir",
               paths_.configDir().string(),
               "--socket",
               paths_.agentSocket(node.name).string(),
               "--pin-dir",
               paths_.bpfPinDir(node.name).string(),
               "--pod-cgroup",
               paths_.podsCgroup(node.name).string(),
               "--state-dir",
               (paths_.nodeDir(node.name) / "agent-state").string(),
               "--ca-dir",
               (paths_.stateDir() / "mesh-ca").string(),
               "--kernel-tls",
               node.kernelTls};
  // Extra agent flags for a slow machine, e.g. longer timeouts under emulation
  // (tests/vm sets them for the walkthrough inside scripts/vmtest).
  if (const char* extra = std::getenv("ZTLS_LAB_AGENT_ARGS")) {
    std::istringstream words(extra);
    for (std::string word; words >> word;) spec.argv.push_back(word);
  }
  spec.netns = netnsPath(paths_.nodeNetns(node.name));
  spec.cgroup = paths_.agentCgroup(node.name);
  node.agentPid = spawnDetached(spec, paths_.agentLog(node.name));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  // Served by this process: during a hand-over the previous agent serves the same path
  // until it lets go (file identity cannot tell them apart: inode numbers get reused).
  while (!socketServedBy(paths_.agentSocket(node.name), node.agentPid)) {
    if (!processAlive(node.agentPid) || std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(fmt::format("ztls-agent on {} did not come up; its log:\n{}",
                                           node.name, tail(paths_.agentLog(node.name), 15)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Cluster::stopAgent(NodeState& node) {
  stopProcess(node.agentPid, 5000);
  node.agentPid = 0;
}

}  // namespace ztls::lab
