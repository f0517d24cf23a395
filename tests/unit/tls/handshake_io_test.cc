// Handshakes against peers that misbehave at the socket level: plaintext, silence, stalls,
// resets, and callers that cancel. None may hang or wedge the io_context.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <thread>

#include "client_hello_capture.h"
#include "mesh_fixture.h"
#include "ztls/tls/alpn.h"

namespace ztls::tls::test {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

class HandshakeIo : public MeshTest {
 protected:
  // The server's result when the raw client `fd` does whatever the test did to it.
  HandshakeResult accept(asio::ip::tcp::socket socket, std::chrono::milliseconds timeout = 10s,
                         std::vector<std::uint8_t> alreadyRead = {}) {
    return runOne(net.io(),
                  acceptMesh(std::move(socket), serverContext(), timeout, std::move(alreadyRead)));
  }

  std::vector<std::uint8_t> meshHello() {
    return captureClientHello({.alpn = {std::string(kMeshAlpn)}});
  }
};

void sendBytes(const Fd& fd, std::span<const std::uint8_t> bytes) {
  proxy::test::sendAll(fd.get(), std::as_bytes(bytes));
}

TEST_F(HandshakeIo, PlainHttpIsAnErrorNotAHang) {
  auto [fd, socket] = net.rawClientPair();
  const std::string request = "GET /ip HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n";
  sendBytes(fd, {reinterpret_cast<const std::uint8_t*>(request.data()), request.size()});
  const auto started = Clock::now();
  const HandshakeResult result = accept(std::move(socket));
  EXPECT_LT(Clock::now() - started, 2s);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error.kind, HandshakeFailure::kNotTls) << describe(result);
  EXPECT_THAT(result.error.reason, HasSubstr("did not speak TLS"));
  EXPECT_NE(result.error.opensslError, 0u);
}

TEST_F(HandshakeIo, SilentClientTimesOut) {
  auto [fd, socket] = net.rawClientPair();
  const auto started = Clock::now();
  const HandshakeResult result = accept(std::move(socket), 200ms);
  const auto elapsed = Clock::now() - started;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error.kind, HandshakeFailure::kTimeout) << describe(result);
  EXPECT_EQ(result.error.error, asio::error::timed_out);
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 2s);
  // The server closed its end: the client sees EOF, not a connection left open.
  EXPECT_EQ(proxy::test::drainUntilClosed(fd.get()), 0);
}

TEST_F(HandshakeIo, ClientStallingMidHelloTimesOut) {
  auto [fd, socket] = net.rawClientPair();
  const std::vector<std::uint8_t> hello = meshHello();
  sendBytes(fd, std::span(hello).first(hello.size() / 2));
  const HandshakeResult result = accept(std::move(socket), 200ms);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error.kind, HandshakeFailure::kTimeout) << describe(result);
}

TEST_F(HandshakeIo, ClientResetMidHandshakeIsAnError) {
  auto [fd, socket] = net.rawClientPair();
  const std::vector<std::uint8_t> hello = meshHello();
  sendBytes(fd, std::span(hello).first(hello.size() / 2));
  // Reset while the server waits for the rest of the hello.
  asio::steady_timer later(net.io(), 50ms);
  later.async_wait([&fd = fd](std::error_code) { proxy::test::resetClose(fd); });
  const HandshakeResult result = accept(std::move(socket));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error.kind, HandshakeFailure::kReset) << describe(result);
  EXPECT_EQ(result.error.error, asio::error::connection_reset);
}

TEST_F(HandshakeIo, ClientClosingMidHandshakeIsPeerClosed) {
  auto [fd, socket] = net.rawClientPair();
  const std::vector<std::uint8_t> hello = meshHello();
  sendBytes(fd, std::span(hello).first(10));
  ::shutdown(fd.get(), SHUT_WR);
  const HandshakeResult result = accept(std::move(socket));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error.kind, HandshakeFailure::kPeerClosed) << describe(result);
  EXPECT_THAT(result.error.reason, HasSubstr("client closed the connection"));
}

TEST_F(HandshakeIo, SilentServerTimesOutTheClient) {
  auto [socket, fd] = net.rawServerPair();
  const HandshakeResult result =
      runOne(net.io(), connectMesh(std::move(socket), clientContext(), kServerId, 200ms));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error.kind, HandshakeFailure::kTimeout) << describe(result);
}

TEST_F(HandshakeIo, PlaintextServerIsNotTls) {
  auto [socket, fd] = net.rawServerPair();
  const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  sendBytes(fd, {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()});
  const HandshakeResult result =
      runOne(net.io(), connectMesh(std::move(socket), clientContext(), kServerId, 5s));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error.kind, HandshakeFailure::kNotTls) << describe(result);
}

TEST_F(HandshakeIo, ServerClosingIsPeerClosed) {
  auto [socket, fd] = net.rawServerPair();
  fd.reset();
  const HandshakeResult result =
      runOne(net.io(), connectMesh(std::move(socket), clientContext(), kServerId, 5s));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.error.kind == HandshakeFailure::kPeerClosed ||
              result.error.kind == HandshakeFailure::kReset)
      << describe(result);
}

TEST_F(HandshakeIo, CancellationEndsTheHandshake) {
  auto [fd, socket] = net.rawClientPair();
  asio::cancellation_signal cancel;
  std::optional<HandshakeResult> result;
  asio::co_spawn(
      net.io(), acceptMesh(std::move(socket), serverContext(), 10s),
      asio::bind_cancellation_slot(
          cancel.slot(), [&](std::exception_ptr, HandshakeResult r) { result = std::move(r); }));
  asio::steady_timer later(net.io(), 50ms);
  later.async_wait([&](std::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  net.io().run_for(5s);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error.kind, HandshakeFailure::kCancelled) << describe(*result);
}

TEST_F(HandshakeIo, BytesAlreadyReadAreHandedToOpenssl) {
  // As when the sniffer consumed the hello's first bytes instead of peeking.
  // Not a structured binding: clang 14 cannot capture those in lambdas.
  auto sockets = net.asioPair();
  asio::ip::tcp::socket& clientSocket = sockets.first;
  asio::ip::tcp::socket& serverSocket = sockets.second;
  std::optional<HandshakeResult> server, client;
  asio::co_spawn(net.io(), connectMesh(std::move(clientSocket), clientContext(), kServerId, 10s),
                 [&](std::exception_ptr, HandshakeResult r) { client = std::move(r); });
  auto serve = [&]() -> asio::awaitable<HandshakeResult> {
    std::vector<std::uint8_t> first(7);
    co_await asio::async_read(serverSocket, asio::buffer(first), asio::use_awaitable);
    co_return co_await acceptMesh(std::move(serverSocket), serverContext(), 10s, first);
  };
  asio::co_spawn(net.io(), serve(),
                 [&](std::exception_ptr, HandshakeResult r) { server = std::move(r); });
  net.io().run_for(10s);
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(server->ok()) << describe(*server);
  ASSERT_TRUE(client->ok()) << describe(*client);
  EXPECT_EQ(server->session->peerId(), kClientId);
  EXPECT_TRUE(server->session->atRecordBoundary());
}

TEST_F(HandshakeIo, ContextOutlivesItsOwnersReference) {
  auto server = serverContext();
  auto client = clientContext();
  auto [clientSocket, serverSocket] = net.asioPair();
  auto accepting = acceptMesh(std::move(serverSocket), std::move(server), 10s);
  auto connecting = connectMesh(std::move(clientSocket), std::move(client), kServerId, 10s);
  // Rotation: the owner dropped its contexts; in-flight handshakes keep theirs.
  EXPECT_FALSE(server);
  auto [serverResult, clientResult] =
      runBoth(net.io(), std::move(accepting), std::move(connecting));
  EXPECT_TRUE(serverResult.ok()) << describe(serverResult);
  EXPECT_TRUE(clientResult.ok()) << describe(clientResult);
}

TEST_F(HandshakeIo, EmptyExpectedServerIdIsRefused) {
  auto [clientSocket, serverSocket] = net.asioPair();
  const HandshakeResult result =
      runOne(net.io(), connectMesh(std::move(clientSocket), clientContext(), "", 1s));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error.kind, HandshakeFailure::kInternal);
}

}  // namespace
}  // namespace ztls::tls::test
