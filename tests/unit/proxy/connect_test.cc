#include "ztls/proxy/connect.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <vector>

#include "coroutine_runner.h"
#include "test_sockets.h"
#include "ztls/netns/netns.h"
#include "ztls/netns/sockets.h"

namespace ztls::proxy::test {
namespace {

using asio::ip::tcp;
using std::chrono::milliseconds;

class ConnectUpstreamTest : public ::testing::Test {
 protected:
  std::error_code connect(int fd, tcp::endpoint destination,
                          std::chrono::steady_clock::duration timeout) {
    return runCoroutine(io, connectUpstream(socket, fd, destination, timeout, counters));
  }
  int newSocket() { return netns::makeSocket(netns::Netns::current(), AF_INET); }

  asio::io_context io;
  tcp::socket socket{io};
  RelayCounters counters;
};

TEST_F(ConnectUpstreamTest, ConnectsAndTheServerSeesTheConnection) {
  Fd server = listenLoopback();
  const std::error_code error =
      connect(newSocket(), loopback(localPort(server.get())), std::chrono::seconds(5));
  ASSERT_FALSE(error) << error.message();
  ASSERT_TRUE(socket.is_open());
  Fd accepted = acceptOne(server.get());
  sockaddr_in peer{};
  socklen_t length = sizeof(peer);
  ASSERT_EQ(::getpeername(accepted.get(), reinterpret_cast<sockaddr*>(&peer), &length), 0);
  EXPECT_EQ(socket.local_endpoint().port(), ntohs(peer.sin_port));
  EXPECT_EQ(counters.connectFailures.load() + counters.connectTimeouts.load(), 0u);
}

TEST_F(ConnectUpstreamTest, RefusedIsReportedAndCounted) {
  // Bound but not listening: the port is ours and nobody accepts on it.
  Fd holder(::socket(AF_INET, SOCK_STREAM, 0));
  const sockaddr_in any{AF_INET, 0, {htonl(INADDR_LOOPBACK)}, {}};
  ASSERT_EQ(::bind(holder.get(), reinterpret_cast<const sockaddr*>(&any), sizeof(any)), 0);
  const std::error_code error =
      connect(newSocket(), loopback(localPort(holder.get())), std::chrono::seconds(5));
  EXPECT_EQ(error, asio::error::connection_refused) << error.message();
  EXPECT_FALSE(socket.is_open());
  EXPECT_EQ(counters.connectFailures.load(), 1u);
}

TEST_F(ConnectUpstreamTest, TimesOutWhenTheServerNeverAnswers) {
  // Linux drops SYNs for a listener whose accept queue is full, so these connects hang.
  Fd server = listenLoopback(0, /*backlog=*/0);
  const sockaddr_in address{AF_INET, htons(localPort(server.get())), {htonl(INADDR_LOOPBACK)}, {}};
  std::vector<Fd> queued;
  for (int i = 0; i < 4; ++i) {
    queued.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    ::connect(queued.back().get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  }
  const auto started = std::chrono::steady_clock::now();
  const std::error_code error =
      connect(newSocket(), loopback(localPort(server.get())), milliseconds(300));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(error, asio::error::timed_out) << error.message();
  EXPECT_FALSE(socket.is_open());
  EXPECT_EQ(counters.connectTimeouts.load(), 1u);
  EXPECT_GE(elapsed, milliseconds(300));
  EXPECT_LT(elapsed, milliseconds(3000)) << "the pending connect was not cancelled";
}

TEST_F(ConnectUpstreamTest, BadDescriptorIsReportedNotThrown) {
  const std::error_code error = connect(-1, loopback(9), milliseconds(100));
  EXPECT_TRUE(error);
  EXPECT_FALSE(socket.is_open());
  EXPECT_EQ(counters.connectFailures.load(), 1u);
}

}  // namespace
}  // namespace ztls::proxy::test
