// How connections end: half-close in either order, and resets from either side.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <thread>

#include "pattern.h"
#include "relay_harness.h"
#include "test_sockets.h"

namespace ztls::proxy::test {
namespace {

constexpr std::uint64_t kRequestSeed = 1;
constexpr std::uint64_t kReplySeed = 2;
constexpr std::uint64_t kRequestBytes = 1 << 20;
constexpr std::uint64_t kReplyBytes = 3 << 20;

struct Peers {
  Fd server = listenLoopback();
  RelayHarness harness{loopback(localPort(server.get()))};
  Fd client = connectLoopback(harness.port());
  Fd accepted = acceptOne(server.get());
};

TEST(RelayClose, ClientHalfCloseStillGetsTheWholeReply) {
  Peers peers;
  Transfer requestSent, replyReceived;
  std::thread client([&] {
    requestSent = sendPattern(peers.client.get(), kRequestSeed, kRequestBytes);
    replyReceived = receivePattern(peers.client.get(), kReplySeed);
  });
  // The server answers only once it has seen the end of the request.
  const Transfer requestReceived = receivePattern(peers.accepted.get(), kRequestSeed);
  const Transfer replySent = sendPattern(peers.accepted.get(), kReplySeed, kReplyBytes);
  peers.accepted.reset();
  client.join();

  EXPECT_EQ(requestSent.error, 0) << errnoName(requestSent.error);
  EXPECT_EQ(requestReceived.error, 0) << errnoName(requestReceived.error);
  EXPECT_FALSE(requestReceived.mismatch);
  EXPECT_EQ(requestReceived.bytes, kRequestBytes);
  EXPECT_EQ(replySent.error, 0) << errnoName(replySent.error);
  EXPECT_EQ(replyReceived.error, 0) << errnoName(replyReceived.error);
  EXPECT_FALSE(replyReceived.mismatch);
  EXPECT_EQ(replyReceived.bytes, kReplyBytes) << "the client must see the whole reply, then EOF";

  const RelayResult result = peers.harness.nextResult();
  EXPECT_EQ(result.end, RelayEnd::kClosed) << result.error.message();
  EXPECT_EQ(result.bytesDownstreamToUpstream, kRequestBytes);
  EXPECT_EQ(result.bytesUpstreamToDownstream, kReplyBytes);
  EXPECT_FALSE(result.error);
}

TEST(RelayClose, ServerHalfCloseStillGetsTheWholeRequest) {
  Peers peers;
  Transfer replySent, requestReceived;
  std::thread server([&] {
    replySent = sendPattern(peers.accepted.get(), kReplySeed, kReplyBytes);
    requestReceived = receivePattern(peers.accepted.get(), kRequestSeed);
  });
  const Transfer replyReceived = receivePattern(peers.client.get(), kReplySeed);
  const Transfer requestSent = sendPattern(peers.client.get(), kRequestSeed, kRequestBytes);
  server.join();

  EXPECT_EQ(replyReceived.error, 0) << errnoName(replyReceived.error);
  EXPECT_EQ(replyReceived.bytes, kReplyBytes);
  EXPECT_FALSE(replyReceived.mismatch);
  EXPECT_EQ(requestSent.error, 0) << errnoName(requestSent.error);
  EXPECT_EQ(requestReceived.error, 0) << errnoName(requestReceived.error);
  EXPECT_EQ(requestReceived.bytes, kRequestBytes);
  EXPECT_FALSE(requestReceived.mismatch);
  peers.accepted.reset();
  EXPECT_EQ(drainUntilClosed(peers.client.get()), 0);
  EXPECT_EQ(peers.harness.nextResult().end, RelayEnd::kClosed);
}

TEST(RelayClose, ServerResetReachesTheClientAsReset) {
  Peers peers;
  const std::byte hello[5] = {};
  sendAll(peers.client.get(), hello);
  std::byte received[5];
  ASSERT_EQ(::recv(peers.accepted.get(), received, sizeof(received), MSG_WAITALL), 5);
  resetClose(peers.accepted);

  const int clientError = drainUntilClosed(peers.client.get());
  EXPECT_EQ(clientError, ECONNRESET) << "got " << errnoName(clientError);
  const RelayResult result = peers.harness.nextResult();
  EXPECT_EQ(result.end, RelayEnd::kReset);
  EXPECT_EQ(result.side, Side::kUpstream);
  EXPECT_EQ(result.error, asio::error::connection_reset) << result.error.message();
  EXPECT_EQ(result.bytesDownstreamToUpstream, 5u);
  EXPECT_EQ(peers.harness.counters.resets.load(), 1u);
  EXPECT_EQ(peers.harness.counters.connectionsActive.load(), 0u);
}

TEST(RelayClose, ClientResetReachesTheServerAsReset) {
  Peers peers;
  resetClose(peers.client);

  EXPECT_EQ(drainUntilClosed(peers.accepted.get()), ECONNRESET);
  const RelayResult result = peers.harness.nextResult();
  EXPECT_EQ(result.end, RelayEnd::kReset);
  EXPECT_EQ(result.side, Side::kDownstream);
  EXPECT_EQ(peers.harness.counters.resets.load(), 1u);
}

TEST(RelayClose, ResetAfterHalfCloseStillResetsThePeer) {
  Peers peers;
  // The client is done sending; the server fails while the client waits for a reply.
  ASSERT_EQ(::shutdown(peers.client.get(), SHUT_WR), 0);
  ASSERT_EQ(drainUntilClosed(peers.accepted.get()), 0);
  resetClose(peers.accepted);

  EXPECT_EQ(drainUntilClosed(peers.client.get()), ECONNRESET);
  const RelayResult result = peers.harness.nextResult();
  EXPECT_EQ(result.end, RelayEnd::kReset);
  EXPECT_EQ(result.side, Side::kUpstream);
}

}  // namespace
}  // namespace ztls::proxy::test
