// The userspace half of the key contract: the agent must build exactly the
// bytes the programs stored.
#include "ztls/bpf/address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include "sockets.h"
#include "ztls/bpf/verdict.h"

namespace ztls::bpf::test {
namespace {

TEST(BpfAddress, FlowKeyOfIpv4PeerIsNetworkOrder) {
  const auto key = flowKeyOf(42, socketAddress("127.0.0.1", 40000));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->netns_cookie, 42u);
  EXPECT_EQ(key->family, static_cast<__u32>(ZTLS_AF_INET));
  EXPECT_EQ(key->ip[0], static_cast<__u32>(ZTLS_LOOPBACK4_BE));
  EXPECT_EQ(key->ip[1] | key->ip[2] | key->ip[3], 0u);
  EXPECT_EQ(key->port, htons(40000));
}

TEST(BpfAddress, Ipv4MappedPeerIsKeyedAsIpv4) {
  const auto mapped = flowKeyOf(7, socketAddress("::ffff:127.0.0.1", 40000));
  const auto plain = flowKeyOf(7, socketAddress("127.0.0.1", 40000));
  ASSERT_TRUE(mapped && plain);
  EXPECT_EQ(std::memcmp(&*mapped, &*plain, sizeof(ztls_flow_key)), 0);
  const auto inbound = inboundKeyOf(socketAddress("::ffff:10.1.2.3", 0));
  ASSERT_TRUE(inbound);
  EXPECT_EQ(inbound->family, static_cast<__u32>(ZTLS_AF_INET));
}

TEST(BpfAddress, Ipv6RoundTrip) {
  const sockaddr_storage address = socketAddress("fd00:213::9", 8443);
  const auto key = inboundKeyOf(address);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->family, static_cast<__u32>(ZTLS_AF_INET6));
  ztls_addr recorded{};
  recorded.family = key->family;
  std::memcpy(recorded.ip, key->ip, sizeof(recorded.ip));
  recorded.port = htons(8443);
  EXPECT_EQ(toString(socketAddressOf(recorded)), "[fd00:213::9]:8443");
}

TEST(BpfAddress, OtherFamiliesHaveNoKey) {
  sockaddr_storage unix{};
  unix.ss_family = AF_UNIX;
  EXPECT_FALSE(inboundKeyOf(unix));
  EXPECT_FALSE(flowKeyOf(1, unix));
  EXPECT_EQ(socketAddressOf(ztls_addr{}).ss_family, AF_UNSPEC);
}

TEST(BpfVerdict, EveryReasonHasItsOwnName) {
  std::set<std::string> names;
  for (int reason = 0; reason < ZTLS_VERDICT_REASON_COUNT; ++reason) {
    const std::string name = verdictReasonName(static_cast<ztls_verdict_reason>(reason));
    EXPECT_NE(name, "unknown") << reason;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(ZTLS_VERDICT_REASON_COUNT));
  EXPECT_STREQ(verdictReasonName(ZTLS_VERDICT_REASON_COUNT), "unknown");
}

}  // namespace
}  // namespace ztls::bpf::test
