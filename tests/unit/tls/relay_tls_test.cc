// relayTls end to end: two agents relaying between plain apps through mesh TLS.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <iostream>
#include <thread>

#include "mesh_fixture.h"
#include "mesh_path.h"
#include "pattern.h"

namespace ztls::tls::test {
namespace {

using proxy::RelayEnd;
using proxy::Side;
using proxy::test::errnoName;
using proxy::test::receivePattern;
using proxy::test::sendPattern;
using proxy::test::Transfer;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kRequestSeed = 11;
constexpr std::uint64_t kReplySeed = 12;

class RelayTls : public MeshTest {
 protected:
  MeshPath path(MeshPathOptions options = {}) {
    return MeshPath(serverContext(), clientContext(), kServerId, std::move(options));
  }
};

double mibPerSecond(std::uint64_t bytes, Clock::duration elapsed) {
  return static_cast<double>(bytes) / (1 << 20) / std::chrono::duration<double>(elapsed).count();
}

TEST_F(RelayTls, BulkBothWaysWithHalfClose) {
  constexpr std::uint64_t kBytes = 64ull << 20;
  MeshPath mesh(serverContext(), clientContext(), kServerId);
  Transfer requestSent, replyReceived;
  Clock::time_point requestDone;
  std::thread client([&] {
    // Sends the whole request, then shuts down its write side, then reads the reply.
    requestSent = sendPattern(mesh.appClient().get(), kRequestSeed, kBytes);
    replyReceived = receivePattern(mesh.appClient().get(), kReplySeed);
  });
  const auto started = Clock::now();
  // The server answers only after the request's EOF came through both relays.
  const Transfer requestReceived = receivePattern(mesh.appServer().get(), kRequestSeed);
  requestDone = Clock::now();
  const Transfer replySent = sendPattern(mesh.appServer().get(), kReplySeed, kBytes);
  mesh.appServer().reset();
  client.join();
  const auto finished = Clock::now();

  EXPECT_EQ(requestSent.error, 0) << errnoName(requestSent.error);
  EXPECT_EQ(requestReceived.error, 0) << errnoName(requestReceived.error);
  EXPECT_EQ(requestReceived.bytes, kBytes);
  EXPECT_FALSE(requestReceived.mismatch) << *requestReceived.mismatch;
  EXPECT_EQ(replySent.error, 0) << errnoName(replySent.error);
  EXPECT_EQ(replyReceived.error, 0) << errnoName(replyReceived.error);
  EXPECT_EQ(replyReceived.bytes, kBytes) << "the client must see the whole reply, then EOF";
  EXPECT_FALSE(replyReceived.mismatch) << *replyReceived.mismatch;

  // Both agents count the request as downstream-to-upstream: the client's plain side and
  // the server's TLS side are their downstreams.
  for (const proxy::RelayResult& result : {mesh.clientRelay(), mesh.serverRelay()}) {
    EXPECT_EQ(result.end, RelayEnd::kClosed) << result.error.message();
    EXPECT_EQ(result.bytesDownstreamToUpstream, kBytes);
    EXPECT_EQ(result.bytesUpstreamToDownstream, kBytes);
    EXPECT_FALSE(result.error);
  }
  EXPECT_EQ(mesh.clientCounters.bytesDownstreamToUpstream.load(), kBytes);
  EXPECT_EQ(mesh.serverCounters.bytesUpstreamToDownstream.load(), kBytes);
  EXPECT_EQ(mesh.clientCounters.connectionsActive.load(), 0u);
  EXPECT_EQ(mesh.serverCounters.connectionsClosed.load(), 1u);

  const double request = mibPerSecond(kBytes, requestDone - started);
  const double reply = mibPerSecond(kBytes, finished - requestDone);
  std::cout << "relayTls through two agents: request " << request << " MiB/s, reply " << reply
            << " MiB/s\n";
  RecordProperty("request_MiBps", std::to_string(request));
  RecordProperty("reply_MiBps", std::to_string(reply));
}

TEST_F(RelayTls, ServerHalfCloseFirstStillGetsTheWholeRequest) {
  constexpr std::uint64_t kRequest = 1 << 20;
  constexpr std::uint64_t kReply = 3 << 20;
  MeshPath mesh = path();
  Transfer replySent, requestReceived;
  std::thread server([&] {
    replySent = sendPattern(mesh.appServer().get(), kReplySeed, kReply);
    requestReceived = receivePattern(mesh.appServer().get(), kRequestSeed);
  });
  // The client reads the whole reply and its EOF (close_notify crossed first), then sends.
  const Transfer replyReceived = receivePattern(mesh.appClient().get(), kReplySeed);
  const Transfer requestSent = sendPattern(mesh.appClient().get(), kRequestSeed, kRequest);
  server.join();
  EXPECT_EQ(replyReceived.bytes, kReply);
  EXPECT_FALSE(replyReceived.mismatch);
  EXPECT_EQ(requestSent.error, 0) << errnoName(requestSent.error);
  EXPECT_EQ(requestReceived.bytes, kRequest);
  EXPECT_FALSE(requestReceived.mismatch);
  mesh.appServer().reset();
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appClient().get()), 0);
  EXPECT_EQ(mesh.clientRelay().end, RelayEnd::kClosed);
  EXPECT_EQ(mesh.serverRelay().end, RelayEnd::kClosed);
}

TEST_F(RelayTls, AppServerResetReachesTheAppClientAsReset) {
  MeshPath mesh = path();
  // Data first, so the relays are known to run; sendPattern would also send a FIN.
  std::vector<std::byte> first(4096);
  proxy::test::sendAll(mesh.appServer().get(), first);
  ASSERT_EQ(::recv(mesh.appClient().get(), first.data(), first.size(), MSG_WAITALL), 4096);
  proxy::test::resetClose(mesh.appServer());
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appClient().get()), ECONNRESET);
  const proxy::RelayResult server = mesh.serverRelay();
  EXPECT_EQ(server.end, RelayEnd::kReset);
  EXPECT_EQ(server.side, Side::kUpstream) << "the app is the server agent's upstream";
  const proxy::RelayResult client = mesh.clientRelay();
  EXPECT_EQ(client.end, RelayEnd::kReset) << client.error.message();
  EXPECT_EQ(client.side, Side::kUpstream) << "TLS is the client agent's upstream";
}

TEST_F(RelayTls, AppClientResetReachesTheAppServerAsReset) {
  MeshPath mesh = path();
  std::vector<std::byte> first(4096);
  proxy::test::sendAll(mesh.appClient().get(), first);
  ASSERT_EQ(::recv(mesh.appServer().get(), first.data(), first.size(), MSG_WAITALL), 4096);
  proxy::test::resetClose(mesh.appClient());
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appServer().get()), ECONNRESET);
  const proxy::RelayResult client = mesh.clientRelay();
  EXPECT_EQ(client.end, RelayEnd::kReset);
  EXPECT_EQ(client.side, Side::kDownstream) << "the app is the client agent's downstream";
  const proxy::RelayResult server = mesh.serverRelay();
  EXPECT_EQ(server.end, RelayEnd::kReset) << server.error.message();
  EXPECT_EQ(server.side, Side::kDownstream) << "TLS is the server agent's downstream";
}

TEST_F(RelayTls, KeyUpdateFromThePeerResetsBoth) {
  MeshPath mesh = path({.serverAction = [](TlsSession& session) {
    SSL* ssl = session.nativeHandle();
    ASSERT_EQ(SSL_key_update(ssl, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
    std::size_t written = 0;
    ASSERT_EQ(SSL_write_ex(ssl, "after the key change", 20, &written), 1);
  }});
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appClient().get()), ECONNRESET);
  const proxy::RelayResult client = mesh.clientRelay();
  EXPECT_EQ(client.end, RelayEnd::kError);
  EXPECT_EQ(client.side, Side::kUpstream);
  EXPECT_EQ(client.error, TlsErrc::kKeyUpdateRefused) << client.error.message();
  EXPECT_EQ(client.bytesUpstreamToDownstream, 0u) << "nothing under the new keys gets through";
}

TEST_F(RelayTls, RecordCutShortIsAnError) {
  MeshPath mesh = path({.serverAction = [](TlsSession& session) {
    // The header of a 100-byte application data record, 10 bytes of it, then FIN.
    const std::uint8_t partial[15] = {0x17, 0x03, 0x03, 0x00, 0x64};
    ASSERT_EQ(::send(session.socket().native_handle(), partial, sizeof(partial), MSG_NOSIGNAL), 15);
    ::shutdown(session.socket().native_handle(), SHUT_WR);
  }});
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appClient().get()), ECONNRESET);
  const proxy::RelayResult client = mesh.clientRelay();
  EXPECT_EQ(client.end, RelayEnd::kError);
  EXPECT_EQ(client.error, TlsErrc::kTruncatedRecord) << client.error.message();
}

TEST_F(RelayTls, GarbageRecordIsAnError) {
  MeshPath mesh = path({.serverAction = [](TlsSession& session) {
    // A whole record that does not decrypt: bad_record_mac.
    std::uint8_t record[5 + 40] = {0x17, 0x03, 0x03, 0x00, 40};
    ASSERT_EQ(::send(session.socket().native_handle(), record, sizeof(record), MSG_NOSIGNAL),
              static_cast<ssize_t>(sizeof(record)));
  }});
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appClient().get()), ECONNRESET);
  const proxy::RelayResult client = mesh.clientRelay();
  EXPECT_EQ(client.end, RelayEnd::kError);
  EXPECT_EQ(client.error.category(), opensslCategory()) << client.error.message();
}

TEST_F(RelayTls, PeerFinWithoutCloseNotifyAtARecordBoundaryIsAClose) {
  MeshPath mesh = path({.serverAction = [](TlsSession& session) {
    std::size_t written = 0;
    ASSERT_EQ(SSL_write_ex(session.nativeHandle(), "bye", 3, &written), 1);
    ::shutdown(session.socket().native_handle(), SHUT_WR);
  }});
  char reply[4] = {};
  ASSERT_EQ(::recv(mesh.appClient().get(), reply, sizeof(reply), MSG_WAITALL), 3);
  EXPECT_EQ(std::string(reply, 3), "bye");
}

TEST_F(RelayTls, CancellationResetsBoth) {
  MeshPath mesh = path();
  // Wait until the relay runs: one byte each way.
  ASSERT_EQ(::send(mesh.appClient().get(), "x", 1, MSG_NOSIGNAL), 1);
  char byte = 0;
  ASSERT_EQ(::recv(mesh.appServer().get(), &byte, 1, 0), 1);
  mesh.cancelClientRelay();
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appClient().get()), ECONNRESET);
  EXPECT_EQ(mesh.clientRelay().end, RelayEnd::kCancelled);
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appServer().get()), ECONNRESET)
      << "the server agent saw the TLS reset and reset its app";
}

// Doubles every byte until it sees '!', which it refuses, or '|', after which it
// passes the rest through.
class DoublingRewriter final : public PlaintextRewriter {
 public:
  Verdict rewrite(std::span<const std::byte> input, std::string& output) override {
    for (std::size_t i = 0; i < input.size(); ++i) {
      const char c = static_cast<char>(input[i]);
      if (c == '!') return Verdict::kReset;
      if (c == '|') {
        output.append(reinterpret_cast<const char*>(input.data()) + i, input.size() - i);
        return Verdict::kPassThrough;
      }
      output += c;
      output += c;
    }
    return Verdict::kRewriting;
  }
};

std::string receiveExactly(int fd, std::size_t size) {
  std::string text(size, '\0');
  const ssize_t got = ::recv(fd, text.data(), size, MSG_WAITALL);
  text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return text;
}

void sendText(int fd, std::string_view text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

TEST_F(RelayTls, ServerRewriterChangesWhatTheAppReceivesButNotTheCounts) {
  MeshPath mesh = path({.serverRewriter = [] { return std::make_unique<DoublingRewriter>(); }});
  sendText(mesh.appClient().get(), "abc");
  EXPECT_EQ(receiveExactly(mesh.appServer().get(), 6), "aabbcc");
  sendText(mesh.appClient().get(), "d|ef");
  EXPECT_EQ(receiveExactly(mesh.appServer().get(), 5), "dd|ef");
  sendText(mesh.appClient().get(), "gh!");  // passed through: '!' is data now
  EXPECT_EQ(receiveExactly(mesh.appServer().get(), 3), "gh!");
  // The reply direction is never rewritten.
  sendText(mesh.appServer().get(), "ok");
  EXPECT_EQ(receiveExactly(mesh.appClient().get(), 2), "ok");
  ::shutdown(mesh.appClient().get(), SHUT_WR);
  ::shutdown(mesh.appServer().get(), SHUT_WR);
  EXPECT_EQ(mesh.serverRelay().end, RelayEnd::kClosed);
  EXPECT_EQ(mesh.serverCounters.bytesDownstreamToUpstream.load(), 10u)
      << "counted as the client sent them";
}

TEST_F(RelayTls, ServerRewriterRefusalResetsBothApps) {
  MeshPath mesh = path({.serverRewriter = [] { return std::make_unique<DoublingRewriter>(); }});
  sendText(mesh.appClient().get(), "ab");
  EXPECT_EQ(receiveExactly(mesh.appServer().get(), 4), "aabb");
  sendText(mesh.appClient().get(), "!");
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appServer().get()), ECONNRESET);
  EXPECT_EQ(proxy::test::drainUntilClosed(mesh.appClient().get()), ECONNRESET);
  const proxy::RelayResult server = mesh.serverRelay();
  EXPECT_EQ(server.end, RelayEnd::kError) << server.error.message();
  EXPECT_EQ(server.side, Side::kDownstream) << "the TLS peer sent what cannot be relayed";
}

}  // namespace
}  // namespace ztls::tls::test
