// TLS 1.3 resumption between mesh contexts (context.h): a client keeps the server's ticket
// and the next handshake to the same server resumes with it, once; identities, expiry and
// context rotation still decide.
#include <openssl/ssl.h>

#include <thread>

#include "mesh_fixture.h"
#include "session_io.h"
#include "ztls/tls/session.h"

namespace ztls::tls::test {
namespace {

class Resumption : public MeshTest {
 protected:
  // A full handshake after which the client has read what the server sent, the ticket
  // included (a relay reads it along with the first bytes from the server).
  void handshakeAndReadTicket(const std::shared_ptr<const ServerContext>& server,
                              const std::shared_ptr<const ClientContext>& client,
                              bool expectResumed) {
    auto [serverResult, clientResult] = handshake(server, client);
    ASSERT_TRUE(serverResult.ok() && clientResult.ok())
        << describe(serverResult) << " / " << describe(clientResult);
    EXPECT_EQ(clientResult.session->resumed(), expectResumed);
    EXPECT_EQ(serverResult.session->resumed(), expectResumed);
    ASSERT_EQ(SSL_write(serverResult.session->nativeHandle(), "hi", 2), 2);
    EXPECT_EQ(sslReadSome(*clientResult.session), "hi");
  }
};

TEST_F(Resumption, TheFirstHandshakeIsFullAndTheSecondResumesWithItsTicket) {
  const auto server = serverContext();
  const auto client = clientContext();
  handshakeAndReadTicket(server, client, false);
  auto [serverResult, clientResult] = handshake(server, client);
  ASSERT_TRUE(serverResult.ok() && clientResult.ok())
      << describe(serverResult) << " / " << describe(clientResult);
  EXPECT_TRUE(clientResult.session->resumed());
  EXPECT_TRUE(serverResult.session->resumed());
  // The identities are the ones verified when the ticket was issued.
  EXPECT_EQ(clientResult.session->peerId(), kServerId);
  EXPECT_EQ(serverResult.session->peerId(), kClientId);
  // XFCC's Hash still has the peer's leaf to come from.
  EXPECT_FALSE(serverResult.session->peerCertificateSha256().empty());
  EXPECT_FALSE(clientResult.session->peerCertificateSha256().empty());
  EXPECT_EQ(clientResult.session->protocol(), "TLSv1.3");
}

TEST_F(Resumption, EachTicketIsOfferedOnce) {
  const auto server = serverContext();
  const auto client = clientContext();
  handshakeAndReadTicket(server, client, false);
  // Resumes, but the client never reads the ticket this session brings.
  auto [firstServer, firstClient] = handshake(server, client);
  ASSERT_TRUE(firstServer.ok() && firstClient.ok());
  EXPECT_TRUE(firstClient.session->resumed());
  auto [secondServer, secondClient] = handshake(server, client);
  ASSERT_TRUE(secondServer.ok() && secondClient.ok());
  EXPECT_FALSE(secondClient.session->resumed());
}

TEST_F(Resumption, ChainedResumptionsKeepResuming) {
  const auto server = serverContext();
  const auto client = clientContext();
  handshakeAndReadTicket(server, client, false);
  for (int round = 0; round < 3; ++round) handshakeAndReadTicket(server, client, true);
}

TEST_F(Resumption, ANewServerContextDoesAFullHandshakeInsteadOfAcceptingOldTickets) {
  const auto client = clientContext();
  handshakeAndReadTicket(serverContext(), client, false);
  // Certificate or trust rotation: the server side builds a new context, with a new
  // ticket key.
  handshakeAndReadTicket(serverContext(), client, false);
}

TEST_F(Resumption, ANewClientContextStartsWithoutTickets) {
  const auto server = serverContext();
  handshakeAndReadTicket(server, clientContext(), false);
  handshakeAndReadTicket(server, clientContext(), false);
}

TEST_F(Resumption, ATicketIsNeverOfferedForAnotherExpectedIdentity) {
  const auto server = serverContext();
  const auto client = clientContext();
  handshakeAndReadTicket(server, client, false);
  // The same address, but the client now requires another identity: a full handshake,
  // which the server's certificate fails.
  const std::string other = spiffeId("foo", "other");
  auto [wrongServer, wrongClient] = handshake(server, client, other);
  ASSERT_FALSE(wrongClient.ok());
  EXPECT_EQ(wrongClient.error.kind, HandshakeFailure::kWrongIdentity) << describe(wrongClient);
  // The ticket for the right identity is still there.
  handshakeAndReadTicket(server, client, true);
}

TEST_F(Resumption, AResumedSessionWhoseServerLeafExpiredIsRefused) {
  LeafOptions shortLived;
  shortLived.uris = {kServerId};
  shortLived.notAfter = std::chrono::seconds(2);
  const KeyPair leaf = makeLeaf(meshRoot(), shortLived);
  const auto server = ServerContext::create(credentials(leaf, meshRoot()));
  const auto client = clientContext();
  handshakeAndReadTicket(server, client, false);
  // X509 times have one-second resolution: wait until notAfter is certainly past.
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  auto [serverResult, clientResult] = handshake(server, client);
  ASSERT_FALSE(clientResult.ok());
  EXPECT_EQ(clientResult.error.kind, HandshakeFailure::kCertificateExpired)
      << describe(clientResult);
  EXPECT_NE(clientResult.error.reason.find("expired"), std::string::npos)
      << clientResult.error.reason;
}

TEST_F(Resumption, AResumedSessionWhoseClientLeafExpiredIsRefusedByTheServer) {
  LeafOptions shortLived;
  shortLived.uris = {kClientId};
  shortLived.notAfter = std::chrono::seconds(2);
  const KeyPair leaf = makeLeaf(meshRoot(), shortLived);
  const auto server = serverContext();
  const auto client = ClientContext::create(credentials(leaf, meshRoot()));
  handshakeAndReadTicket(server, client, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  auto [serverResult, clientResult] = handshake(server, client);
  ASSERT_FALSE(serverResult.ok());
  EXPECT_EQ(serverResult.error.kind, HandshakeFailure::kCertificateExpired)
      << describe(serverResult);
}

}  // namespace
}  // namespace ztls::tls::test
