#include "mesh_path.h"

#include <stdexcept>

#include "ztls/tls/handshake.h"

namespace ztls::tls::test {

namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

proxy::RelayResult handshakeFailed(const HandshakeResult& result) {
  proxy::RelayResult failed;
  failed.end = proxy::RelayEnd::kError;
  failed.error =
      result.error.error ? result.error.error : std::make_error_code(std::errc::permission_denied);
  return failed;
}

// Relays the session through the kernel when `support` is given and the hand-off works,
// in userspace otherwise.
asio::awaitable<proxy::RelayResult> relayEither(tcp::socket plain, TlsSession session,
                                                const std::optional<KernelTlsSupport>& support,
                                                KernelRelayMode mode, HandoffRefusal& refusal,
                                                proxy::RelayCounters& counters,
                                                proxy::RelayOptions options,
                                                std::unique_ptr<PlaintextRewriter> rewriter,
                                                std::shared_ptr<KernelRelayPause> pause) {
  if (!support) {
    co_return co_await relayTls(std::move(plain), std::move(session), counters, options,
                                std::move(rewriter));
  }
  HandoffResult handoff = handOffToKernel(std::move(session), *support);
  refusal = handoff.refusal;
  if (handoff.kernel) {
    KernelRelayOptions kernelOptions{.relay = options, .mode = mode, .pause = std::move(pause)};
    co_return co_await relayKernelTls(std::move(plain), std::move(*handoff.kernel), counters,
                                      kernelOptions, std::move(rewriter));
  }
  if (handoff.session) {
    co_return co_await relayTls(std::move(plain), std::move(*handoff.session), counters, options,
                                std::move(rewriter));
  }
  proxy::RelayResult broken;
  broken.end = proxy::RelayEnd::kError;
  broken.error = handoff.error;
  co_return broken;
}

proxy::RelayResult wait(std::future<proxy::RelayResult>& future, std::chrono::seconds timeout) {
  if (future.wait_for(timeout) != std::future_status::ready) {
    throw std::runtime_error("the relay did not finish within the timeout");
  }
  return future.get();
}

}  // namespace

MeshPath::MeshPath(std::shared_ptr<const ServerContext> server,
                   std::shared_ptr<const ClientContext> client, const std::string& expectedServerId,
                   MeshPathOptions options)
    : serverContext_(std::move(server)),
      clientContext_(std::move(client)),
      expectedServerId_(expectedServerId),
      options_(std::move(options)) {
  auto [appClient, clientPlain] = net_.rawClientPair();
  auto [clientTls, serverTls] = net_.asioPair();
  auto [serverPlain, appServer] = net_.rawServerPair();
  appClient_ = std::move(appClient);
  appServer_ = std::move(appServer);
  asio::co_spawn(
      net_.io(), runClient(std::move(clientPlain), std::move(clientTls)),
      asio::bind_cancellation_slot(cancelClient_.slot(),
                                   [this](std::exception_ptr error, proxy::RelayResult result) {
                                     if (error) {
                                       clientResult_.set_exception(error);
                                     } else {
                                       clientResult_.set_value(result);
                                     }
                                   }));
  asio::co_spawn(net_.io(), runServer(std::move(serverPlain), std::move(serverTls)),
                 [this](std::exception_ptr error, proxy::RelayResult result) {
                   if (error) {
                     serverResult_.set_exception(error);
                   } else {
                     serverResult_.set_value(result);
                   }
                 });
  // Kept alive while a held session waits for the end of the test.
  thread_ = std::thread([this] {
    auto work = asio::make_work_guard(net_.io());
    net_.io().run();
  });
}

MeshPath::~MeshPath() {
  net_.io().stop();
  thread_.join();
}

asio::awaitable<proxy::RelayResult> MeshPath::runClient(tcp::socket plain, tcp::socket tls) {
  HandshakeResult handshake =
      co_await connectMesh(std::move(tls), clientContext_, expectedServerId_, 10s);
  if (!handshake.ok()) co_return handshakeFailed(handshake);
  std::unique_ptr<PlaintextRewriter> noRewriter;
  co_return co_await relayEither(
      std::move(plain), std::move(*handshake.session), options_.clientKernel, options_.kernelMode,
      clientHandoff_, clientCounters, options_.relay, std::move(noRewriter), options_.clientPause);
}

asio::awaitable<proxy::RelayResult> MeshPath::runServer(tcp::socket plain, tcp::socket tls) {
  HandshakeResult handshake = co_await acceptMesh(std::move(tls), serverContext_, 10s);
  if (!handshake.ok()) co_return handshakeFailed(handshake);
  if (options_.serverAction) {
    options_.serverAction(*handshake.session);
    heldServerSession_ = std::move(handshake.session);
    co_return proxy::RelayResult{};
  }
  // A named local, not a temporary in the co_await expression: g++ 12 mishandles
  // conditional temporaries there.
  std::unique_ptr<PlaintextRewriter> rewriter;
  if (options_.serverRewriter) rewriter = options_.serverRewriter();
  co_return co_await relayEither(std::move(plain), std::move(*handshake.session),
                                 options_.serverKernel, options_.kernelMode, serverHandoff_,
                                 serverCounters, options_.relay, std::move(rewriter), nullptr);
}

proxy::RelayResult MeshPath::clientRelay(std::chrono::seconds timeout) {
  return wait(clientFuture_, timeout);
}

proxy::RelayResult MeshPath::serverRelay(std::chrono::seconds timeout) {
  return wait(serverFuture_, timeout);
}

bool MeshPath::pauseClientRelay() {
  std::promise<bool> accepted;
  asio::post(net_.io(), [&] { accepted.set_value(options_.clientPause->request()); });
  return accepted.get_future().get();
}

std::future<proxy::RelayResult> MeshPath::resumeRelay(PausedKernelRelay paused,
                                                      proxy::RelayCounters& counters) {
  auto result = std::make_shared<std::promise<proxy::RelayResult>>();
  auto future = result->get_future();
  asio::co_spawn(net_.io(), resumeKernelTls(net_.io().get_executor(), std::move(paused), counters),
                 [result](std::exception_ptr error, proxy::RelayResult relayed) {
                   if (error) {
                     result->set_exception(error);
                   } else {
                     result->set_value(relayed);
                   }
                 });
  return future;
}

void MeshPath::cancelClientRelay() {
  asio::post(net_.io(), [this] { cancelClient_.emit(asio::cancellation_type::terminal); });
}

}  // namespace ztls::tls::test
