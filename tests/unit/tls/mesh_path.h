// A whole mesh path on loopback, as two agents would run it:
//
//   app client --plain--> [relayTls, client session] --TLS--> [relayTls, server session]
//   --plain--> app server
//
// The apps are blocking raw sockets for the test thread; both agents run on one io_context
// in a thread of their own.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "loopback.h"
#include "ztls/proxy/relay.h"
#include "ztls/tls/context.h"
#include "ztls/tls/kernel_tls.h"
#include "ztls/tls/relay.h"
#include "ztls/tls/session.h"

namespace ztls::tls::test {

struct MeshPathOptions {
  proxy::RelayOptions relay;
  // When set, the server agent does not relay: it runs this on its session (on the agent
  // thread) and keeps the session open until the path is destroyed.
  std::function<void(TlsSession&)> serverAction;
  // Given to the server agent's relay when set.
  std::function<std::unique_ptr<PlaintextRewriter>()> serverRewriter;
  // When set, that agent tries handOffToKernel with this support after its handshake and
  // relays with relayKernelTls on success, relayTls when refused (see clientHandoff()).
  std::optional<KernelTlsSupport> clientKernel;
  std::optional<KernelTlsSupport> serverKernel;
  KernelRelayMode kernelMode = KernelRelayMode::kSplice;
  // Given to the client agent's kernel TLS relay, so the test can pause it.
  std::shared_ptr<KernelRelayPause> clientPause;
};

class MeshPath {
 public:
  MeshPath(std::shared_ptr<const ServerContext> server, std::shared_ptr<const ClientContext> client,
           const std::string& expectedServerId, MeshPathOptions options = {});
  ~MeshPath();

  Fd& appClient() { return appClient_; }
  Fd& appServer() { return appServer_; }

  // Throw std::runtime_error if the relay does not finish within the timeout.
  proxy::RelayResult clientRelay(std::chrono::seconds timeout = std::chrono::seconds(60));
  proxy::RelayResult serverRelay(std::chrono::seconds timeout = std::chrono::seconds(60));

  // Terminal cancellation of the client-side relay, from the agent thread.
  void cancelClientRelay();

  // Asks the client relay to pause (MeshPathOptions::clientPause), on the agent thread;
  // true when it accepted. clientRelay() then returns once it has stopped.
  bool pauseClientRelay();
  // Carries on a paused relay on the agent thread, as the next agent would.
  std::future<proxy::RelayResult> resumeRelay(PausedKernelRelay paused,
                                              proxy::RelayCounters& counters);

  // What the hand-off said, once that relay finished (kNone: the kernel took the session,
  // or no hand-off was asked for).
  HandoffRefusal clientHandoff() const { return clientHandoff_; }
  HandoffRefusal serverHandoff() const { return serverHandoff_; }

  proxy::RelayCounters clientCounters;
  proxy::RelayCounters serverCounters;

 private:
  asio::awaitable<proxy::RelayResult> runClient(asio::ip::tcp::socket plain,
                                                asio::ip::tcp::socket tls);
  asio::awaitable<proxy::RelayResult> runServer(asio::ip::tcp::socket plain,
                                                asio::ip::tcp::socket tls);

  std::shared_ptr<const ServerContext> serverContext_;
  std::shared_ptr<const ClientContext> clientContext_;
  std::string expectedServerId_;
  MeshPathOptions options_;
  Loopback net_;
  Fd appClient_;
  Fd appServer_;
  std::optional<TlsSession> heldServerSession_;
  HandoffRefusal clientHandoff_ = HandoffRefusal::kNone;
  HandoffRefusal serverHandoff_ = HandoffRefusal::kNone;
  asio::cancellation_signal cancelClient_;
  std::promise<proxy::RelayResult> clientResult_;
  std::promise<proxy::RelayResult> serverResult_;
  std::future<proxy::RelayResult> clientFuture_ = clientResult_.get_future();
  std::future<proxy::RelayResult> serverFuture_ = serverResult_.get_future();
  std::thread thread_;
};

}  // namespace ztls::tls::test
