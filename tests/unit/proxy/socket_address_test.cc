#include "ztls/netns/socket_address.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

namespace ztls::netns {
namespace {

TEST(SocketAddress, ParsesAndPrintsBothFamilies) {
  const auto v4 = SocketAddress::parse("10.0.0.1:80");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 80);
  EXPECT_EQ(v4->length(), sizeof(sockaddr_in));
  EXPECT_EQ(v4->toString(), "10.0.0.1:80");

  const auto v6 = SocketAddress::parse("[::1]:15008");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->port(), 15008);
  EXPECT_EQ(v6->length(), sizeof(sockaddr_in6));
  EXPECT_EQ(v6->toString(), "[::1]:15008");
}

TEST(SocketAddress, RejectsWhatIsNotAnAddressWithAPort) {
  for (const char* text : {"", "10.0.0.1", "10.0.0.1:", "10.0.0.1:65536", "10.0.0.1:-1",
                           "10.0.0.1:8x", "::1:80", "[::1]", "[::1]80", "[10.0.0.1]:80", "[::1:80",
                           "host:80", "10.0.0.256:80", "1.2.3.4:+80"}) {
    EXPECT_FALSE(SocketAddress::parse(text)) << text;
  }
}

TEST(SocketAddress, RoundTripsThroughSockaddr) {
  const auto original = *SocketAddress::parse("[fd00::5]:443");
  const sockaddr_storage storage = original.storage();
  const auto copy = SocketAddress::fromStorage(storage);
  ASSERT_TRUE(copy);
  EXPECT_EQ(*copy, original);
  EXPECT_FALSE(*copy == *SocketAddress::parse("[fd00::5]:444"));
  EXPECT_FALSE(*copy == *SocketAddress::parse("10.0.0.5:443"));

  const auto v4 = *SocketAddress::parse("192.168.1.2:0");
  const auto again = SocketAddress::fromSockaddr(v4.data(), v4.length());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->toString(), "192.168.1.2:0");
  EXPECT_FALSE(SocketAddress::fromSockaddr(v4.data(), v4.length() - 1));
}

TEST(SocketAddress, RefusesOtherFamilies) {
  sockaddr_un unixAddress{};
  unixAddress.sun_family = AF_UNIX;
  EXPECT_FALSE(SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&unixAddress),
                                           sizeof(unixAddress)));
  EXPECT_FALSE(SocketAddress::fromSockaddr(nullptr, 0));
}

TEST(SocketAddress, PrintsTheScopeOfLinkLocalAddresses) {
  auto address = *SocketAddress::parse("[fe80::1]:80");
  sockaddr_in6 raw{};
  std::memcpy(&raw, address.data(), sizeof(raw));
  raw.sin6_scope_id = 2;
  const auto scoped =
      SocketAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&raw), sizeof(raw));
  ASSERT_TRUE(scoped);
  EXPECT_EQ(scoped->toString(), "[fe80::1%2]:80");
  EXPECT_FALSE(*scoped == address);
}

}  // namespace
}  // namespace ztls::netns
