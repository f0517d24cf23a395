// The owner of a relay can end it (a pod leaving the mesh): both peers get a reset.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <optional>
#include <thread>

#include "relay_harness.h"
#include "test_sockets.h"

namespace ztls::proxy::test {
namespace {

using asio::ip::tcp;

TEST(RelayCancel, TerminalCancellationResetsBothPeers) {
  // client <-> relayDown ... relayUp <-> server, all plain sockets.
  Fd downstreamListener = listenLoopback();
  Fd client = connectLoopback(localPort(downstreamListener.get()));
  Fd relayDown = acceptOne(downstreamListener.get());
  Fd serverListener = listenLoopback();
  Fd relayUp = connectLoopback(localPort(serverListener.get()));
  Fd server = acceptOne(serverListener.get());

  asio::io_context io;
  RelayCounters counters;
  asio::cancellation_signal cancel;
  std::optional<RelayResult> result;
  asio::co_spawn(io,
                 relay(tcp::socket(io, tcp::v4(), relayDown.release()),
                       tcp::socket(io, tcp::v4(), relayUp.release()), counters),
                 asio::bind_cancellation_slot(
                     cancel.slot(), [&](std::exception_ptr, RelayResult r) { result = r; }));
  std::thread thread([&] { io.run_for(std::chrono::seconds(30)); });

  const std::byte ping[3] = {};
  sendAll(client.get(), ping);
  std::byte received[3];
  ASSERT_EQ(::recv(server.get(), received, sizeof(received), MSG_WAITALL), 3);
  asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
  thread.join();

  ASSERT_TRUE(result);
  EXPECT_EQ(result->end, RelayEnd::kCancelled);
  EXPECT_EQ(result->side, Side::kRelay);
  EXPECT_EQ(result->bytesDownstreamToUpstream, 3u);
  EXPECT_EQ(drainUntilClosed(client.get()), ECONNRESET);
  EXPECT_EQ(drainUntilClosed(server.get()), ECONNRESET);
  EXPECT_EQ(counters.cancelled.load(), 1u);
  EXPECT_EQ(counters.connectionsActive.load(), 0u);
}

}  // namespace
}  // namespace ztls::proxy::test
