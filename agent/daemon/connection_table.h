// Live connections for `ztlsctl connections`, with their own byte counters, and the
// node-wide totals for `ztlsctl status` (closed connections folded into one sum) and for
// the Prometheus metrics (folded per metric label set).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/inbound_admission.h"
#include "ztls/api/types.h"
#include "ztls/metrics/traffic_labels.h"
#include "ztls/policy/snapshot.h"
#include "ztls/proxy/counters.h"
#include "ztls/tls/kernel_tls.h"

namespace ztls::daemon {

struct ConnectionRecord {
  std::uint64_t id = 0;
  std::string direction;  // "inbound" or "outbound"
  api::ConnectionEndpoint source;
  api::ConnectionEndpoint destination;
  std::string security;  // "mutual_tls" or "plaintext"
  std::string decision;
  std::string reason;
  std::string relay = "userspace";
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  proxy::RelayCounters counters;  // this connection's relay only
  // Istio's metric labels, decided once by ConnectionTable::open() so that a connection
  // stays in one series for its whole life.
  metrics::TrafficLabels labels;
  // Inbound only: asked again on every new config.
  std::optional<InboundAdmission> admission;
  // Inbound mutual TLS only: the X-Forwarded-Client-Cert value its requests get.
  std::string xfcc;
  // Kernel TLS relays only: how the hand-over to the next agent stops this relay.
  std::shared_ptr<tls::KernelRelayPause> pause;
  // A duplicate of the client-side socket, so the table can end a relay it does not own.
  int killFd = -1;
  ~ConnectionRecord();
};

// The metric labels of a connection. With a snapshot, workloads are named by their owner
// (see metrics::workloadName); without one, or for a pod it does not know, by pod name.
metrics::TrafficLabels trafficLabelsOf(const ConnectionRecord& record,
                                       const policy::Snapshot* snapshot);

class ConnectionTable {
 public:
  using SnapshotSource = std::function<std::shared_ptr<const policy::Snapshot>()>;
  // Where open() looks workloads up for the metric labels. Call before the first open().
  void setSnapshotSource(SnapshotSource source);

  // Sets the record's id and metric labels and lists it as live.
  std::shared_ptr<ConnectionRecord> open(std::shared_ptr<ConnectionRecord> record);
  // Folds the record's counters into the totals of its direction and of its labels.
  void close(const std::shared_ptr<ConnectionRecord>& record);

  std::vector<api::ConnectionInfo> list() const;
  std::vector<std::shared_ptr<ConnectionRecord>> liveRecords() const;
  // Closes (with a reset) every live connection the snapshot no longer allows; returns
  // how many.
  std::size_t enforce(const policy::Snapshot& snapshot);
  // Relay counters of every connection ever opened in that direction.
  proxy::RelayCountersSnapshot totals(const std::string& direction) const;
  // Istio's TCP counters per label set: closed connections plus the live ones as they
  // stand. A connection moves from live to closed under one lock: it is counted once.
  metrics::TrafficByLabels traffic() const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t nextId_ = 1;
  std::list<std::shared_ptr<ConnectionRecord>> live_;
  proxy::RelayCountersSnapshot closedInbound_;
  proxy::RelayCountersSnapshot closedOutbound_;
  metrics::TrafficByLabels closedTraffic_;
  SnapshotSource snapshotSource_;
};

}  // namespace ztls::daemon
