// Volume: both directions at once, every byte checked, nothing held in memory.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "pattern.h"
#include "relay_harness.h"
#include "test_sockets.h"

namespace ztls::proxy::test {
namespace {

constexpr std::uint64_t kGibibyte = std::uint64_t{1} << 30;
constexpr std::uint64_t kClientSeed = 0x636c69656e74;  // "client"
constexpr std::uint64_t kServerSeed = 0x736572766572;  // "server"

TEST(RelayBulk, OneGibibyteEachWayAtOnceArrivesByteExact) {
  Fd server = listenLoopback();
  RelayHarness harness(loopback(localPort(server.get())));
  Fd client = connectLoopback(harness.port());
  Fd accepted = acceptOne(server.get());

  const auto started = std::chrono::steady_clock::now();
  Transfer clientSent, serverSent, serverReceived, clientReceived;
  std::thread clientWriter([&] { clientSent = sendPattern(client.get(), kClientSeed, kGibibyte); });
  std::thread serverWriter(
      [&] { serverSent = sendPattern(accepted.get(), kServerSeed, kGibibyte); });
  std::thread serverReader([&] { serverReceived = receivePattern(accepted.get(), kClientSeed); });
  clientReceived = receivePattern(client.get(), kServerSeed);
  clientWriter.join();
  serverWriter.join();
  serverReader.join();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;

  EXPECT_EQ(clientSent.error, 0) << errnoName(clientSent.error);
  EXPECT_EQ(serverSent.error, 0) << errnoName(serverSent.error);
  EXPECT_EQ(serverReceived.error, 0) << errnoName(serverReceived.error);
  EXPECT_EQ(clientReceived.error, 0) << errnoName(clientReceived.error);
  EXPECT_FALSE(serverReceived.mismatch)
      << "client->server differs at byte " << serverReceived.mismatch.value_or(0);
  EXPECT_FALSE(clientReceived.mismatch)
      << "server->client differs at byte " << clientReceived.mismatch.value_or(0);
  EXPECT_EQ(serverReceived.bytes, kGibibyte);
  EXPECT_EQ(clientReceived.bytes, kGibibyte);

  const RelayResult result = harness.nextResult();
  EXPECT_EQ(result.end, RelayEnd::kClosed)
      << toString(result.end) << " by " << toString(result.side) << ": " << result.error.message();
  EXPECT_EQ(result.bytesDownstreamToUpstream, kGibibyte);
  EXPECT_EQ(result.bytesUpstreamToDownstream, kGibibyte);
  const RelayCountersSnapshot counters = harness.counters.snapshot();
  EXPECT_EQ(counters.bytesDownstreamToUpstream, kGibibyte);
  EXPECT_EQ(counters.bytesUpstreamToDownstream, kGibibyte);
  EXPECT_EQ(counters.connectionsOpened, 1u);
  EXPECT_EQ(counters.connectionsClosed, 1u);
  EXPECT_EQ(counters.connectionsActive, 0u);

  const double mibPerSecond = 2.0 * kGibibyte / (1024.0 * 1024.0) / elapsed.count();
  std::printf("relayed 2 x 1 GiB in %.2f s: %.0f MiB/s in total\n", elapsed.count(), mibPerSecond);
  ::testing::Test::RecordProperty("relay_mib_per_second", static_cast<int>(mibPerSecond));
}

}  // namespace
}  // namespace ztls::proxy::test
