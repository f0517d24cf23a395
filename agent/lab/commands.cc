#include "lab/commands.h"

#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "lab/launcher.h"
#include "lab/objects.h"
#include "lab/system.h"
#include "lab/topology.h"

namespace ztls::lab {
namespace {

std::string readInput(const std::string& file) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error(fmt::format("error: the path \"{}\" does not exist", file));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void printLines(const std::vector<std::string>& lines, std::ostream& out) {
  for (const auto& line : lines) out << line << '\n';
}

// Applies an object change: reconcile pods and rules, then save, even after a partial
// failure, so that the state on disk always describes what is really running.
int reconcileAndSave(const LabContext& context, LabState& state) {
  Cluster cluster(context.paths, state, context.tools);
  std::vector<std::string> log;
  int status = 0;
  try {
    cluster.reconcile(log);
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << '\n';
    status = 1;
  }
  saveState(context.paths, state);
  cluster.writeClusterConfig();
  for (const auto& line : log) {
    if (line.rfind("warning: ", 0) == 0) std::cerr << line << '\n';
  }
  return status;
}

bool clusterHealthy(const LabContext& context, const LabState& state) {
  if (!netnsExists(context.paths.underlayNetns())) return false;
  Cluster cluster(context.paths, const_cast<LabState&>(state), context.tools);
  for (const auto& node : state.nodes) {
    if (!netnsExists(context.paths.nodeNetns(node.name)) || !cluster.agentRunning(node)) {
      return false;
    }
  }
  return true;
}

void checkPrerequisites(const LabContext& context) {
  std::vector<std::string> missing;
  for (const auto& program : {"ip", "nft", "sysctl"}) {
    if (runCommand({"sh", "-c", std::string("command -v ") + program}).exitCode != 0) {
      missing.emplace_back(program);
    }
  }
  for (const auto& plugin : {"bridge", "host-local"}) {
    if (!std::filesystem::exists(std::filesystem::path("/usr/lib/cni") / plugin)) {
      missing.push_back(std::string("/usr/lib/cni/") + plugin +
                        " (Debian package containernetworking-plugins)");
    }
  }
  for (const auto& binary : {"ztls-agent", "ztls-cni"}) {
    if (!std::filesystem::exists(context.tools.binDir / binary)) {
      missing.push_back((context.tools.binDir / binary).string());
    }
  }
  if (getuid() != 0) missing.emplace_back("root privileges");
  if (!missing.empty()) {
    std::string list;
    for (const auto& item : missing) list += "\n  " + item;
    throw std::runtime_error("the lab cannot start; missing:" + list +
                             "\nRun scripts/setup and build first.");
  }
}

const PodState* resolvePod(const LabState& state, const std::string& ns, const std::string& target,
                           const std::string& selector, const std::string& clusterYaml) {
  std::string name = target;
  if (name.rfind("pod/", 0) == 0 || name.rfind("pods/", 0) == 0)
    name = name.substr(name.find('/') + 1);
  const auto slash = name.find('/');
  if (slash != std::string::npos) {
    const std::string kind = kindForResource(name.substr(0, slash));
    if (kind != "Deployment") {
      throw std::runtime_error("error: exec supports POD, pod/NAME and deploy/NAME, not " + target);
    }
    const std::string owner = name.substr(slash + 1);
    for (const auto& [key, pod] : state.pods) {
      if (pod.namespace_ == ns && pod.owner == owner && !pod.ip.empty()) return &pod;
    }
    throw std::runtime_error(
        fmt::format("error: deployment \"{}\" has no running pod in namespace {}", owner, ns));
  }
  if (name.empty()) {
    if (selector.empty()) throw std::runtime_error("error: exec needs a POD or -l SELECTOR");
    GetQuery query{"Pod", {}, ns, selector, ""};
    std::vector<std::string> notFound;
    for (const auto& object : selectObjects(clusterYaml, query, notFound)) {
      const auto found = state.pods.find(ns + "/" + object["metadata"].value("name", ""));
      if (found != state.pods.end()) return &found->second;
    }
    throw std::runtime_error(
        fmt::format("error: no pod in namespace {} matches -l {}", ns, selector));
  }
  const auto found = state.pods.find(ns + "/" + name);
  if (found == state.pods.end()) {
    throw std::runtime_error(
        fmt::format("Error from server (NotFound): pods \"{}\" not found", name));
  }
  return &found->second;
}

// A pod a Deployment made keeps its own labels; changing them does not touch the
// Deployment (so the pod is not re-created), as in Kubernetes.
std::string labelGeneratedPod(PodState& pod, const std::vector<std::string>& changes) {
  for (const auto& change : changes) {
    if (!change.empty() && change.back() == '-') {
      pod.labelChanges[change.substr(0, change.size() - 1)] = std::nullopt;
      continue;
    }
    const auto equals = change.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw std::runtime_error(fmt::format(
          "error: invalid label \"{}\": expected KEY=VALUE, or KEY- to remove it", change));
    }
    pod.labelChanges[change.substr(0, equals)] = change.substr(equals + 1);
  }
  return "pod/" + pod.name + " labeled";
}

}  // namespace

int commandUp(const LabContext& context, int nodes) {
  if (nodes < 1 || nodes > 50) throw std::runtime_error("error: --nodes must be 1..50");
  checkPrerequisites(context);
  ClusterLock lock(context.paths);
  if (stateExists(context.paths)) {
    LabState state = loadState(context.paths);
    if (clusterHealthy(context, state)) {
      if (static_cast<int>(state.nodes.size()) != nodes) {
        throw std::runtime_error(
            fmt::format("error: cluster {} is already up with {} nodes; run `ztls-lab down` first",
                        context.paths.cluster, state.nodes.size()));
      }
      std::cout << fmt::format("cluster {} is already up ({} nodes)\n", context.paths.cluster,
                               state.nodes.size());
      return 0;
    }
  }
  const Leftovers leftovers = findLeftovers(context.paths);
  if (!leftovers.empty()) {
    std::cout << fmt::format(
        "removing leftovers of a previous run of {}: {} network namespaces{}{}\n",
        context.paths.cluster, leftovers.netns.size(), leftovers.cgroups ? ", cgroups" : "",
        leftovers.bpfPins.empty() ? "" : ", bpffs pins");
    removeLeftovers(context.paths, leftovers);
  }

  LabState state;
  state.cluster = context.paths.cluster;
  for (int index = 1; index <= nodes; ++index) {
    state.nodes.push_back({fmt::format("node{}", index), index, 0});
  }
  for (const auto& ns : {"default", "kube-system", "istio-system"}) {
    YAML::Node node;
    node["apiVersion"] = "v1";
    node["kind"] = "Namespace";
    node["metadata"]["name"] = ns;
    node["metadata"]["creationTimestamp"] = nowTimestamp();
    YAML::Emitter out;
    out << node;
    state.objects.push_back({"Namespace", "", ns, std::string(out.c_str()) + "\n"});
  }
  try {
    createTopology(context.paths, state.nodes);
    std::filesystem::create_directories(context.paths.cgroupRoot());
    Cluster cluster(context.paths, state, context.tools);
    std::vector<std::string> log;
    cluster.reconcile(log);
    saveState(context.paths, state);
    for (auto& node : state.nodes) {
      cluster.startAgent(node);
      saveState(context.paths, state);
    }
  } catch (...) {
    // Never leave half a cluster behind.
    removeLeftovers(context.paths, findLeftovers(context.paths));
    throw;
  }
  std::cout << fmt::format("cluster {} is up: ", context.paths.cluster);
  for (std::size_t i = 0; i < state.nodes.size(); ++i) {
    std::cout << (i ? ", " : "") << state.nodes[i].name << " (pods " << state.nodes[i].podCidr()
              << ")";
  }
  std::cout << '\n';
  return 0;
}

int commandDown(const LabContext& context) {
  ClusterLock lock(context.paths);
  if (stateExists(context.paths)) {
    try {
      LabState state = loadState(context.paths);
      Cluster cluster(context.paths, state, context.tools);
      for (auto& node : state.nodes) cluster.stopAgent(node);
    } catch (const std::exception& error) {
      std::cerr << "warning: " << error.what() << "; removing everything by name\n";
    }
  }
  const Leftovers leftovers = findLeftovers(context.paths);
  removeLeftovers(context.paths, leftovers);
  std::filesystem::remove(context.paths.lockFile());
  std::error_code error;
  std::filesystem::remove("/run/ztls-lab", error);  // only when no other cluster is left
  std::cout << fmt::format("cluster {} is down\n", context.paths.cluster);
  return 0;
}

int commandCreateNamespace(const LabContext& context, const std::vector<std::string>& names) {
  std::string yaml;
  for (const auto& name : names) {
    yaml += fmt::format("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n", name);
  }
  ClusterLock lock(context.paths);
  LabState state = loadState(context.paths);
  for (const auto& name : names) {
    if (state.findObject("Namespace", "", name) != nullptr) {
      throw std::runtime_error(
          fmt::format("Error from server (AlreadyExists): namespaces \"{}\" already exists", name));
    }
  }
  std::vector<std::string> warnings;
  const auto lines = applyObjects(state, {yaml, "create", std::nullopt}, warnings);
  for (const auto& name : names) std::cout << "namespace/" << name << " created\n";
  return reconcileAndSave(context, state);
}

int commandApply(const LabContext& context, const std::string& file,
                 const std::optional<std::string>& ns) {
  const std::string text = readInput(file);
  ClusterLock lock(context.paths);
  LabState state = loadState(context.paths);
  std::vector<std::string> warnings;
  const auto lines = applyObjects(state, {text, file == "-" ? "<stdin>" : file, ns}, warnings);
  printLines(warnings, std::cerr);
  printLines(lines, std::cout);
  return reconcileAndSave(context, state);
}

int commandDeleteFile(const LabContext& context, const std::string& file,
                      const std::optional<std::string>& ns, bool ignoreNotFound) {
  const std::string text = readInput(file);
  ClusterLock lock(context.paths);
  LabState state = loadState(context.paths);
  std::vector<std::string> errors;
  const auto deleted = deleteObjectsIn(state, {text, file, ns}, errors);
  for (const auto& record : deleted) {
    std::cout << fmt::format("{} \"{}\" deleted\n", qualifiedResource(record.kind), record.name);
  }
  if (!ignoreNotFound) printLines(errors, std::cerr);
  const int status = reconcileAndSave(context, state);
  return status != 0 ? status : (errors.empty() || ignoreNotFound ? 0 : 1);
}

int commandDelete(const LabContext& context, const std::string& resource,
                  const std::vector<std::string>& names, const std::optional<std::string>& ns,
                  bool all, bool ignoreNotFound) {
  const std::string kind = kindForResource(resource);
  if (names.empty() && !all) {
    throw std::runtime_error("error: resource(s) were provided, but no name was specified");
  }
  ClusterLock lock(context.paths);
  LabState state = loadState(context.paths);
  std::vector<std::string> errors;
  const auto deleted = deleteObjects(state, kind, names, ns, all, errors);
  for (const auto& record : deleted) {
    if (record.kind != kind) continue;
    std::cout << fmt::format("{} \"{}\" deleted\n", qualifiedResource(record.kind), record.name);
  }
  if (!ignoreNotFound) printLines(errors, std::cerr);
  const int status = reconcileAndSave(context, state);
  return status != 0 ? status : (errors.empty() || ignoreNotFound ? 0 : 1);
}

int commandLabel(const LabContext& context, const std::string& resource, const std::string& name,
                 const std::vector<std::string>& changes, const std::string& ns, bool overwrite) {
  const std::string kind = kindForResource(resource);
  ClusterLock lock(context.paths);
  LabState state = loadState(context.paths);
  const auto generated = state.pods.find(ns + "/" + name);
  if (kind == "Pod" && generated != state.pods.end() && !generated->second.owner.empty()) {
    std::cout << labelGeneratedPod(generated->second, changes) << '\n';
  } else {
    std::cout << labelObject(state, kind, ns, name, changes, overwrite) << '\n';
  }
  return reconcileAndSave(context, state);
}

int commandGet(const LabContext& context, const std::string& resource, GetQuery query) {
  query.kind = kindForResource(resource);
  LabState state = loadState(context.paths);
  Cluster cluster(context.paths, state, context.tools);
  std::vector<std::string> notFound;
  const auto objects = selectObjects(cluster.clusterYaml(), query, notFound);
  return printObjects(objects, query, notFound, std::cout, std::cerr);
}

int commandExec(const LabContext& context, const std::string& ns, const std::string& target,
                const std::string& selector, const std::string& container,
                const std::vector<std::string>& command) {
  if (command.empty()) {
    throw std::runtime_error("error: you must specify at least one command for the container");
  }
  LabState state = loadState(context.paths);
  Cluster cluster(context.paths, state, context.tools);
  const PodState* pod = resolvePod(state, ns, target, selector, cluster.clusterYaml());
  if (!container.empty()) {
    GetQuery query{"Pod", {pod->name}, ns, "", ""};
    std::vector<std::string> notFound;
    bool found = false;
    for (const auto& object : selectObjects(cluster.clusterYaml(), query, notFound)) {
      for (const auto& entry : object["spec"].value("containers", nlohmann::json::array())) {
        found = found || entry.value("name", "") == container;
      }
    }
    if (!found) {
      throw std::runtime_error(
          fmt::format("error: container {} not found in pod {}", container, pod->name));
    }
  }
  LaunchSpec spec{command,
                  netnsPath(context.paths.podNetns(pod->namespace_, pod->name)),
                  context.paths.podCgroup(pod->node, pod->namespace_, pod->name),
                  context.paths.podDir(pod->namespace_, pod->name) / "hosts",
                  {"HOSTNAME=" + pod->name}};
  const int status = runAttached(spec);
  // kubectl's own line; the walkthrough prints it after a failed curl.
  if (status != 0) std::cerr << "command terminated with exit code " << status << '\n';
  return status;
}

int commandAgent(const LabContext& context, const std::string& verb, const std::string& kernelTls,
                 const std::vector<std::string>& nodes) {
  ClusterLock lock(context.paths);
  LabState state = loadState(context.paths);
  Cluster cluster(context.paths, state, context.tools);
  for (const auto& name : nodes) {
    if (state.findNode(name) == nullptr) throw std::runtime_error("error: no lab node " + name);
  }
  for (auto& node : state.nodes) {
    if (!nodes.empty() && std::find(nodes.begin(), nodes.end(), node.name) == nodes.end()) continue;
    if (!kernelTls.empty() && verb != "stop") node.kernelTls = kernelTls;
    if (verb == "stop") {
      cluster.stopAgent(node);
      std::cout << "ztls-agent on " << node.name << " stopped\n";
    } else if (verb == "start") {
      cluster.startAgent(node);
      std::cout << "ztls-agent on " << node.name << " started (pid " << node.agentPid << ")\n";
    } else {
      const pid_t previous = node.agentPid;
      cluster.restartAgent(node);
      std::cout << "ztls-agent on " << node.name << " restarted (pid " << node.agentPid;
      if (previous != 0) std::cout << ", took over from pid " << previous;
      std::cout << ")\n";
    }
    saveState(context.paths, state);
  }
  return 0;
}

}  // namespace ztls::lab
