// An agent hand-over on a kernel with kernel TLS: a relay paused mid-transfer, its sockets
// and pipes sent over the hand-over socket as the old agent sends them, and resumed by the
// receiver, loses and repeats nothing in either direction.
#include "daemon/handover.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "exchange.h"
#include "kernel_support.h"
#include "mesh_fixture.h"
#include "mesh_path.h"
#include "pattern.h"
#include "ztls/tls/kernel_tls.h"

namespace ztls::tls::test {
namespace {

using namespace std::chrono_literals;
using proxy::RelayEnd;

class Handover : public MeshTest {};

// Through the real wire: encodeConnection, SCM_RIGHTS over a SOCK_SEQPACKET pair, and
// decodeConnection (which checks the socket really has the TLS layer). The sender's copies
// of the descriptors close before the relay resumes, as when the old agent exits.
PausedKernelRelay sendAcross(PausedKernelRelay paused) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    throw std::system_error(errno, std::system_category(), "socketpair");
  }
  UniqueFd sender(pair[0]);
  UniqueFd receiver(pair[1]);
  daemon::ConnectionRecord record;
  record.direction = "outbound";
  record.security = "mutual_tls";
  record.relay = "kernel-tls/splice";
  {
    const daemon::EncodedConnection encoded = daemon::encodeConnection(record, paused);
    daemon::sendHandoverMessage(sender.get(), encoded.body, encoded.fds);
    paused = PausedKernelRelay{};  // closes this side's descriptors
  }
  auto message = daemon::receiveHandoverMessage(receiver.get());
  if (!message) throw std::runtime_error("no hand-over message");
  return daemon::decodeConnection(std::move(*message)).relay;
}

TEST_F(Handover, APausedRelayResumedFromItsDescriptorsIsByteExactBothWays) {
  ASSERT_KERNEL_TLS();
  MeshPathOptions options;
  options.clientKernel = kernel();
  options.serverKernel = kernel();
  const auto pause = std::make_shared<KernelRelayPause>();
  options.clientPause = pause;
  MeshPath path(serverContext({.kernelTlsHandoff = true}),
                clientContext({.kernelTlsHandoff = true}), kServerId, std::move(options));
  constexpr std::uint64_t kBytes = 32 << 20;
  BackgroundExchange transfer(path.appClient().get(), path.appServer().get(), kBytes);

  // Pause once both directions are well under way.
  const auto moving = [&] {
    return path.clientCounters.bytesDownstreamToUpstream > kBytes / 8 &&
           path.clientCounters.bytesUpstreamToDownstream > kBytes / 8;
  };
  for (int i = 0; i < 6000 && !moving(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(moving()) << "the transfer did not get going";
  bool accepted = false;
  for (int i = 0; i < 1000 && !accepted; ++i) accepted = path.pauseClientRelay();
  ASSERT_TRUE(accepted) << "the relay never accepted the pause";
  const proxy::RelayResult first = path.clientRelay();
  EXPECT_EQ(first.end, RelayEnd::kClosed) << first.error.message();
  ASSERT_EQ(pause->state(), KernelRelayPause::State::kPaused);
  // Nobody relays for a moment: the apps and the kernel queue what they have.
  std::this_thread::sleep_for(300ms);
  PausedKernelRelay paused = sendAcross(std::move(*pause->paused()));
  proxy::RelayCounters resumedCounters;
  auto resumed = path.resumeRelay(std::move(paused), resumedCounters);

  const Exchange exchanged = transfer.finish();
  ASSERT_EQ(resumed.wait_for(120s), std::future_status::ready);
  const proxy::RelayResult second = resumed.get();
  EXPECT_EQ(second.end, RelayEnd::kClosed) << second.error.message();
  expectExact(exchanged, kBytes);
  // Each byte was relayed once: by the first relay or by the resumed one.
  EXPECT_GT(first.bytesDownstreamToUpstream, 0u);
  EXPECT_GT(second.bytesDownstreamToUpstream, 0u);
  EXPECT_EQ(first.bytesDownstreamToUpstream + second.bytesDownstreamToUpstream, kBytes);
  EXPECT_EQ(first.bytesUpstreamToDownstream + second.bytesUpstreamToDownstream, kBytes);
  const proxy::RelayResult server = path.serverRelay();
  EXPECT_EQ(server.end, RelayEnd::kClosed) << server.error.message();
}

}  // namespace
}  // namespace ztls::tls::test
