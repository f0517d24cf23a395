// Live connections for `ztlsctl connections`, with their own byte counters, and the
// node-wide totals for `ztlsctl status` (closed connections folded into one sum).
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

#include "ztls/api/types.h"
#include "ztls/policy/snapshot.h"
#include "ztls/proxy/counters.h"

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
  // Asked again on every new config: a reason means the connection must go now
  // (Istio's node proxy closes connections that a new policy would refuse).
  std::function<std::optional<std::string>(const policy::Snapshot&)> revalidate;
  // A duplicate of the client-side socket, so the table can end a relay it does not own.
  int killFd = -1;
  ~ConnectionRecord();
};

class ConnectionTable {
 public:
  std::shared_ptr<ConnectionRecord> open(std::shared_ptr<ConnectionRecord> record);
  // Folds the record's counters into the totals of its direction.
  void close(const std::shared_ptr<ConnectionRecord>& record);

  std::vector<api::ConnectionInfo> list() const;
  // Closes (with a reset) every live connection the snapshot no longer allows; returns
  // how many.
  std::size_t enforce(const policy::Snapshot& snapshot);
  // Relay counters of every connection ever opened in that direction.
  proxy::RelayCountersSnapshot totals(const std::string& direction) const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t nextId_ = 1;
  std::list<std::shared_ptr<ConnectionRecord>> live_;
  proxy::RelayCountersSnapshot closedInbound_;
  proxy::RelayCountersSnapshot closedOutbound_;
};

}  // namespace ztls::daemon
