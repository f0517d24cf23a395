// sk_lookup in a real pod namespace: steering, fail-closed, and the agent's
// own upstream connection to the app.
#include <netinet/in.h>

#include "capture_fixture.h"
#include "ztls/bpf/address.h"

namespace ztls::bpf::test {
namespace {

constexpr std::uint16_t kAppPort = 80;
constexpr std::uint16_t kAgentInboundPort = 15006;

class InboundTest : public CaptureTest, public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override {
    CaptureTest::SetUp();
    if (HasFatalFailure()) return;
    network_.emplace();
    EnterNetns inside(network_->pod.fd());
    app_ = listenOnAny(family(), kAppPort);
    agent_ = listenOnAny(family(), kAgentInboundPort);
  }
  void TearDown() override {
    agent_.reset();
    app_.reset();
    network_.reset();
    CaptureTest::TearDown();
  }

  int family() const { return GetParam(); }
  sockaddr_storage podApp() const { return network_->podAddress(family(), kAppPort); }
  ztls_inbound_key podKey() const { return *inboundKeyOf(podApp()); }

  void enrollWithAgentListening() {
    capture().setInboundListener(podKey(), agent_.get());
    capture().enrollNetns(network_->podCookie, network_->pod.fd());
  }
  Connection connectFromClient() {
    EnterNetns inside(network_->client.fd());
    return connectTo(podApp());
  }

  std::optional<PodNetwork> network_;
  UniqueFd app_;
  UniqueFd agent_;
};

TEST_P(InboundTest, ConnectionToAnyPortLandsOnTheAgentWithTheOriginalDestination) {
  enrollWithAgentListening();
  const std::uint64_t steered = counter(ZTLS_INBOUND_STEERED);

  const Connection client = connectFromClient();
  ASSERT_EQ(client.error, 0) << errnoText(client.error);

  const UniqueFd accepted = acceptWithin(agent_.get(), 2000);
  ASSERT_TRUE(accepted) << "the agent listener got nothing";
  EXPECT_EQ(toString(localAddressOf(accepted.get())), toString(podApp()));
  EXPECT_FALSE(acceptWithin(app_.get(), 100)) << "the app saw a captured connection";
  EXPECT_EQ(counter(ZTLS_INBOUND_STEERED), steered + 1);
}

TEST_P(InboundTest, NoAgentListenerRefusesTheClientAndTheAppSeesNothing) {
  enrollWithAgentListening();
  capture().clearInboundListener(podKey());
  const std::uint64_t dropped = counter(ZTLS_INBOUND_NO_LISTENER);

  const Connection client = connectFromClient();
  EXPECT_EQ(client.error, ECONNREFUSED) << errnoText(client.error);
  EXPECT_FALSE(acceptWithin(app_.get(), 100)) << "fail-open: the app got the connection";
  EXPECT_EQ(counter(ZTLS_INBOUND_NO_LISTENER), dropped + 1);
}

TEST_P(InboundTest, AgentCrashFailsClosed) {
  enrollWithAgentListening();
  agent_.reset();  // the kernel drops a closed socket from the SOCKHASH

  const Connection client = connectFromClient();
  EXPECT_EQ(client.error, ECONNREFUSED) << errnoText(client.error);
  EXPECT_FALSE(acceptWithin(app_.get(), 100)) << "fail-open: the app got the connection";
}

TEST_P(InboundTest, PodConnectingToItsOwnAddressReachesTheApp) {
  enrollWithAgentListening();
  const std::uint64_t self = counter(ZTLS_INBOUND_SELF);

  Connection upstream;
  {
    EnterNetns inside(network_->pod.fd());
    upstream = connectTo(podApp());
  }
  ASSERT_EQ(upstream.error, 0) << errnoText(upstream.error);
  EXPECT_TRUE(acceptWithin(app_.get(), 2000)) << "the app did not get its own connection";
  EXPECT_FALSE(acceptWithin(agent_.get(), 100));
  EXPECT_EQ(counter(ZTLS_INBOUND_SELF), self + 1);
}

TEST_P(InboundTest, NotEnrolledPodIsNotCaptured) {
  capture().setInboundListener(podKey(), agent_.get());

  const Connection client = connectFromClient();
  ASSERT_EQ(client.error, 0) << errnoText(client.error);
  EXPECT_TRUE(acceptWithin(app_.get(), 2000));
  EXPECT_FALSE(acceptWithin(agent_.get(), 100));
}

INSTANTIATE_TEST_SUITE_P(Families, InboundTest, ::testing::Values(AF_INET, AF_INET6),
                         [](const auto& instance) {
                           return instance.param == AF_INET ? "Ipv4" : "Ipv6";
                         });

}  // namespace
}  // namespace ztls::bpf::test
