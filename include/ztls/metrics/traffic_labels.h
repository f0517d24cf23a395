// Istio's standard TCP metrics as the node agent reports them: the labels of one
// connection (decided once, when it opens) and the counts kept per label set.
//
// Names and values follow Istio's standard metrics, as ztunnel exports them:
// reporter is "source" on the client's node (outbound) and "destination" on the
// server's (inbound); principals are the SPIFFE IDs proven in the mutual TLS handshake,
// "unknown" otherwise; a workload is named by its owner (a Deployment's pods by the
// Deployment), "unknown" when the address is not a known workload. One series per
// workload pair and security, never per connection or port, so cardinality stays bounded.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace ztls::metrics {

inline constexpr std::string_view kUnknown = "unknown";

struct TrafficLabels {
  std::string reporter{kUnknown};
  std::string sourceWorkload{kUnknown};
  std::string sourceWorkloadNamespace{kUnknown};
  std::string sourcePrincipal{kUnknown};
  std::string destinationWorkload{kUnknown};
  std::string destinationWorkloadNamespace{kUnknown};
  std::string destinationPrincipal{kUnknown};
  std::string requestProtocol = "tcp";
  std::string connectionSecurityPolicy{kUnknown};

  // clang-tidy 14 misreads the defaulted comparison as a literal-0 comparison.
  auto operator<=>(const TrafficLabels&) const = default;  // NOLINT(modernize-use-nullptr)
};

// One end of a connection as the agent knows it. Empty fields become "unknown".
struct Peer {
  std::string namespace_;
  std::string workload;   // see workloadName()
  std::string principal;  // SPIFFE ID verified in the handshake
};

// direction: the agent's "inbound"/"outbound"; security: "mutual_tls" or "plaintext".
TrafficLabels trafficLabels(std::string_view direction, std::string_view security,
                            const Peer& source, const Peer& destination);

// The workload a pod belongs to: a Deployment's pod is named
// <deployment>-<pod-template-hash>-<suffix> and carries the hash as a label, so the
// Deployment's name is what precedes "-<hash>-" (how Istio derives it from the
// ReplicaSet). Any other pod is its own workload.
std::string workloadName(std::string_view podName,
                         const std::map<std::string, std::string>& podLabels);

// Istio's TCP counters for one label set. Bytes follow Istio's definition: "received"
// is the request direction (source to destination), "sent" the response direction.
struct TrafficCounts {
  std::uint64_t opened = 0;
  std::uint64_t closed = 0;
  std::uint64_t receivedBytes = 0;
  std::uint64_t sentBytes = 0;

  // One connection, live or closed, with the bytes its relay moved each way.
  void addConnection(bool isClosed, std::uint64_t sourceToDestinationBytes,
                     std::uint64_t destinationToSourceBytes);
};

using TrafficByLabels = std::map<TrafficLabels, TrafficCounts>;

}  // namespace ztls::metrics
