// The node's eBPF capture: loads the programs of bpf/, keeps their maps and
// links pinned under one bpffs directory, and is the agent's only way to
// change what the kernel captures.
//
// State lives in the pins, not in this object: destroying it (agent exit or
// crash) leaves enrolled pods captured and fail-closed, and Capture::open on
// the same directory picks the maps up again and swaps the new programs into
// the pinned links without a gap.
//
// Control-path methods throw std::system_error (errno and the path or object
// involved) or std::runtime_error; the data-path method is noexcept. Every
// method is one or a few syscalls on kernel objects and may be called from
// several threads, but calls for the same namespace must not overlap.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "ztls/bpf/abi.h"
#include "ztls/bpf/verdict.h"

namespace ztls::bpf {

class Capture {
 public:
  // Mounts bpffs on /sys/fs/bpf if nothing is mounted there, creates pinDir
  // (which must be on bpffs, e.g. /sys/fs/bpf/ztls/<cluster>-<node>), loads
  // the programs and reuses the maps pinned in pinDir, pinning new ones
  // otherwise. A pinned map whose shape no longer matches the programs
  // (changed abi.h) is an error, never silently replaced.
  [[nodiscard]] static Capture open(const std::filesystem::path& pinDir);

  Capture(Capture&&) noexcept;
  Capture& operator=(Capture&&) noexcept;
  ~Capture();

  const std::filesystem::path& pinDir() const noexcept;

  // Runs the outbound hooks (connect4, connect6, sockops) for every process
  // of the cgroup v2 directory and its descendants. The links are pinned as
  // pinDir/{connect4,connect6,sockops}; links already pinned there are
  // switched to this object's programs atomically. Idempotent.
  void attachCgroup(const std::filesystem::path& cgroupDir);

  // Captures the pod whose network namespace is netnsFd: its TCP
  // connections to non-loopback destinations are redirected to
  // 127.0.0.1:outboundPort (IPv4 and IPv4-mapped destinations) or
  // [::1]:outboundPort (IPv6) in that namespace, and incoming TCP connections
  // are steered to the listener set for the destination address or, with
  // none, refused. Set the pod's inbound listeners first. The sk_lookup link
  // is pinned as pinDir/pods/<cookie>/sk_lookup. Idempotent; enrolling again
  // updates the port.
  void enrollNetns(std::uint64_t netnsCookie, int netnsFd,
                   std::uint16_t outboundPort = ZTLS_OUTBOUND_PORT);
  // Stops capturing the pod. Releasing a namespace not enrolled is a no-op.
  void releaseNetns(std::uint64_t netnsCookie);
  std::vector<std::uint64_t> enrolledNetns() const;

  // listenerFd must be a listening TCP socket created inside the pod's
  // namespace (a listener in another namespace is accepted by the kernel but
  // never answers). It leaves the map by itself when it is closed.
  void setInboundListener(const ztls_inbound_key& podAddress, int listenerFd);
  void clearInboundListener(const ztls_inbound_key& podAddress);

  // The original destination of a redirected outbound connection, given the
  // namespace of the agent's accepting socket and that socket's peer
  // address. Each destination is handed out once; nullopt if unknown.
  std::optional<ztls_addr> takeOriginalDestination(std::uint64_t netnsCookie,
                                                   const sockaddr_storage& clientAddress) noexcept;

  VerdictCounters verdictCounters() const;

  // Detaches every link pinned under pinDir, removes all pins and the
  // directory itself; a missing pinDir is fine. For teardown: it ends the
  // capture of the whole node.
  static void removePins(const std::filesystem::path& pinDir);

  struct State;  // agent/bpf/capture_state.h

 private:
  explicit Capture(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ztls::bpf
