#include "ztls/policy/snapshot.h"

#include <fmt/format.h>

#include <algorithm>

namespace ztls::policy {

namespace {

template <typename T>
const std::vector<const T*>& lookup(
    const std::map<std::string, std::vector<const T*>, std::less<>>& index, std::string_view ns) {
  static const std::vector<const T*> kEmpty;
  auto found = index.find(ns);
  return found == index.end() ? kEmpty : found->second;
}

template <typename T>
void sortOldestFirst(std::map<std::string, std::vector<const T*>, std::less<>>& index) {
  for (auto& [ns, items] : index) {
    std::sort(items.begin(), items.end(), [](const T* a, const T* b) {
      if (a->meta.creation != b->meta.creation) return a->meta.creation < b->meta.creation;
      return a->meta.name < b->meta.name;
    });
  }
}

Workload workloadFromPodSpec(config::Kind kind, const config::ObjectMeta& meta,
                             const config::Labels& labels, const config::PodSpec& spec) {
  Workload w;
  w.kind = kind;
  w.namespace_ = meta.namespace_;
  w.name = meta.name;
  w.labels = labels;
  w.serviceAccount = spec.serviceAccountName.empty() ? "default" : spec.serviceAccountName;
  for (const config::Container& container : spec.containers) {
    w.ports.insert(w.ports.end(), container.ports.begin(), container.ports.end());
  }
  w.node = spec.nodeName;
  return w;
}

}  // namespace

std::optional<std::uint16_t> Workload::portNamed(std::string_view portName) const {
  for (const config::ContainerPort& port : ports) {
    if (port.name == portName) return port.port;
  }
  return std::nullopt;
}

std::string Snapshot::identityFor(std::string_view ns, std::string_view serviceAccount) const {
  return fmt::format("spiffe://{}/ns/{}/sa/{}", mesh_.trustDomain, ns, serviceAccount);
}

void Snapshot::decideEnrollment(Workload& w) const {
  const std::string label(kDataplaneModeLabel);
  auto podMode = w.labels.find(label);
  if (podMode != w.labels.end() && podMode->second == kDataplaneModeNone) {
    w.enrollmentReason =
        fmt::format("{} opts out with label {}={}", w.qualifiedName(), label, kDataplaneModeNone);
    return;
  }
  if (podMode != w.labels.end() && podMode->second == kDataplaneModeAmbient) {
    w.enrolled = true;
    w.enrollmentReason =
        fmt::format("{} carries label {}={}", w.qualifiedName(), label, kDataplaneModeAmbient);
    return;
  }
  const config::Namespace* ns = findNamespace(w.namespace_);
  if (ns != nullptr) {
    auto nsMode = ns->meta.labels.find(label);
    if (nsMode != ns->meta.labels.end() && nsMode->second == kDataplaneModeAmbient) {
      w.enrolled = true;
      w.enrollmentReason = fmt::format("namespace {} carries label {}={}", w.namespace_, label,
                                       kDataplaneModeAmbient);
      return;
    }
  }
  w.enrollmentReason = fmt::format(
      "neither {} nor namespace {}{} carries label {}={}", w.qualifiedName(), w.namespace_,
      ns == nullptr ? " (not declared)" : "", label, kDataplaneModeAmbient);
}

void Snapshot::addWorkload(Workload workload) {
  workload.identity = identityFor(workload.namespace_, workload.serviceAccount);
  decideEnrollment(workload);
  workloadStorage_.push_back(std::make_unique<Workload>(std::move(workload)));
  const Workload* stored = workloadStorage_.back().get();
  workloadsByName_.emplace(std::make_pair(stored->namespace_, stored->name), stored);
  if (stored->kind == config::Kind::kPod) {
    podsByNamespace_[stored->namespace_].push_back(stored);
    for (const std::string& ip : stored->ips) workloadsByIp_.emplace(ip, stored);
  } else {
    deploymentsByNamespace_[stored->namespace_].push_back(stored);
  }
}

std::shared_ptr<const Snapshot> Snapshot::build(const config::Store::Objects& objects,
                                                MeshConfig mesh) {
  std::shared_ptr<Snapshot> snapshot(new Snapshot(std::move(mesh)));
  snapshot->objects_ = objects;
  std::vector<const config::Deployment*> deployments;
  std::vector<const config::Pod*> pods;
  for (const auto& [key, object] : snapshot->objects_) {
    const std::string& ns = key.namespace_;
    if (const auto* n = std::get_if<config::Namespace>(object.get())) {
      snapshot->namespaces_.emplace(n->meta.name, n);
    } else if (const auto* p = std::get_if<config::Pod>(object.get())) {
      pods.push_back(p);
    } else if (const auto* d = std::get_if<config::Deployment>(object.get())) {
      deployments.push_back(d);
    } else if (const auto* s = std::get_if<config::Service>(object.get())) {
      snapshot->services_.emplace(std::make_pair(ns, s->meta.name), s);
      if (!s->clusterIP.empty() && s->clusterIP != "None") {
        snapshot->servicesByClusterIp_.emplace(s->clusterIP, s);
      }
    } else if (const auto* pa = std::get_if<config::PeerAuthentication>(object.get())) {
      snapshot->peerAuthentications_[ns].push_back(pa);
    } else if (const auto* dr = std::get_if<config::DestinationRule>(object.get())) {
      snapshot->destinationRules_[ns].push_back(dr);
    } else if (const auto* ap = std::get_if<config::AuthorizationPolicy>(object.get())) {
      snapshot->authorizationPolicies_[ns].push_back(ap);
    }
  }
  // Namespaces first: enrollment of every workload reads its namespace's labels.
  for (const config::Pod* pod : pods) {
    Workload w = workloadFromPodSpec(config::Kind::kPod, pod->meta, pod->meta.labels, pod->spec);
    w.ips = pod->podIPs;
    snapshot->addWorkload(std::move(w));
  }
  for (const config::Deployment* d : deployments) {
    snapshot->addWorkload(workloadFromPodSpec(config::Kind::kDeployment, d->meta, d->templateLabels,
                                              d->templateSpec));
  }
  sortOldestFirst(snapshot->peerAuthentications_);
  sortOldestFirst(snapshot->destinationRules_);
  sortOldestFirst(snapshot->authorizationPolicies_);
  return snapshot;
}

const config::Namespace* Snapshot::findNamespace(std::string_view name) const {
  auto found = namespaces_.find(name);
  return found == namespaces_.end() ? nullptr : found->second;
}

const Workload* Snapshot::findWorkload(std::string_view ns, std::string_view name) const {
  auto found = workloadsByName_.find(std::make_pair(std::string(ns), std::string(name)));
  return found == workloadsByName_.end() ? nullptr : found->second;
}

const Workload* Snapshot::workloadByIp(std::string_view ip) const {
  auto found = workloadsByIp_.find(ip);
  return found == workloadsByIp_.end() ? nullptr : found->second;
}

const config::Service* Snapshot::findService(std::string_view ns, std::string_view name) const {
  auto found = services_.find(std::make_pair(std::string(ns), std::string(name)));
  return found == services_.end() ? nullptr : found->second;
}

const config::Service* Snapshot::serviceByClusterIp(std::string_view ip) const {
  auto found = servicesByClusterIp_.find(ip);
  return found == servicesByClusterIp_.end() ? nullptr : found->second;
}

std::vector<const Workload*> Snapshot::endpointsOf(const config::Service& service) const {
  std::vector<const Workload*> result;
  if (!service.hasSelector) return result;
  for (const auto* index : {&podsByNamespace_, &deploymentsByNamespace_}) {
    for (const Workload* w : lookup(*index, service.meta.namespace_)) {
      if (selectorMatches(service.selector, w->labels)) result.push_back(w);
    }
    if (!result.empty()) break;  // running pods win over the templates that made them
  }
  return result;
}

const std::vector<const config::PeerAuthentication*>& Snapshot::peerAuthentications(
    std::string_view ns) const {
  return lookup(peerAuthentications_, ns);
}

const std::vector<const config::DestinationRule*>& Snapshot::destinationRules(
    std::string_view ns) const {
  return lookup(destinationRules_, ns);
}

const std::vector<const config::AuthorizationPolicy*>& Snapshot::authorizationPolicies(
    std::string_view ns) const {
  return lookup(authorizationPolicies_, ns);
}

}  // namespace ztls::policy
