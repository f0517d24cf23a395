// Agent restarts without dropping established kernel TLS connections.
//
// The next agent starts while this one runs (a DaemonSet rolling with maxSurge) and
// connects to this one's hand-over socket in the state directory before it binds anything.
// This agent then closes its listeners and API, pauses each kernel TLS relay at a point
// where nothing is in flight in userspace, and sends each connection's sockets and splice
// pipes (SCM_RIGHTS) with its record. The kernel holds the keys and record sequence
// numbers, so the next agent resumes the relays as they were; nothing is renegotiated.
// Connections it cannot pause (userspace TLS, plaintext, a rewriter at work) stay here and
// drain: this agent exits when they end or the drain time is up.
//
// Messages (handover_wire.h): the new agent sends {"type":"takeover"}; the old one answers
// with one {"type":"connection"} per connection, then {"type":"done"}.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/connection_table.h"
#include "daemon/handover_wire.h"
#include "ztls/tls/kernel_tls.h"
#include "ztls/unique_fd.h"

namespace ztls::daemon {

inline constexpr std::string_view kHandoverSocketName = "handover.sock";

// A kernel TLS connection on its way from one agent to the next.
struct HandedOverConnection {
  // As the old agent listed it; the bytes it moved are in the record's counters.
  std::shared_ptr<ConnectionRecord> record;
  tls::PausedKernelRelay relay;
};

// A connection record as the hand-over carries it; recordFrom throws std::runtime_error
// for JSON that does not describe one.
nlohmann::json recordJson(const ConnectionRecord& record);
std::shared_ptr<ConnectionRecord> recordFrom(const nlohmann::json& json);

// One connection as a message: the JSON body and the descriptors (borrowed) to send.
struct EncodedConnection {
  nlohmann::json body;
  std::vector<int> fds;
};
EncodedConnection encodeConnection(const ConnectionRecord& record,
                                   const tls::PausedKernelRelay& relay);
// Throws std::runtime_error for a message that does not describe a connection, or whose
// descriptors are not the sockets and pipes it names.
HandedOverConnection decodeConnection(HandoverMessage message);

// What the new agent got.
struct Takeover {
  bool found = false;  // an agent answered on the socket
  pid_t previousPid = 0;
  std::vector<HandedOverConnection> connections;
  std::uint64_t draining = 0;         // connections the previous agent keeps until they end
  std::vector<std::string> problems;  // messages that were refused, for the log
};

// Asks the agent serving `socketPath` to hand over and waits for its "done". Without an
// agent there (no socket, nobody listening) returns found=false at once. Throws
// std::runtime_error when an agent answered but the hand-over broke off or timed out: its
// listeners may still be bound, so starting anyway would fail later and less clearly.
Takeover takeOverFrom(const std::filesystem::path& socketPath, std::chrono::milliseconds timeout);

// The old agent's side: the socket a successor connects to.
class HandoverListener {
 public:
  // Replaces whatever file is at `path` (a crashed agent's socket). Throws
  // std::system_error when it cannot bind.
  explicit HandoverListener(std::filesystem::path path);
  ~HandoverListener();
  HandoverListener(const HandoverListener&) = delete;
  HandoverListener& operator=(const HandoverListener&) = delete;

  // Blocks until a successor (a process of this user) asks for a takeover: its connected
  // socket. nullopt once stop() was called. Other callers are logged and dropped.
  std::optional<UniqueFd> waitForTakeover();
  // From any thread: waitForTakeover returns nullopt; the socket file is removed if it is
  // still ours.
  void stop();

 private:
  std::filesystem::path path_;
  UniqueFd listening_;
  UniqueFd wakeup_;  // eventfd
  dev_t device_ = 0;
  ino_t inode_ = 0;
  std::atomic<bool> stopped_{false};
};

// Sends the paused connections and then "done" to the successor.
void sendHandover(int peer, const std::vector<HandedOverConnection>& connections,
                  std::uint64_t draining);

}  // namespace ztls::daemon
