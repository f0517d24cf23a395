// cgroup connect4/connect6 + sockops with a pod-like process: in the
// capture cgroup, then in an enrolled (or not) network namespace.
#include <bpf/bpf.h>
#include <netinet/in.h>

#include <ostream>

#include "capture_fixture.h"
#include "pod_process.h"
#include "ztls/bpf/address.h"

namespace ztls::bpf::test {
namespace {

// Connects and keeps the connection open for the life of the process.
int connectAndHold(const sockaddr_storage& destination) {
  Connection connection = connectTo(destination);
  connection.fd.release();
  return connection.error;
}

class OutboundTest : public CaptureTest {
 protected:
  void SetUp() override {
    CaptureTest::SetUp();
    if (HasFatalFailure()) return;
    cgroup_.emplace("pods");
    pod_.emplace("pod");
    podCookie_ = netnsCookieOf(pod_->fd());
  }
  void TearDown() override {
    processes_.clear();
    pod_.reset();
    cgroup_.reset();
    CaptureTest::TearDown();
  }

  void captureThePod() {
    capture().attachCgroup(cgroup_->path());
    capture().enrollNetns(podCookie_, pod_->fd());
  }
  UniqueFd listenInPod(const std::string& ip, std::uint16_t port) {
    EnterNetns inside(pod_->fd());
    return listenOn(socketAddress(ip, port));
  }
  int connectFromPod(const sockaddr_storage& destination, int netnsFd = -1) {
    processes_.push_back(
        std::make_unique<PodProcess>(cgroup_->path(), netnsFd < 0 ? pod_->fd() : netnsFd,
                                     [destination] { return connectAndHold(destination); }));
    return processes_.back()->result();
  }

  std::optional<ScratchCgroup> cgroup_;
  std::optional<ScratchNetns> pod_;
  std::uint64_t podCookie_ = 0;
  // Destroyed (children reaped) before the cgroup they live in.
  std::vector<std::unique_ptr<PodProcess>> processes_;
};

struct RedirectCase {
  const char* name;
  const char* destination;  // what the pod connects to, port 8443
  const char* listener;     // the agent listener that must get it
  const char* original;     // what takeOriginalDestination must return
};

void PrintTo(const RedirectCase& c, std::ostream* out) { *out << c.name; }

class OutboundRedirectTest : public OutboundTest,
                             public ::testing::WithParamInterface<RedirectCase> {};

TEST_P(OutboundRedirectTest, EnrolledPodLandsOnTheAgentWhichLearnsTheOriginalDestination) {
  const RedirectCase& c = GetParam();
  captureThePod();
  const UniqueFd agent = listenInPod(c.listener, ZTLS_OUTBOUND_PORT);
  const VerdictCounters before = capture().verdictCounters();

  const int error = connectFromPod(socketAddress(c.destination, 8443));
  ASSERT_EQ(error, 0) << errnoText(error);

  const UniqueFd accepted = acceptWithin(agent.get(), 2000);
  ASSERT_TRUE(accepted) << "the outbound listener got nothing";
  EXPECT_EQ(toString(localAddressOf(accepted.get())),
            toString(socketAddress(c.listener, ZTLS_OUTBOUND_PORT)));
  const sockaddr_storage client = peerAddressOf(accepted.get());
  const std::optional<ztls_addr> original = capture().takeOriginalDestination(podCookie_, client);
  ASSERT_TRUE(original) << "no original destination for " << toString(client);
  EXPECT_EQ(toString(socketAddressOf(*original)), toString(socketAddress(c.original, 8443)));
  EXPECT_FALSE(capture().takeOriginalDestination(podCookie_, client)) << "handed out twice";
  EXPECT_FALSE(capture().takeOriginalDestination(podCookie_ + 1, client))
      << "the namespace is part of the key";

  const VerdictCounters after = capture().verdictCounters();
  EXPECT_EQ(after[ZTLS_OUTBOUND_REDIRECTED], before[ZTLS_OUTBOUND_REDIRECTED] + 1);
  EXPECT_EQ(after[ZTLS_ORIGDST_RECORDED], before[ZTLS_ORIGDST_RECORDED] + 1);
  EXPECT_EQ(after[ZTLS_ORIGDST_MISSING], before[ZTLS_ORIGDST_MISSING]);
}

INSTANTIATE_TEST_SUITE_P(
    Destinations, OutboundRedirectTest,
    ::testing::Values(RedirectCase{"Ipv4", "10.213.9.9", "127.0.0.1", "10.213.9.9"},
                      RedirectCase{"Ipv6", "fd00:213::9", "::1", "fd00:213::9"},
                      // A dual-stack socket to IPv4 reaches the IPv4 listener.
                      RedirectCase{"Ipv4MappedIpv6", "::ffff:10.213.9.10", "127.0.0.1",
                                   "10.213.9.10"}),
    [](const auto& instance) { return std::string(instance.param.name); });

TEST_F(OutboundTest, NotEnrolledNamespaceIsUntouched) {
  capture().attachCgroup(cgroup_->path());
  ScratchNetns plain("plain");
  plain.ip("addr add 10.214.0.1/32 dev lo");
  UniqueFd app, decoy;
  {
    EnterNetns inside(plain.fd());
    app = listenOn(socketAddress("10.214.0.1", 8080));
    decoy = listenOn(socketAddress("127.0.0.1", ZTLS_OUTBOUND_PORT));
  }
  const std::uint64_t untouched = counter(ZTLS_OUTBOUND_NOT_ENROLLED);

  const int error = connectFromPod(socketAddress("10.214.0.1", 8080), plain.fd());
  ASSERT_EQ(error, 0) << errnoText(error);
  EXPECT_TRUE(acceptWithin(app.get(), 2000)) << "the destination did not get the connection";
  EXPECT_FALSE(acceptWithin(decoy.get(), 100)) << "a not enrolled namespace was redirected";
  EXPECT_EQ(counter(ZTLS_OUTBOUND_NOT_ENROLLED), untouched + 1);
}

TEST_F(OutboundTest, LoopbackDestinationIsUntouched) {
  captureThePod();
  const UniqueFd app = listenInPod("127.0.0.1", 9090);
  const UniqueFd agent = listenInPod("127.0.0.1", ZTLS_OUTBOUND_PORT);
  const std::uint64_t loopback = counter(ZTLS_OUTBOUND_LOOPBACK);

  const int error = connectFromPod(socketAddress("127.0.0.1", 9090));
  ASSERT_EQ(error, 0) << errnoText(error);
  EXPECT_TRUE(acceptWithin(app.get(), 2000));
  EXPECT_FALSE(acceptWithin(agent.get(), 100));
  EXPECT_EQ(counter(ZTLS_OUTBOUND_LOOPBACK), loopback + 1);
}

TEST_F(OutboundTest, ProcessOutsideTheCgroupIsUntouched) {
  captureThePod();
  const UniqueFd agent = listenInPod("127.0.0.1", ZTLS_OUTBOUND_PORT);
  Connection connection;
  {
    EnterNetns inside(pod_->fd());
    connection = connectTo(socketAddress("10.213.9.9", 8443));
  }
  // No route in the bare pod namespace: the connect went where it was sent.
  EXPECT_EQ(connection.error, ENETUNREACH) << errnoText(connection.error);
  EXPECT_FALSE(acceptWithin(agent.get(), 100));
}

// Agent down: the enrolled pod cannot reach anything, and the parked
// destination of the failed connect does not leak.
TEST_F(OutboundTest, NoOutboundListenerRefusesAndLeavesNoState) {
  captureThePod();

  const int error = connectFromPod(socketAddress("10.213.9.9", 8443));
  EXPECT_EQ(error, ECONNREFUSED) << errnoText(error);

  const UniqueFd parked(bpf_obj_get((pinDir_ / "orig_dst_by_cookie").c_str()));
  ASSERT_TRUE(parked) << "orig_dst_by_cookie is not pinned";
  __u64 key = 0;
  EXPECT_NE(bpf_map_get_next_key(parked.get(), nullptr, &key), 0)
      << "a refused connect left its parked destination behind";
}

}  // namespace
}  // namespace ztls::bpf::test
