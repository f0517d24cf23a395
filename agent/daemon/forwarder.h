// The per-connection data path. Outbound: the original destination (a Service cluster
// IP resolved to one endpoint with the agent's own snapshot), then the client TLS
// decision: mutual TLS with the source workload's certificate and the endpoint's
// expected identity, plaintext, or a reset. Inbound: sniff the first bytes; mesh TLS is
// terminated with the destination workload's certificate, anything else is accepted or
// reset by the port's PeerAuthentication mode; then AuthorizationPolicy; then the app.
#pragma once

#include <array>
#include <atomic>
#include <memory>

#include "daemon/access_log.h"
#include "daemon/config_source.h"
#include "daemon/connection_table.h"
#include "daemon/mesh_identity.h"
#include "daemon/pod_context.h"
#include "ztls/bpf/capture.h"
#include "ztls/proxy/asio.h"
#include "ztls/proxy/counters.h"
#include "ztls/tls/kernel_tls.h"

namespace ztls::daemon {

struct DataPathCounters {
  // Listener and upstream-connect failures per direction; relays count into their
  // connection's own record in `connections`.
  proxy::RelayCounters inbound;
  proxy::RelayCounters outbound;
  ConnectionTable connections;
  std::atomic<std::uint64_t> outboundWithoutDestination{0};
  std::atomic<std::uint64_t> serviceWithoutEndpoints{0};
  std::atomic<std::uint64_t> loopsRefused{0};
  std::atomic<std::uint64_t> handshakeFailures{0};
  std::atomic<std::uint64_t> resumedHandshakes{0};  // by a ticket, either direction
  std::atomic<std::uint64_t> strictRejections{0};   // non-mesh traffic to a STRICT port
  std::atomic<std::uint64_t> authorizationDenials{0};
  std::atomic<std::uint64_t> clientPolicyDenials{0};  // SIMPLE/MUTUAL, mTLS to no agent
  // Mesh sessions handed to kernel TLS, and those that stayed in userspace although the
  // kernel offers it, by tls::HandoffRefusal.
  std::atomic<std::uint64_t> kernelTlsHandoffs{0};
  std::array<std::atomic<std::uint64_t>, tls::kHandoffRefusalCount> kernelTlsFallbacks{};
  // Kernel TLS connections the previous agent handed over (see handover.h).
  std::atomic<std::uint64_t> kernelTlsTakenOver{0};
};

class Forwarder {
 public:
  struct Timeouts {
    // How long an inbound connection may stay silent before it counts as plaintext from a
    // server-speaks-first client (PERMISSIVE) or is closed (STRICT).
    std::chrono::milliseconds firstBytes{200};
    std::chrono::milliseconds handshake{5000};
  };

  Forwarder(ConfigSource& config, bpf::Capture& capture, MeshIdentity& identity,
            DataPathCounters& counters, const tls::KernelTlsSupport& kernelTls, Timeouts timeouts,
            AccessLogFormat accessLogFormat)
      : config_(config),
        capture_(capture),
        identity_(identity),
        counters_(counters),
        kernelTls_(kernelTls),
        timeouts_(timeouts),
        accessLog_(accessLogFormat) {}

  asio::awaitable<void> inbound(std::shared_ptr<const PodContext> pod,
                                asio::ip::tcp::socket downstream);
  asio::awaitable<void> outbound(std::shared_ptr<const PodContext> pod,
                                 asio::ip::tcp::socket downstream);
  // Carries on a kernel TLS connection the previous agent handed over (see handover.h).
  // The record is listed already.
  asio::awaitable<void> resume(std::shared_ptr<ConnectionRecord> record,
                               tls::PausedKernelRelay relay);

 private:
  // Where a mesh session's records will be protected: the kernel, or OpenSSL.
  struct MeshRelayPlan {
    std::optional<tls::KernelTlsSocket> kernel;
    std::optional<tls::TlsSession> session;
    std::error_code broken;  // neither: the hand-off failed half-way
  };
  // Tries the kernel TLS hand-off (when the kernel offers it) and notes the outcome in the
  // record and the counters. Call before the record is listed: it sets record.relay.
  MeshRelayPlan handOff(tls::TlsSession session, ConnectionRecord& record);
  asio::awaitable<proxy::RelayResult> relayMesh(asio::ip::tcp::socket plain, MeshRelayPlan plan,
                                                ConnectionRecord& record,
                                                std::unique_ptr<tls::PlaintextRewriter> rewriter);

  // Unlists the record and writes its access log line.
  void finish(const std::shared_ptr<ConnectionRecord>& record, const proxy::RelayResult& result);

  // A cluster IP:port becomes one endpoint's pod IP:targetPort; anything else as is.
  // One snapshot decides a whole connection: the caller passes the one it decides with.
  std::optional<asio::ip::tcp::endpoint> resolve(const policy::Snapshot& snapshot,
                                                 const asio::ip::tcp::endpoint& original);

  ConfigSource& config_;
  bpf::Capture& capture_;
  MeshIdentity& identity_;
  DataPathCounters& counters_;
  const tls::KernelTlsSupport& kernelTls_;
  Timeouts timeouts_;
  AccessLog accessLog_;
  std::atomic<std::uint64_t> roundRobin_{0};
};

}  // namespace ztls::daemon
