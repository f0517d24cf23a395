// The agent hand-over's wire and its two ends, without kernel TLS: messages and
// descriptors over a SOCK_SEQPACKET pair, connection records as they travel, what the
// receiver refuses, and the listener / takeOverFrom exchange. (Pausing and resuming real
// kernel TLS relays is in tests/vm/handover_test.cc.)
#include "daemon/handover.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

namespace ztls::daemon {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
  UniqueFd sender;
  UniqueFd receiver;
};

SocketPair seqpacketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::system_error(errno, std::system_category(), "socketpair");
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::pair<UniqueFd, UniqueFd> pipePair() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::system_category(), "pipe");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST(HandoverWire, AMessageArrivesWithItsDescriptorsWorking) {
  auto [sender, receiver] = seqpacketPair();
  auto [readEnd, writeEnd] = pipePair();
  const int fds[] = {readEnd.get(), writeEnd.get()};
  sendHandoverMessage(sender.get(), {{"type", "test"}, {"n", 7}}, fds);
  readEnd.reset();
  writeEnd.reset();
  auto message = receiveHandoverMessage(receiver.get());
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->body["type"], "test");
  EXPECT_EQ(message->body["n"], 7);
  ASSERT_EQ(message->fds.size(), 2u);
  // The received ends are the same pipe, even though the sender's copies are closed.
  ASSERT_EQ(::write(message->fds[1].get(), "xy", 2), 2);
  char got[2]{};
  ASSERT_EQ(::read(message->fds[0].get(), got, 2), 2);
  EXPECT_EQ(std::string(got, 2), "xy");
}

TEST(HandoverWire, APeerThatClosesEndsTheStream) {
  auto [sender, receiver] = seqpacketPair();
  sender.reset();
  EXPECT_FALSE(receiveHandoverMessage(receiver.get()).has_value());
}

TEST(HandoverWire, ADatagramThatIsNotAJsonObjectIsRefused) {
  auto [sender, receiver] = seqpacketPair();
  ASSERT_EQ(::send(sender.get(), "[1,2", 4, 0), 4);
  EXPECT_THROW(receiveHandoverMessage(receiver.get()), std::runtime_error);
  ASSERT_EQ(::send(sender.get(), "[1,2]", 5, 0), 5);
  EXPECT_THROW(receiveHandoverMessage(receiver.get()), std::runtime_error);
}

TEST(HandoverWire, TooManyDescriptorsAreRefusedBeforeSending) {
  auto [sender, receiver] = seqpacketPair();
  std::vector<int> fds(kMaxHandoverFds + 1, sender.get());
  EXPECT_THROW(sendHandoverMessage(sender.get(), {{"type", "x"}}, fds), std::invalid_argument);
}

std::shared_ptr<ConnectionRecord> sampleRecord() {
  auto record = std::make_shared<ConnectionRecord>();
  record->direction = "inbound";
  record->source = {"10.244.1.5:40000", "foo/sleep-1", "spiffe://cluster.local/ns/foo/sa/sleep"};
  record->destination = {"10.244.2.7:80", "bar/httpbin-1", ""};
  record->security = "mutual_tls";
  record->decision = "allow";
  record->reason = "mutual TLS from spiffe://cluster.local/ns/foo/sa/sleep accepted";
  record->relay = "kernel-tls/splice";
  record->xfcc = "By=spiffe://cluster.local/ns/bar/sa/httpbin;Hash=ab;Subject=\"\";URI=x";
  record->started = std::chrono::steady_clock::now() - 5s;
  record->counters.bytesDownstreamToUpstream = 1234;
  record->counters.bytesUpstreamToDownstream = 5678;
  InboundAdmission admission;
  admission.namespace_ = "bar";
  admission.name = "httpbin-1";
  admission.port = 80;
  admission.mutualTls = true;
  admission.attributes.sourcePrincipal = "spiffe://cluster.local/ns/foo/sa/sleep";
  admission.attributes.sourceIp = "10.244.1.5";
  admission.attributes.destinationIp = "10.244.2.7";
  admission.attributes.destinationPort = 80;
  record->admission = admission;
  return record;
}

TEST(HandoverRecord, EveryFieldTheNextAgentNeedsSurvivesTheTrip) {
  const auto record = sampleRecord();
  const ConnectionRecord& sent = *record;
  const auto received = recordFrom(nlohmann::json::parse(recordJson(sent).dump()));
  EXPECT_EQ(received->direction, sent.direction);
  EXPECT_EQ(received->source, sent.source);
  EXPECT_EQ(received->destination, sent.destination);
  EXPECT_EQ(received->security, sent.security);
  EXPECT_EQ(received->decision, sent.decision);
  EXPECT_EQ(received->reason, sent.reason);
  EXPECT_EQ(received->relay, sent.relay);
  EXPECT_EQ(received->xfcc, sent.xfcc);
  EXPECT_EQ(received->counters.bytesDownstreamToUpstream, 1234u);
  EXPECT_EQ(received->counters.bytesUpstreamToDownstream, 5678u);
  const auto age = std::chrono::steady_clock::now() - received->started;
  EXPECT_GE(age, 5s);
  EXPECT_LT(age, 60s);
  ASSERT_TRUE(received->admission.has_value());
  EXPECT_EQ(received->admission->namespace_, "bar");
  EXPECT_EQ(received->admission->name, "httpbin-1");
  EXPECT_EQ(received->admission->port, 80);
  EXPECT_TRUE(received->admission->mutualTls);
  EXPECT_EQ(received->admission->attributes.sourcePrincipal,
            sent.admission->attributes.sourcePrincipal);
  EXPECT_EQ(received->admission->attributes.sourceIp, "10.244.1.5");
  EXPECT_EQ(received->admission->attributes.destinationIp, "10.244.2.7");
  EXPECT_EQ(received->admission->attributes.destinationPort, 80);
}

TEST(HandoverRecord, AnOutboundRecordHasNoAdmission) {
  const auto sent = sampleRecord();
  sent->direction = "outbound";
  sent->admission.reset();
  EXPECT_FALSE(recordFrom(recordJson(*sent))->admission.has_value());
}

TEST(HandoverRecord, MalformedRecordsAreRefused) {
  const nlohmann::json good = recordJson(*sampleRecord());
  for (const char* field : {"direction", "source", "ageMs", "admission", "xfcc"}) {
    nlohmann::json missing = good;
    missing.erase(field);
    EXPECT_THROW(recordFrom(missing), std::runtime_error) << field;
  }
  nlohmann::json sideways = good;
  sideways["direction"] = "sideways";
  EXPECT_THROW(recordFrom(sideways), std::runtime_error);
  nlohmann::json future = good;
  future["ageMs"] = -1;
  EXPECT_THROW(recordFrom(future), std::runtime_error);
}

// A connected loopback TCP pair, so the receiver has real sockets to inspect.
std::pair<UniqueFd, UniqueFd> tcpPair() {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::system_error(errno, std::system_category(), "loopback listener");
  }
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::system_error(errno, std::system_category(), "connect");
  }
  UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  return {std::move(client), std::move(server)};
}

HandoverMessage messageFor(const tls::PausedKernelRelay& relay) {
  auto [sender, receiver] = seqpacketPair();
  const EncodedConnection encoded = encodeConnection(*sampleRecord(), relay);
  sendHandoverMessage(sender.get(), encoded.body, encoded.fds);
  return *receiveHandoverMessage(receiver.get());
}

// Splicing plaintext into a socket that lacks the kernel's TLS layer would put it on the
// wire: the receiver checks, whatever the message says.
TEST(HandoverConnection, ASocketWithoutTheTlsLayerIsNeverTakenForKernelTls) {
  auto [plain, notTls] = tcpPair();
  tls::PausedKernelRelay relay;
  relay.plain = std::move(plain);
  relay.tls = std::move(notTls);
  try {
    decodeConnection(messageFor(relay));
    FAIL() << "a plain TCP socket was accepted as kernel TLS";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("no TLS layer"), std::string::npos) << error.what();
  }
}

TEST(HandoverConnection, DescriptorsThatDoNotMatchTheMessageAreRefused) {
  auto [plain, other] = tcpPair();
  auto [readEnd, writeEnd] = pipePair();
  tls::PausedKernelRelay relay;
  relay.plain = std::move(plain);
  relay.tls = std::move(other);
  relay.toTls.pipeRead = std::move(readEnd);
  relay.toTls.pipeWrite = std::move(writeEnd);
  HandoverMessage message = messageFor(relay);
  message.fds.pop_back();  // the message names a pipe it does not carry whole
  try {
    decodeConnection(std::move(message));
    FAIL() << "a message short of a descriptor was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("descriptors"), std::string::npos) << error.what();
  }
}

TEST(HandoverConnection, UnknownRolesAndCiphersAreRefused) {
  auto [plain, other] = tcpPair();
  tls::PausedKernelRelay relay;
  relay.plain = std::move(plain);
  relay.tls = std::move(other);
  for (const auto& [field, value] : {std::pair{"role", "observer"}, {"cipher", "TLS_NULL"}}) {
    HandoverMessage message = messageFor(relay);
    message.body["relay"][field] = value;
    EXPECT_THROW(decodeConnection(std::move(message)), std::runtime_error) << field;
  }
}

class HandoverSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("ztls-handover-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::filesystem::path path() const { return directory_ / std::string(kHandoverSocketName); }

  std::filesystem::path directory_;
};

TEST_F(HandoverSocket, WithoutAPreviousAgentThereIsNothingToTakeOver) {
  const Takeover takeover = takeOverFrom(path(), 1s);
  EXPECT_FALSE(takeover.found);
  EXPECT_TRUE(takeover.connections.empty());
}

TEST_F(HandoverSocket, TheSuccessorGetsDoneWithTheDrainCountAndThePid) {
  HandoverListener listener(path());
  auto old = std::async(std::launch::async, [&] {
    auto peer = listener.waitForTakeover();
    if (peer) sendHandover(peer->get(), {}, 3);
    return peer.has_value();
  });
  const Takeover takeover = takeOverFrom(path(), 5s);
  EXPECT_TRUE(old.get());
  EXPECT_TRUE(takeover.found);
  EXPECT_EQ(takeover.previousPid, ::getpid());
  EXPECT_EQ(takeover.draining, 3u);
  EXPECT_TRUE(takeover.connections.empty());
  EXPECT_TRUE(takeover.problems.empty());
}

TEST_F(HandoverSocket, AnAgentThatBreaksOffTheHandOverIsAnError) {
  HandoverListener listener(path());
  auto old = std::async(std::launch::async, [&] {
    auto peer = listener.waitForTakeover();  // and drop it without "done"
    return peer.has_value();
  });
  EXPECT_THROW(takeOverFrom(path(), 5s), std::runtime_error);
  EXPECT_TRUE(old.get());
}

TEST_F(HandoverSocket, StopWakesTheWaiterAndRemovesOnlyItsOwnSocketFile) {
  auto listener = std::make_unique<HandoverListener>(path());
  auto waiting = std::async(std::launch::async, [&] { return listener->waitForTakeover(); });
  std::this_thread::sleep_for(50ms);
  listener->stop();
  EXPECT_FALSE(waiting.get().has_value());
  EXPECT_FALSE(std::filesystem::exists(path()));

  // A successor's socket in the same place outlives the predecessor's stop().
  auto old = std::make_unique<HandoverListener>(path());
  HandoverListener successor(path());
  old->stop();
  EXPECT_TRUE(std::filesystem::exists(path()));
}

}  // namespace
}  // namespace ztls::daemon
