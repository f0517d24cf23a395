// IPv4/IPv6 addresses and CIDR prefixes as Kubernetes and Istio write them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ztls::config {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  auto operator<=>(const IpAddress&) const = default;
  std::string toString() const;
  bool isIpv4Mapped() const;  // ::ffff:a.b.c.d
};

struct IpPrefix {
  IpAddress address;
  int length = 0;  // prefix length in bits

  bool contains(const IpAddress& candidate) const;
};

std::optional<IpAddress> parseIpAddress(std::string_view text);
// "10.0.0.0/8", "fd00::/64", or a bare address (a full-length prefix). An IPv4-mapped
// IPv6 prefix becomes the IPv4 prefix it covers.
std::optional<IpPrefix> parseIpPrefix(std::string_view text);
// An address as a socket reports it: a dual-stack socket shows IPv4 peers as
// ::ffff:a.b.c.d and link-local peers carry a zone ("fe80::1%eth0"). Normalised to plain
// IPv4 and without the zone, so IPv4 blocks keep applying.
std::optional<IpAddress> parsePeerAddress(std::string_view text);

// A TCP port written in decimal, 1..65535, nothing else in the text.
std::optional<std::uint16_t> parsePort(std::string_view text);

}  // namespace ztls::config
