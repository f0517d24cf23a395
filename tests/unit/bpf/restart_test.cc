// The pins are the state: an agent restart (Capture destroyed, opened
// again on the same directory) keeps pods captured without a gap, and
// release/removePins really detach.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <netinet/in.h>

#include <algorithm>

#include "capture_fixture.h"
#include "pod_process.h"
#include "ztls/bpf/address.h"

namespace ztls::bpf::test {
namespace {

bpf_link_info pinnedLinkInfo(const std::filesystem::path& pin) {
  const UniqueFd link(bpf_obj_get(pin.c_str()));
  if (!link) throw std::runtime_error("no link pinned at " + pin.string());
  bpf_link_info info{};
  __u32 length = sizeof(info);
  if (bpf_obj_get_info_by_fd(link.get(), &info, &length) != 0)
    throw std::runtime_error("no info for the link pinned at " + pin.string());
  return info;
}

class RestartTest : public CaptureTest {
 protected:
  void SetUp() override {
    CaptureTest::SetUp();
    if (HasFatalFailure()) return;
    network_.emplace();
    cgroup_.emplace("pods");
    EnterNetns inside(network_->pod.fd());
    app_ = listenOnAny(AF_INET, 80);
    agent_ = listenOnAny(AF_INET, 15006);
    outbound_ = listenOn(socketAddress("127.0.0.1", ZTLS_OUTBOUND_PORT));
  }
  void TearDown() override {
    outbound_.reset();
    agent_.reset();
    app_.reset();
    cgroup_.reset();
    network_.reset();
    CaptureTest::TearDown();
  }

  void captureThePod() {
    capture().attachCgroup(cgroup_->path());
    capture().setInboundListener(*inboundKeyOf(podApp()), agent_.get());
    capture().enrollNetns(network_->podCookie, network_->pod.fd());
  }
  sockaddr_storage podApp() const { return network_->podAddress(AF_INET, 80); }
  std::filesystem::path skLookupPin() const {
    return pinDir_ / "pods" / std::to_string(network_->podCookie) / "sk_lookup";
  }

  // Where a client connection to the app ends up: "agent", "app", or the error.
  std::string inboundLandsOn() {
    Connection client;
    {
      EnterNetns inside(network_->client.fd());
      client = connectTo(podApp());
    }
    if (client.error != 0) return errnoText(client.error);
    if (acceptWithin(agent_.get(), 1000)) return acceptWithin(app_.get(), 50) ? "both" : "agent";
    if (acceptWithin(app_.get(), 1000)) return "app";
    return "nobody";
  }

  // Whether a pod process's outbound connection is redirected and resolved.
  bool outboundRedirected() {
    PodProcess pod(cgroup_->path(), network_->pod.fd(), [] {
      Connection connection = connectTo(socketAddress("10.213.9.9", 8443));
      connection.fd.release();
      return connection.error;
    });
    if (pod.result() != 0) return false;
    const UniqueFd accepted = acceptWithin(outbound_.get(), 2000);
    if (!accepted) return false;
    const auto original =
        capture().takeOriginalDestination(network_->podCookie, peerAddressOf(accepted.get()));
    return original && toString(socketAddressOf(*original)) == "10.213.9.9:8443";
  }

  std::optional<PodNetwork> network_;
  std::optional<ScratchCgroup> cgroup_;
  UniqueFd app_;
  UniqueFd agent_;
  UniqueFd outbound_;
};

TEST_F(RestartTest, PinnedStateKeepsCapturingWhileTheAgentIsGoneAndAfterItsReturn) {
  captureThePod();
  ASSERT_EQ(inboundLandsOn(), "agent");
  const bpf_link_info skLookupBefore = pinnedLinkInfo(skLookupPin());
  const bpf_link_info connectBefore = pinnedLinkInfo(pinDir_ / "connect4");
  const std::uint64_t steered = counter(ZTLS_INBOUND_STEERED);

  stopAgent();
  EXPECT_EQ(inboundLandsOn(), "agent") << "capture stopped with the agent";

  const std::vector<std::uint64_t> enrolled = capture().enrolledNetns();
  EXPECT_NE(std::find(enrolled.begin(), enrolled.end(), network_->podCookie), enrolled.end());
  EXPECT_EQ(counter(ZTLS_INBOUND_STEERED), steered + 1) << "counters restarted from zero";

  // What a restarted agent does: the same calls, which switch the pinned
  // links to its programs instead of attaching a second copy.
  captureThePod();
  const bpf_link_info skLookupAfter = pinnedLinkInfo(skLookupPin());
  const bpf_link_info connectAfter = pinnedLinkInfo(pinDir_ / "connect4");
  EXPECT_EQ(skLookupAfter.id, skLookupBefore.id);
  EXPECT_NE(skLookupAfter.prog_id, skLookupBefore.prog_id);
  EXPECT_EQ(connectAfter.id, connectBefore.id);
  EXPECT_NE(connectAfter.prog_id, connectBefore.prog_id);
  EXPECT_EQ(inboundLandsOn(), "agent");
  EXPECT_TRUE(outboundRedirected());
}

TEST_F(RestartTest, ReleasedNamespaceIsNoLongerCaptured) {
  captureThePod();
  ASSERT_EQ(inboundLandsOn(), "agent");

  capture().releaseNetns(network_->podCookie);
  EXPECT_TRUE(capture().enrolledNetns().empty());
  EXPECT_FALSE(std::filesystem::exists(skLookupPin().parent_path()));
  EXPECT_EQ(inboundLandsOn(), "app");
  EXPECT_NO_THROW(capture().releaseNetns(network_->podCookie)) << "release is idempotent";
}

TEST_F(RestartTest, EnrollingTwiceIsIdempotent) {
  captureThePod();
  const bpf_link_info first = pinnedLinkInfo(skLookupPin());
  captureThePod();
  EXPECT_EQ(pinnedLinkInfo(skLookupPin()).id, first.id);
  EXPECT_EQ(inboundLandsOn(), "agent");
  EXPECT_TRUE(outboundRedirected());
}

TEST_F(RestartTest, RemovePinsDetachesEverything) {
  captureThePod();
  ASSERT_EQ(inboundLandsOn(), "agent");
  stopAgent();

  Capture::removePins(pinDir_);
  EXPECT_FALSE(std::filesystem::exists(pinDir_));
  EXPECT_EQ(inboundLandsOn(), "app");
  PodProcess pod(cgroup_->path(), network_->pod.fd(),
                 [] { return connectTo(socketAddress("10.213.9.9", 8443)).error; });
  EXPECT_EQ(pod.result(), ENETUNREACH) << "the connect hook is still attached";
}

}  // namespace
}  // namespace ztls::bpf::test
