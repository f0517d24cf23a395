// Network namespaces for real: needs root and iproute2, and fails (never skips) without.
#include "ztls/netns/netns.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <stdexcept>
#include <thread>

#include "pattern.h"
#include "relay_harness.h"
#include "scratch_netns.h"
#include "test_sockets.h"
#include "ztls/netns/sockets.h"

namespace ztls::proxy::test {
namespace {

using netns::Netns;
using netns::SocketAddress;

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      scratch_.emplace(::testing::UnitTest::GetInstance()->current_test_info()->name());
      pod_.emplace(Netns::open(scratch_->path()));
    } catch (const std::exception& error) {
      FAIL() << error.what();
    }
  }
  // Runs even when the test failed, so no namespace is left behind.
  void TearDown() override {
    pod_.reset();
    scratch_.reset();
  }

  const Netns& pod() const { return *pod_; }

  const Netns root_ = Netns::current();
  std::optional<ScratchNetns> scratch_;
  std::optional<Netns> pod_;
};

// Bound to 127.0.0.1 in the root namespace but not listening: the port is ours, and a
// connect to it from the root namespace is refused whatever else runs on this host.
Fd holdLoopbackPort() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in address{AF_INET, 0, {htonl(INADDR_LOOPBACK)}, {}};
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
  }
  return fd;
}

SocketAddress loopbackAddress(std::uint16_t port) {
  return *SocketAddress::parse("127.0.0.1:" + std::to_string(port));
}

void exchangeThroughRelay(int client, int server, RelayHarness& harness) {
  constexpr std::uint64_t kBytes = 256 * 1024;
  Transfer up, down;
  std::thread serverSide([&] {
    up = receivePattern(server, 11);
    down = sendPattern(server, 12, kBytes);
  });
  const Transfer sent = sendPattern(client, 11, kBytes);
  const Transfer received = receivePattern(client, 12);
  serverSide.join();
  EXPECT_EQ(sent.error, 0) << errnoName(sent.error);
  EXPECT_EQ(up.bytes, kBytes);
  EXPECT_FALSE(up.mismatch);
  EXPECT_EQ(down.error, 0) << errnoName(down.error);
  EXPECT_EQ(received.bytes, kBytes);
  EXPECT_FALSE(received.mismatch);
  EXPECT_EQ(harness.nextResult().end, RelayEnd::kClosed);
}

TEST_F(NetnsTest, CookiesDifferAndRunInEntersAndRestores) {
  EXPECT_NE(pod().cookie(), 0u);
  EXPECT_NE(pod().cookie(), root_.cookie());
  EXPECT_EQ(Netns::open("/proc/self/ns/net").cookie(), root_.cookie());
  const std::uint64_t inside = netns::runIn(pod(), [] { return Netns::current().cookie(); });
  EXPECT_EQ(inside, pod().cookie());
  EXPECT_EQ(Netns::current().cookie(), root_.cookie()) << "runIn did not restore the namespace";
}

TEST_F(NetnsTest, RunInRestoresWhenTheFunctionThrows) {
  EXPECT_THROW(netns::runIn(pod(), []() -> int { throw std::runtime_error("inside"); }),
               std::runtime_error);
  EXPECT_EQ(Netns::current().cookie(), root_.cookie());
}

TEST_F(NetnsTest, ListenerStaysInItsNamespaceAndAThreadInThereReachesIt) {
  const Fd holder = holdLoopbackPort();
  const std::uint16_t port = localPort(holder.get());
  Fd listener(netns::makeListener(pod(), loopbackAddress(port), 16));

  try {
    connectLoopback(port);
    ADD_FAILURE() << "a root-namespace client reached the pod's listener";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), ECONNREFUSED) << error.what();
  }

  std::string clientError;
  std::uint64_t cookieInside = 0;
  std::uint64_t cookieAfter = 0;
  std::thread client([&] {
    try {
      netns::runIn(pod(), [&] {
        cookieInside = Netns::current().cookie();
        const Fd fd = connectLoopback(port);
        const char hello = 'h';
        sendAll(fd.get(), std::as_bytes(std::span(&hello, 1)));
      });
      cookieAfter = Netns::current().cookie();
    } catch (const std::exception& error) {
      clientError = error.what();
    }
  });
  client.join();
  ASSERT_EQ(clientError, "");
  EXPECT_EQ(cookieInside, pod().cookie());
  EXPECT_EQ(cookieAfter, root_.cookie()) << "the client thread was left in the pod namespace";

  const Fd accepted = acceptOne(listener.get());
  char hello = 0;
  EXPECT_EQ(::recv(accepted.get(), &hello, 1, 0), 1);
  EXPECT_EQ(hello, 'h');
}

TEST_F(NetnsTest, RelayListeningInsideAPodNamespace) {
  Fd server = listenLoopback();
  HarnessOptions options;
  options.listenerNetns = &pod();
  RelayHarness harness(loopback(localPort(server.get())), options);
  // Created inside the pod, used from here: a socket keeps its namespace.
  Fd client = netns::runIn(pod(), [&] { return connectLoopback(harness.port()); });
  Fd accepted = acceptOne(server.get());
  exchangeThroughRelay(client.get(), accepted.get(), harness);
}

TEST_F(NetnsTest, RelayConnectingUpstreamInsideAPodNamespace) {
  Fd server(netns::makeListener(pod(), loopbackAddress(0), 16));
  HarnessOptions options;
  options.upstreamNetns = &pod();
  RelayHarness harness(loopback(localPort(server.get())), options);
  Fd client = connectLoopback(harness.port());
  Fd accepted = acceptOne(server.get());
  exchangeThroughRelay(client.get(), accepted.get(), harness);
}

TEST_F(NetnsTest, ListenerErrorsNameTheAddressTheNamespaceAndTheCause) {
  try {
    Fd fd(netns::makeListener(pod(), *SocketAddress::parse("10.9.9.9:80"), 16));
    FAIL() << "bound an address the namespace does not have";
  } catch (const std::system_error& error) {
    const std::string what = error.what();
    EXPECT_EQ(error.code().value(), EADDRNOTAVAIL) << what;
    EXPECT_NE(what.find("10.9.9.9:80"), std::string::npos) << what;
    EXPECT_NE(what.find(scratch_->path().string()), std::string::npos) << what;
    EXPECT_NE(what.find("Cannot assign requested address"), std::string::npos) << what;
  }
  EXPECT_EQ(Netns::current().cookie(), root_.cookie());
}

TEST_F(NetnsTest, Ipv6ListenerIsIpv6Only) {
  Fd fd(netns::makeListener(pod(), *SocketAddress::parse("[::1]:0"), 16));
  int only = 0;
  socklen_t length = sizeof(only);
  ASSERT_EQ(::getsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, &length), 0);
  EXPECT_EQ(only, 1);
}

TEST(NetnsOpen, ErrorsSayWhichFileAndWhy) {
  try {
    Netns::open("/nonexistent/ns/net");
    FAIL() << "opened a missing file";
  } catch (const std::system_error& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("/nonexistent/ns/net"), std::string::npos) << what;
    EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  }
  try {
    Netns::open("/proc/self/ns/uts");
    FAIL() << "took a UTS namespace for a network namespace";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("not a network namespace"), std::string::npos)
        << error.what();
  }
  try {
    Netns::open("/proc/self/status");
    FAIL() << "took a regular file for a namespace";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("not a namespace file"), std::string::npos)
        << error.what();
  }
}

TEST(NetnsHandle, IsMoveOnlyAndKeepsItsCookie) {
  Netns first = Netns::current();
  const std::uint64_t cookie = first.cookie();
  Netns second = std::move(first);
  EXPECT_EQ(second.cookie(), cookie);
  EXPECT_GE(second.fd(), 0);
  EXPECT_EQ(first.fd(), -1);  // NOLINT(bugprone-use-after-move): the moved-from state
  static_assert(!std::is_copy_constructible_v<Netns>);
}

}  // namespace
}  // namespace ztls::proxy::test
