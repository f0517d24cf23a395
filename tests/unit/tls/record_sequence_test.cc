// Record sequence bookkeeping: synthetic callback orders, then real OpenSSL sessions whose
// records are decrypted independently at the sequence numbers the tracker reports.
#include "ztls/tls/record_sequence.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <map>
#include <string>
#include <vector>

#include "hex.h"
#include "mesh_fixture.h"
#include "record_opener.h"
#include "session_io.h"

namespace ztls::tls::test {
namespace {

constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kApplicationRecord = 23;
constexpr std::uint8_t kChangeCipherSpec = 20;
constexpr std::uint8_t kFinished = 20;
constexpr std::uint8_t kKeyUpdate = 24;
constexpr std::uint8_t kNewSessionTicket = 4;
constexpr auto kSent = RecordDirection::kSent;
constexpr auto kReceived = RecordDirection::kReceived;

TEST(RecordSequence, UnknownUntilTheDirectionsFinished) {
  RecordSequence sequence;
  sequence.recordHeader(kSent, kHandshakeRecord);
  sequence.recordHeader(kSent, kApplicationRecord);  // EncryptedExtensions etc.
  EXPECT_FALSE(sequence.next(kSent).has_value());
  EXPECT_FALSE(sequence.next(kReceived).has_value());
}

TEST(RecordSequence, CountsRecordsAfterFinishedOnly) {
  RecordSequence sequence;
  // The record that carries Finished is reported before the message itself.
  sequence.recordHeader(kSent, kApplicationRecord);
  sequence.handshakeMessage(kSent, kFinished);
  EXPECT_EQ(sequence.next(kSent), 0u);
  sequence.recordHeader(kSent, kApplicationRecord);
  sequence.recordHeader(kSent, kApplicationRecord);
  EXPECT_EQ(sequence.next(kSent), 2u);
  EXPECT_FALSE(sequence.next(kReceived).has_value());  // directions are independent
}

TEST(RecordSequence, UnprotectedChangeCipherSpecIsNotCounted) {
  RecordSequence sequence;
  sequence.handshakeMessage(kReceived, kFinished);
  sequence.recordHeader(kReceived, kChangeCipherSpec);
  sequence.recordHeader(kReceived, kApplicationRecord);
  EXPECT_EQ(sequence.next(kReceived), 1u);
}

TEST(RecordSequence, TicketsAfterFinishedCount) {
  RecordSequence sequence;
  sequence.handshakeMessage(kSent, kFinished);
  for (int ticket = 0; ticket < 2; ++ticket) {
    sequence.recordHeader(kSent, kApplicationRecord);
    sequence.handshakeMessage(kSent, kNewSessionTicket);
  }
  EXPECT_EQ(sequence.next(kSent), 2u);
}

TEST(RecordSequence, KeyUpdateMakesTheDirectionUnknown) {
  RecordSequence sequence;
  sequence.handshakeMessage(kReceived, kFinished);
  sequence.handshakeMessage(kSent, kFinished);
  sequence.recordHeader(kReceived, kApplicationRecord);
  sequence.handshakeMessage(kReceived, kKeyUpdate);
  EXPECT_FALSE(sequence.next(kReceived).has_value());
  EXPECT_EQ(sequence.next(kSent), 0u);
}

// Real sessions. The test's own key log hook collects the secrets, independently of the
// session's capture.
using Secrets = std::map<std::string, std::string>;

ContextOptions handoffWithKeylog(Secrets& secrets) {
  return {.keylog =
              [&secrets](const SSL*, std::string_view line) {
                const auto first = line.find(' ');
                const auto second = line.find(' ', first + 1);
                secrets[std::string(line.substr(0, first))] = std::string(line.substr(second + 1));
              },
          .kernelTlsHandoff = true};
}

TrafficKeys keysFrom(const Secrets& secrets, const char* label, MeshCipher cipher) {
  const auto secret = fromHex(secrets.at(label));
  auto keys = deriveTrafficKeys(cipher, secret);
  if (!keys) throw std::runtime_error("deriving keys failed");
  return std::move(*keys);
}

// Raw bytes off a session's socket until `count` whole records arrived.
std::vector<std::vector<std::uint8_t>> readRecords(TlsSession& session, std::size_t count) {
  std::vector<std::uint8_t> stream;
  const int fd = session.socket().native_handle();
  for (;;) {
    auto records = splitRecords(stream);
    if (records.size() >= count) return records;
    waitReadable(fd);
    std::uint8_t chunk[4096];
    const ssize_t got = ::recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (got <= 0) throw std::runtime_error("the socket closed or failed");
    stream.insert(stream.end(), chunk, chunk + got);
  }
}

void writeRecord(TlsSession& session, const std::string& text) {
  ASSERT_EQ(SSL_write(session.nativeHandle(), text.data(), static_cast<int>(text.size())),
            static_cast<int>(text.size()));
}

class TrackedSessions : public MeshTest, public ::testing::WithParamInterface<MeshCipher> {
 protected:
  std::pair<HandshakeResult, HandshakeResult> handshakeWith(
      const std::shared_ptr<const ServerContext>& server) {
    auto client = clientContext(handoffWithKeylog(clientSecrets));
    const std::string name(toString(GetParam()));
    if (SSL_CTX_set_ciphersuites(client->native(), name.c_str()) != 1) {
      throw std::runtime_error("cannot restrict the client to " + name);
    }
    auto [serverResult, clientResult] = handshake(server, client);
    if (!serverResult.ok() || !clientResult.ok()) {
      throw std::runtime_error(describe(serverResult) + " / " + describe(clientResult));
    }
    return {std::move(serverResult), std::move(clientResult)};
  }

  Secrets serverSecrets;
  Secrets clientSecrets;
};

TEST_P(TrackedSessions, StartAtZeroAndFollowOpensslInBothDirections) {
  auto [server, client] = handshakeWith(serverContext(handoffWithKeylog(serverSecrets)));
  const MeshCipher cipher = GetParam();
  ASSERT_EQ(client.session->cipher(), toString(cipher));
  EXPECT_EQ(client.session->nextRecordSequence(kSent), 0u);
  EXPECT_EQ(client.session->nextRecordSequence(kReceived), 0u);
  // The server's one ticket went out under the application traffic key.
  EXPECT_EQ(server.session->nextRecordSequence(kSent), 1u);
  EXPECT_EQ(server.session->nextRecordSequence(kReceived), 0u);

  // Client to server: OpenSSL writes three records; the server reads them raw.
  for (const char* text : {"zero", "one", "two"}) writeRecord(*client.session, text);
  EXPECT_EQ(client.session->nextRecordSequence(kSent), 3u);
  const TrafficKeys clientKeys = keysFrom(clientSecrets, "CLIENT_TRAFFIC_SECRET_0", cipher);
  const auto sentByClient = readRecords(*server.session, 3);
  const char* expected[] = {"zero", "one", "two"};
  for (std::uint64_t sequence = 0; sequence < 3; ++sequence) {
    const auto opened = openRecord(cipher, clientKeys, sequence, sentByClient[sequence]);
    ASSERT_TRUE(opened.has_value()) << "record " << sequence << " does not open at that sequence";
    EXPECT_EQ(opened->type, kApplicationRecord);
    EXPECT_EQ(opened->content, expected[sequence]);
  }

  // Server to client: OpenSSL on the client reads the ticket and two records, so its
  // receive sequence is 3; the next record the server writes must open at exactly that
  // sequence.
  writeRecord(*server.session, "first");
  writeRecord(*server.session, "second");
  EXPECT_EQ(sslReadSome(*client.session), "first");
  EXPECT_EQ(sslReadSome(*client.session), "second");
  const auto received = client.session->nextRecordSequence(kReceived);
  ASSERT_EQ(received, 3u);
  writeRecord(*server.session, "third");
  const TrafficKeys serverKeys = keysFrom(serverSecrets, "SERVER_TRAFFIC_SECRET_0", cipher);
  const auto raw = readRecords(*client.session, 1);
  const auto opened = openRecord(cipher, serverKeys, *received, raw[0]);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->content, "third");
}

TEST_P(TrackedSessions, ServerTicketsAdvanceItsSendSequence) {
  auto server = serverContext(handoffWithKeylog(serverSecrets));
  // The mesh sends one ticket; a server that sends more must still be accounted for.
  ASSERT_EQ(SSL_CTX_set_num_tickets(server->native(), 2), 1);
  auto [serverResult, clientResult] = handshakeWith(server);
  const MeshCipher cipher = GetParam();
  EXPECT_EQ(serverResult.session->nextRecordSequence(kSent), 2u);
  writeRecord(*serverResult.session, "after the tickets");
  const TrafficKeys serverKeys = keysFrom(serverSecrets, "SERVER_TRAFFIC_SECRET_0", cipher);
  const auto raw = readRecords(*clientResult.session, 3);
  for (std::uint64_t sequence = 0; sequence < 2; ++sequence) {
    const auto ticket = openRecord(cipher, serverKeys, sequence, raw[sequence]);
    ASSERT_TRUE(ticket.has_value());
    EXPECT_EQ(ticket->type, kHandshakeRecord);
    EXPECT_EQ(static_cast<std::uint8_t>(ticket->content.at(0)), kNewSessionTicket);
  }
  const auto data = openRecord(cipher, serverKeys, 2, raw[2]);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->content, "after the tickets");
}

INSTANTIATE_TEST_SUITE_P(MeshCiphers, TrackedSessions, ::testing::ValuesIn(kMeshCiphers),
                         [](const auto& param) {
                           std::string name(toString(param.param));
                           std::erase(name, '_');
                           return name;
                         });

TEST_F(MeshTest, SequenceIsNotTrackedWithoutHandoff) {
  auto [server, client] = handshake(serverContext(), clientContext());
  ASSERT_TRUE(server.ok() && client.ok());
  EXPECT_FALSE(client.session->nextRecordSequence(kSent).has_value());
  EXPECT_FALSE(server.session->nextRecordSequence(kReceived).has_value());
}

}  // namespace
}  // namespace ztls::tls::test
