#include "daemon/connection_table.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace ztls::daemon {
namespace {

void add(proxy::RelayCountersSnapshot& sum, const proxy::RelayCountersSnapshot& more) {
  sum.connectionsOpened += more.connectionsOpened;
  sum.connectionsClosed += more.connectionsClosed;
  sum.connectionsActive += more.connectionsActive;
  sum.bytesDownstreamToUpstream += more.bytesDownstreamToUpstream;
  sum.bytesUpstreamToDownstream += more.bytesUpstreamToDownstream;
  sum.resets += more.resets;
  sum.errors += more.errors;
  sum.cancelled += more.cancelled;
  sum.acceptErrors += more.acceptErrors;
  sum.handlerErrors += more.handlerErrors;
  sum.connectFailures += more.connectFailures;
  sum.connectTimeouts += more.connectTimeouts;
}

// One end as the forwarder describes it: workload "ns/pod" when known, else empty.
metrics::Peer peerOf(const api::ConnectionEndpoint& endpoint, const policy::Snapshot* snapshot) {
  metrics::Peer peer;
  peer.principal = endpoint.identity;
  const auto slash = endpoint.workload.find('/');
  if (slash == std::string::npos) return peer;
  peer.namespace_ = endpoint.workload.substr(0, slash);
  const std::string podName = endpoint.workload.substr(slash + 1);
  peer.workload = podName;
  const policy::Workload* known =
      snapshot != nullptr ? snapshot->findWorkload(peer.namespace_, podName) : nullptr;
  if (known != nullptr && known->kind == config::Kind::kPod) {
    peer.workload = metrics::workloadName(podName, known->labels);
  }
  return peer;
}

// The relays' downstream is the client side in both directions.
void addTo(metrics::TrafficByLabels& traffic, const ConnectionRecord& record, bool closed) {
  const auto counters = record.counters.snapshot();
  traffic[record.labels].addConnection(closed, counters.bytesDownstreamToUpstream,
                                       counters.bytesUpstreamToDownstream);
}

}  // namespace

metrics::TrafficLabels trafficLabelsOf(const ConnectionRecord& record,
                                       const policy::Snapshot* snapshot) {
  return metrics::trafficLabels(record.direction, record.security, peerOf(record.source, snapshot),
                                peerOf(record.destination, snapshot));
}

void ConnectionTable::setSnapshotSource(SnapshotSource source) {
  snapshotSource_ = std::move(source);
}

ConnectionRecord::~ConnectionRecord() {
  if (killFd >= 0) ::close(killFd);
}

std::size_t ConnectionTable::enforce(const policy::Snapshot& snapshot) {
  std::vector<std::pair<std::shared_ptr<ConnectionRecord>, std::string>> doomed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& record : live_) {
      if (!record->admission || record->killFd < 0) continue;
      if (auto reason = record->admission->recheck(snapshot)) {
        doomed.emplace_back(record, *reason);
      }
    }
  }
  for (const auto& [record, reason] : doomed) {
    spdlog::warn("{} closed by policy src={} src_identity={} dst={} dst_workload={} reason=\"{}\"",
                 record->direction, record->source.address, record->source.identity,
                 record->destination.address, record->destination.workload, reason);
    // A zero linger turns the last close into a reset; shutdown wakes the relay now.
    const linger abortive{1, 0};
    ::setsockopt(record->killFd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    ::shutdown(record->killFd, SHUT_RDWR);
  }
  return doomed.size();
}

std::shared_ptr<ConnectionRecord> ConnectionTable::open(std::shared_ptr<ConnectionRecord> record) {
  // Outside the table's lock: the snapshot source takes a lock of its own.
  const auto snapshot = snapshotSource_ ? snapshotSource_() : nullptr;
  record->labels = trafficLabelsOf(*record, snapshot.get());
  std::lock_guard lock(mutex_);
  record->id = nextId_++;
  live_.push_back(record);
  return record;
}

void ConnectionTable::close(const std::shared_ptr<ConnectionRecord>& record) {
  std::lock_guard lock(mutex_);
  const auto found = std::find(live_.begin(), live_.end(), record);
  if (found == live_.end()) return;
  add(record->direction == "inbound" ? closedInbound_ : closedOutbound_,
      record->counters.snapshot());
  addTo(closedTraffic_, *record, true);
  live_.erase(found);
}

std::vector<std::shared_ptr<ConnectionRecord>> ConnectionTable::liveRecords() const {
  std::lock_guard lock(mutex_);
  return {live_.begin(), live_.end()};
}

std::vector<api::ConnectionInfo> ConnectionTable::list() const {
  std::lock_guard lock(mutex_);
  std::vector<api::ConnectionInfo> connections;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& record : live_) {
    const auto counters = record->counters.snapshot();
    connections.push_back(
        {record->id, record->direction, record->source, record->destination, record->security,
         counters.bytesDownstreamToUpstream, counters.bytesUpstreamToDownstream, record->decision,
         record->reason,
         static_cast<std::uint64_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(now - record->started).count()),
         record->relay});
  }
  return connections;
}

proxy::RelayCountersSnapshot ConnectionTable::totals(const std::string& direction) const {
  std::lock_guard lock(mutex_);
  proxy::RelayCountersSnapshot sum = direction == "inbound" ? closedInbound_ : closedOutbound_;
  for (const auto& record : live_) {
    if (record->direction == direction) add(sum, record->counters.snapshot());
  }
  return sum;
}

metrics::TrafficByLabels ConnectionTable::traffic() const {
  std::lock_guard lock(mutex_);
  metrics::TrafficByLabels traffic = closedTraffic_;
  for (const auto& record : live_) addTo(traffic, *record, false);
  return traffic;
}

}  // namespace ztls::daemon
