#include "lab/objects.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <stdexcept>

#include "ztls/config/loader.h"

namespace ztls::lab {
namespace {

struct KindInfo {
  std::string kind;
  std::string qualified;  // kubectl's "resource.group"
  std::vector<std::string> names;
  bool namespaced;
};

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> table{
      {"Namespace", "namespace", {"namespace", "namespaces", "ns"}, false},
      {"ServiceAccount", "serviceaccount", {"serviceaccount", "serviceaccounts", "sa"}, true},
      {"Pod", "pod", {"pod", "pods", "po"}, true},
      {"Deployment", "deployment.apps", {"deployment", "deployments", "deploy"}, true},
      {"Service", "service", {"service", "services", "svc"}, true},
      {"PeerAuthentication",
       "peerauthentication.security.istio.io",
       {"peerauthentication", "peerauthentications", "pa"},
       true},
      {"RequestAuthentication",
       "requestauthentication.security.istio.io",
       {"requestauthentication", "requestauthentications", "ra"},
       true},
      {"AuthorizationPolicy",
       "authorizationpolicy.security.istio.io",
       {"authorizationpolicy", "authorizationpolicies", "ap"},
       true},
      {"DestinationRule",
       "destinationrule.networking.istio.io",
       {"destinationrule", "destinationrules", "dr"},
       true},
  };
  return table;
}

const KindInfo* findKind(const std::string& kind) {
  for (const auto& info : kinds()) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

std::string emit(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

bool namespaceExists(const LabState& state, const std::string& ns,
                     const std::vector<ObjectRecord>& pending) {
  auto isIt = [&](const ObjectRecord& record) {
    return record.kind == "Namespace" && record.name == ns;
  };
  return std::any_of(state.objects.begin(), state.objects.end(), isIt) ||
         std::any_of(pending.begin(), pending.end(), isIt);
}

// The next free address of 10.96.0.0/16, skipping those Services chose themselves.
std::string allocateClusterIp(LabState& state, const std::vector<std::string>& taken) {
  while (state.nextServiceAddress <= 65000) {
    const int n = state.nextServiceAddress++;
    const std::string address = fmt::format("10.96.{}.{}", n / 256, n % 256);
    if (std::find(taken.begin(), taken.end(), address) == taken.end()) return address;
  }
  throw std::runtime_error("out of cluster IPs in 10.96.0.0/16");
}

std::vector<std::string> clusterIpsInUse(const LabState& state,
                                         const std::vector<YAML::Node>& incoming) {
  std::vector<std::string> taken;
  for (const auto& record : state.objects) {
    if (record.kind != "Service") continue;
    const YAML::Node service = YAML::Load(record.yaml);
    if (service["spec"]["clusterIP"])
      taken.push_back(service["spec"]["clusterIP"].as<std::string>());
  }
  for (const auto& node : incoming) {
    if (node["kind"].as<std::string>("") == "Service" && node["spec"]["clusterIP"]) {
      taken.push_back(node["spec"]["clusterIP"].as<std::string>());
    }
  }
  return taken;
}

// A `kind: List` (what `get -o yaml` prints) stands for its items.
void flattenLists(const YAML::Node& document, std::vector<YAML::Node>& out) {
  if (!document.IsMap()) return;
  if (document["kind"].as<std::string>("") == "List" && document["items"].IsSequence()) {
    for (const auto& item : document["items"]) flattenLists(item, out);
    return;
  }
  out.push_back(document);
}

// The documents the ztls loader accepted, as raw YAML with their kind and names.
struct RawObject {
  const KindInfo* kind;
  std::string namespace_;
  std::string name;
  YAML::Node node;
};

std::vector<RawObject> readObjects(const ApplyRequest& request,
                                   std::vector<std::string>& warnings) {
  config::LoadOptions options;
  if (request.namespace_) {
    options.defaultNamespace = *request.namespace_;
    options.namespaceExplicit = true;
  }
  const config::LoadResult loaded = config::parseYaml(request.text, request.sourceName, options);
  std::string errors;
  for (const auto& diagnostic : loaded.diagnostics) {
    if (diagnostic.severity == config::Severity::kError) {
      errors += diagnostic.format() + "\n";
    } else {
      warnings.push_back(diagnostic.format());
    }
  }
  if (!errors.empty()) throw std::runtime_error(errors + "nothing was applied");

  std::vector<RawObject> objects;
  std::vector<YAML::Node> documents;
  for (const YAML::Node& document : YAML::LoadAll(request.text)) flattenLists(document, documents);
  for (YAML::Node document : documents) {
    const KindInfo* kind = findKind(document["kind"].as<std::string>(""));
    if (kind == nullptr) continue;  // the loader already warned about it
    RawObject object{kind, "", document["metadata"]["name"].as<std::string>(""), document};
    if (kind->namespaced) {
      // An empty namespace field means "not given", as for kubectl.
      object.namespace_ = document["metadata"]["namespace"].as<std::string>("");
      if (object.namespace_.empty()) object.namespace_ = request.namespace_.value_or("default");
      document["metadata"]["namespace"] = object.namespace_;
    }
    objects.push_back(std::move(object));
  }
  return objects;
}

}  // namespace

std::string nowTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:06d}Z", buffer, micros);
}

std::string kindForResource(const std::string& resource) {
  std::string lower = resource;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const auto& info : kinds()) {
    const auto dot = info.qualified.find('.');
    const std::string group = dot == std::string::npos ? "" : info.qualified.substr(dot);
    for (const auto& name : info.names) {
      // "peerauthentications.security.istio.io" names the group; "pods.metrics.k8s.io" does not.
      if (lower == name || (!group.empty() && lower == name + group)) return info.kind;
    }
  }
  throw std::runtime_error(
      fmt::format("error: the server doesn't have a resource type \"{}\"", resource));
}

std::string qualifiedResource(const std::string& kind) {
  const KindInfo* info = findKind(kind);
  return info ? info->qualified : kind;
}

bool kindIsNamespaced(const std::string& kind) {
  const KindInfo* info = findKind(kind);
  return info == nullptr || info->namespaced;
}

std::vector<std::string> applyObjects(LabState& state, const ApplyRequest& request,
                                      std::vector<std::string>& warnings) {
  const std::vector<RawObject> objects = readObjects(request, warnings);
  std::vector<ObjectRecord> pending;
  for (const auto& object : objects) {
    if (object.kind->namespaced && !namespaceExists(state, object.namespace_, pending)) {
      throw std::runtime_error(fmt::format(
          "Error from server (NotFound): error when creating \"{}\": namespaces \"{}\" not found",
          request.sourceName, object.namespace_));
    }
    if (object.kind->kind == "Namespace") {
      pending.push_back({"Namespace", "", object.name, ""});
    }
  }

  std::vector<YAML::Node> incoming;
  for (const auto& object : objects) incoming.push_back(object.node);
  const std::vector<std::string> takenClusterIps = clusterIpsInUse(state, incoming);
  std::vector<std::string> lines;
  for (const auto& object : objects) {
    YAML::Node node = YAML::Clone(object.node);
    ObjectRecord* existing = state.findObject(object.kind->kind, object.namespace_, object.name);
    YAML::Node previous = existing ? YAML::Load(existing->yaml) : YAML::Node();
    if (!node["metadata"]["creationTimestamp"]) {
      node["metadata"]["creationTimestamp"] =
          existing ? previous["metadata"]["creationTimestamp"].as<std::string>() : nowTimestamp();
    }
    if (object.kind->kind == "Service" && !node["spec"]["clusterIP"]) {
      node["spec"]["clusterIP"] = existing && previous["spec"]["clusterIP"]
                                      ? previous["spec"]["clusterIP"].as<std::string>()
                                      : allocateClusterIp(state, takenClusterIps);
    }
    const std::string yaml = emit(node);
    const std::string resource = qualifiedResource(object.kind->kind) + "/" + object.name;
    if (existing == nullptr) {
      state.objects.push_back({object.kind->kind, object.namespace_, object.name, yaml});
      lines.push_back(resource + " created");
    } else if (existing->yaml == yaml) {
      lines.push_back(resource + " unchanged");
    } else {
      existing->yaml = yaml;
      lines.push_back(resource + " configured");
    }
  }
  return lines;
}

std::vector<ObjectRecord> deleteObjects(LabState& state, const std::string& kind,
                                        const std::vector<std::string>& names,
                                        const std::optional<std::string>& ns, bool all,
                                        std::vector<std::string>& errors) {
  std::vector<ObjectRecord> deleted;
  const bool namespaced = kindIsNamespaced(kind);
  auto inScope = [&](const ObjectRecord& record) {
    return record.kind == kind && (!namespaced || !ns || record.namespace_ == *ns);
  };
  auto take = [&](auto predicate) {
    auto split = std::stable_partition(state.objects.begin(), state.objects.end(),
                                       [&](const ObjectRecord& r) { return !predicate(r); });
    deleted.insert(deleted.end(), split, state.objects.end());
    state.objects.erase(split, state.objects.end());
  };
  if (all) {
    take(inScope);
  } else {
    for (const auto& name : names) {
      const std::size_t before = deleted.size();
      take([&](const ObjectRecord& record) { return inScope(record) && record.name == name; });
      if (deleted.size() == before) {
        errors.push_back(fmt::format("Error from server (NotFound): {} \"{}\" not found",
                                     qualifiedResource(kind), name));
      }
    }
  }
  // Deleting a namespace deletes what lives in it, as Kubernetes does.
  for (const auto& record : std::vector<ObjectRecord>(deleted)) {
    if (record.kind != "Namespace") continue;
    take([&](const ObjectRecord& other) { return other.namespace_ == record.name; });
  }
  return deleted;
}

std::vector<ObjectRecord> deleteObjectsIn(LabState& state, const ApplyRequest& request,
                                          std::vector<std::string>& errors) {
  std::vector<std::string> warnings;
  std::vector<ObjectRecord> deleted;
  for (const auto& object : readObjects(request, warnings)) {
    const auto removed = deleteObjects(
        state, object.kind->kind, {object.name},
        object.kind->namespaced ? std::optional(object.namespace_) : std::nullopt, false, errors);
    deleted.insert(deleted.end(), removed.begin(), removed.end());
  }
  return deleted;
}

std::string labelObject(LabState& state, const std::string& kind, const std::string& ns,
                        const std::string& name, const std::vector<std::string>& changes,
                        bool overwrite) {
  ObjectRecord* record = state.findObject(kind, kindIsNamespaced(kind) ? ns : "", name);
  if (record == nullptr) {
    throw std::runtime_error(fmt::format("Error from server (NotFound): {} \"{}\" not found",
                                         qualifiedResource(kind), name));
  }
  YAML::Node node = YAML::Load(record->yaml);
  for (const auto& change : changes) {
    if (!change.empty() && change.back() == '-') {
      node["metadata"]["labels"].remove(change.substr(0, change.size() - 1));
      continue;
    }
    const auto equals = change.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw std::runtime_error(fmt::format(
          "error: invalid label \"{}\": expected KEY=VALUE, or KEY- to remove it", change));
    }
    const std::string key = change.substr(0, equals);
    const std::string value = change.substr(equals + 1);
    YAML::Node labels = node["metadata"]["labels"];
    if (labels[key] && labels[key].as<std::string>() != value && !overwrite) {
      throw std::runtime_error(
          fmt::format("error: '{}' already has a value ({}), and --overwrite is false", key,
                      labels[key].as<std::string>()));
    }
    node["metadata"]["labels"][key] = value;
  }
  if (node["metadata"]["labels"] && node["metadata"]["labels"].size() == 0) {
    node["metadata"].remove("labels");
  }
  const std::string yaml = emit(node);
  const bool changed = yaml != record->yaml;
  record->yaml = yaml;
  const bool onlyRemovals = std::all_of(changes.begin(), changes.end(), [](const std::string& c) {
    return !c.empty() && c.back() == '-';
  });
  return fmt::format("{}/{} {}", qualifiedResource(kind), name,
                     !changed ? "not labeled" : (onlyRemovals ? "unlabeled" : "labeled"));
}

}  // namespace ztls::lab
