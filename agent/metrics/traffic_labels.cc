#include "ztls/metrics/traffic_labels.h"

namespace ztls::metrics {
namespace {

std::string orUnknown(const std::string& value) {
  return value.empty() ? std::string(kUnknown) : value;
}

}  // namespace

TrafficLabels trafficLabels(std::string_view direction, std::string_view security,
                            const Peer& source, const Peer& destination) {
  TrafficLabels labels;
  // The client's node proxy reports as "source", the server's as "destination".
  labels.reporter = direction == "outbound" ? "source" : "destination";
  labels.sourceWorkload = orUnknown(source.workload);
  labels.sourceWorkloadNamespace = orUnknown(source.namespace_);
  labels.sourcePrincipal = orUnknown(source.principal);
  labels.destinationWorkload = orUnknown(destination.workload);
  labels.destinationWorkloadNamespace = orUnknown(destination.namespace_);
  labels.destinationPrincipal = orUnknown(destination.principal);
  // Istio's values: "mutual_tls", or "none" for a connection without it.
  labels.connectionSecurityPolicy = security == "mutual_tls" ? "mutual_tls" : "none";
  return labels;
}

std::string workloadName(std::string_view podName,
                         const std::map<std::string, std::string>& podLabels) {
  const auto hash = podLabels.find("pod-template-hash");
  if (hash == podLabels.end() || hash->second.empty()) return std::string(podName);
  const std::string marker = "-" + hash->second + "-";
  const auto at = podName.rfind(marker);
  // The hash must be followed by the pod's own suffix, and something must precede it.
  if (at == std::string_view::npos || at == 0 || at + marker.size() >= podName.size()) {
    return std::string(podName);
  }
  return std::string(podName.substr(0, at));
}

void TrafficCounts::addConnection(bool isClosed, std::uint64_t sourceToDestinationBytes,
                                  std::uint64_t destinationToSourceBytes) {
  ++opened;
  if (isClosed) ++closed;
  receivedBytes += sourceToDestinationBytes;
  sentBytes += destinationToSourceBytes;
}

}  // namespace ztls::metrics
