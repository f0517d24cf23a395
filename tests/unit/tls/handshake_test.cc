// Mutual TLS handshakes between acceptMesh and connectMesh, and what each side refuses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <thread>

#include "mesh_fixture.h"
#include "raw_tls_client.h"
#include "ztls/tls/alpn.h"

namespace ztls::tls::test {
namespace {

using ::testing::HasSubstr;

class Handshake : public MeshTest {};

TEST_F(Handshake, BothSidesLearnTheOthersIdentity) {
  auto [server, client] = handshake(serverContext(), clientContext());
  ASSERT_TRUE(server.ok()) << describe(server);
  ASSERT_TRUE(client.ok()) << describe(client);
  EXPECT_EQ(server.session->peerId(), kClientId);
  EXPECT_EQ(server.session->localId(), kServerId);
  EXPECT_EQ(server.session->role(), Role::kServer);
  EXPECT_EQ(client.session->peerId(), kServerId);
  EXPECT_EQ(client.session->localId(), kClientId);
  EXPECT_EQ(client.session->role(), Role::kClient);
  EXPECT_EQ(client.session->protocol(), "TLSv1.3");
  EXPECT_EQ(client.session->cipher(), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(server.session->cipher(), client.session->cipher());
  EXPECT_EQ(SSL_session_reused(client.session->nativeHandle()), 0);
}

TEST_F(Handshake, EndsAtARecordBoundaryForTheKernelHandOff) {
  auto [server, client] = handshake(serverContext(), clientContext());
  ASSERT_TRUE(server.ok() && client.ok()) << describe(server) << " / " << describe(client);
  EXPECT_TRUE(server.session->atRecordBoundary());
  EXPECT_TRUE(client.session->atRecordBoundary());
}

TEST_F(Handshake, ServerIssuesOneTicketNamingASessionInItsOwnCache) {
  const auto context = serverContext();
  EXPECT_EQ(SSL_CTX_get_num_tickets(context->native()), 1u);
  // In TLS 1.3 this means stateful tickets, not none.
  EXPECT_NE(SSL_CTX_get_options(context->native()) & SSL_OP_NO_TICKET, 0u);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(context->native()), SSL_SESS_CACHE_SERVER);
  EXPECT_EQ(SSL_CTX_sess_get_cache_size(context->native()), 4096);
  EXPECT_EQ(SSL_CTX_get_timeout(context->native()), kSessionLifetimeSeconds);
  EXPECT_EQ(context->sessionCache(), nullptr);
  EXPECT_NE(clientContext()->sessionCache(), nullptr);
}

TEST_F(Handshake, WrongServerIdentityNamesBoth) {
  const std::string expected = spiffeId("foo", "other");
  auto [server, client] = handshake(serverContext(), clientContext(), expected);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error.kind, HandshakeFailure::kWrongIdentity);
  EXPECT_EQ(client.error.reason, "server presented " + kServerId + ", expected " + expected);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error.kind, HandshakeFailure::kPeerRejected) << describe(server);
}

TEST_F(Handshake, ServerFromAnotherRootIsAnUnknownCa) {
  const KeyPair otherRoot = makeCa("someone else's root");
  const KeyPair impostor = makeLeaf(otherRoot, kServerId);
  const auto server = ServerContext::create(credentials(impostor, otherRoot));
  auto [serverResult, client] = handshake(server, clientContext());
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error.kind, HandshakeFailure::kUnknownCa) << describe(client);
  EXPECT_THAT(client.error.reason, HasSubstr("unknown CA"));
  EXPECT_THAT(client.error.reason, HasSubstr(kServerId));
  EXPECT_NE(client.error.verifyResult, 0);
  EXPECT_FALSE(serverResult.ok());
}

TEST_F(Handshake, ClientFromAnotherRootIsAnUnknownCa) {
  const KeyPair otherRoot = makeCa("someone else's root");
  const KeyPair impostor = makeLeaf(otherRoot, kClientId);
  // The impostor trusts our root, so it gets as far as presenting its certificate.
  const auto client = ClientContext::create(credentials(impostor, meshRoot()));
  auto [server, clientResult] = handshake(serverContext(), client);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error.kind, HandshakeFailure::kUnknownCa) << describe(server);
  EXPECT_THAT(server.error.reason, HasSubstr("unknown CA: the client certificate"));
}

TEST_F(Handshake, ExpiredClientCertificateIsRejectedWithTheReason) {
  const KeyPair expired = makeLeaf(
      meshRoot(), LeafOptions{{kClientId}, -std::chrono::hours(48), -std::chrono::hours(24)});
  const auto client = ClientContext::create(credentials(expired, meshRoot()));
  auto [server, clientResult] = handshake(serverContext(), client);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error.kind, HandshakeFailure::kCertificateExpired) << describe(server);
  EXPECT_THAT(server.error.reason, HasSubstr("client certificate expired"));
  EXPECT_THAT(server.error.reason, HasSubstr(kClientId));
  EXPECT_THAT(server.error.reason, HasSubstr("not valid after"));
}

TEST_F(Handshake, NotYetValidServerCertificate) {
  const KeyPair early =
      makeLeaf(meshRoot(), LeafOptions{{kServerId}, std::chrono::hours(1), std::chrono::hours(2)});
  const auto server = ServerContext::create(credentials(early, meshRoot()));
  auto [serverResult, client] = handshake(server, clientContext());
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error.kind, HandshakeFailure::kCertificateNotYetValid) << describe(client);
}

TEST_F(Handshake, ChainThroughAnIntermediate) {
  const KeyPair intermediate = makeCa("ztls test intermediate", &meshRoot());
  const KeyPair leaf = makeLeaf(intermediate, kServerId);
  const auto server =
      ServerContext::create(credentials(leaf, meshRoot(), {intermediate.cert.get()}));
  auto [serverResult, client] = handshake(server, clientContext());
  ASSERT_TRUE(client.ok()) << describe(client);
  EXPECT_EQ(client.session->peerId(), kServerId);
  ASSERT_TRUE(serverResult.ok()) << describe(serverResult);
}

// The server's verdict on a raw OpenSSL client, which runs in a thread of its own.
struct RawOutcome {
  HandshakeResult server;
  RawClientOutcome client;
};

RawOutcome againstRawClient(Loopback& net, std::shared_ptr<const ServerContext> context,
                            const RawClientOptions& options) {
  auto [fd, socket] = net.rawClientPair();
  RawClientOutcome client;
  std::thread thread([&, raw = fd.get()] { client = runRawClient(raw, options); });
  HandshakeResult server = runOne(net.io(), acceptMesh(std::move(socket), context, 10s));
  // The server's session (if any) closes its socket, so a client waiting to read returns.
  server.session.reset();
  thread.join();
  return {std::move(server), client};
}

TEST_F(Handshake, ClientWithoutCertificateIsRejected) {
  const RawOutcome outcome = againstRawClient(
      net, serverContext(), {.alpn = {std::string(kMeshAlpn)}, .trusted = &meshRoot()});
  ASSERT_FALSE(outcome.server.ok());
  EXPECT_EQ(outcome.server.error.kind, HandshakeFailure::kNoPeerCertificate);
  EXPECT_EQ(outcome.server.error.reason, "client sent no certificate");
  // TLS 1.3: the client finished its side, then reads the server's alert.
  EXPECT_THAT(outcome.client.error, HasSubstr("certificate required"));
}

TEST_F(Handshake, ClientNotOfferingTheMeshAlpnIsRejected) {
  for (const std::vector<std::string>& alpn :
       {std::vector<std::string>{"h2", "http/1.1"}, std::vector<std::string>{}}) {
    const RawOutcome outcome = againstRawClient(
        net, serverContext(), {.alpn = alpn, .leaf = &clientLeaf(), .trusted = &meshRoot()});
    ASSERT_FALSE(outcome.server.ok());
    EXPECT_EQ(outcome.server.error.kind, HandshakeFailure::kNoMeshAlpn);
    EXPECT_THAT(outcome.server.error.reason, HasSubstr("peer did not offer the mesh ALPN"));
    EXPECT_THAT(outcome.server.error.reason,
                HasSubstr(alpn.empty() ? "no ALPN" : "offered: h2, http/1.1"));
    EXPECT_FALSE(outcome.client.connected);
    EXPECT_THAT(outcome.client.error, HasSubstr("no application protocol"));
  }
}

TEST_F(Handshake, Tls12ClientIsRejected) {
  const RawOutcome outcome = againstRawClient(net, serverContext(),
                                              {.alpn = {std::string(kMeshAlpn)},
                                               .leaf = &clientLeaf(),
                                               .trusted = &meshRoot(),
                                               .maxVersion = TLS1_2_VERSION});
  ASSERT_FALSE(outcome.server.ok());
  EXPECT_EQ(outcome.server.error.kind, HandshakeFailure::kProtocol) << describe(outcome.server);
  EXPECT_FALSE(outcome.client.connected);
}

TEST_F(Handshake, ClientLeafWithTwoUrisIsABadIdentity) {
  const KeyPair twoNames = makeLeaf(meshRoot(), LeafOptions{{kClientId, spiffeId("bar", "sleep")}});
  const RawOutcome outcome = againstRawClient(
      net, serverContext(),
      {.alpn = {std::string(kMeshAlpn)}, .leaf = &twoNames, .trusted = &meshRoot()});
  ASSERT_FALSE(outcome.server.ok());
  EXPECT_EQ(outcome.server.error.kind, HandshakeFailure::kBadIdentity);
  EXPECT_THAT(outcome.server.error.reason, HasSubstr("2 URI subjectAltNames, expected one"));
}

TEST_F(Handshake, ManyAtOnceOnOneThread) {
  const auto server = serverContext();
  const auto client = clientContext();
  constexpr int kConnections = 16;
  int succeeded = 0;
  std::vector<std::pair<asio::ip::tcp::socket, asio::ip::tcp::socket>> pairs;
  for (int i = 0; i < kConnections; ++i) pairs.push_back(net.asioPair());
  for (auto& [clientSocket, serverSocket] : pairs) {
    asio::co_spawn(net.io(), acceptMesh(std::move(serverSocket), server, 10s),
                   [&](std::exception_ptr, HandshakeResult result) { succeeded += result.ok(); });
    asio::co_spawn(net.io(), connectMesh(std::move(clientSocket), client, kServerId, 10s),
                   [&](std::exception_ptr, HandshakeResult result) { succeeded += result.ok(); });
  }
  net.io().run_for(30s);
  EXPECT_EQ(succeeded, 2 * kConnections);
}

}  // namespace
}  // namespace ztls::tls::test
