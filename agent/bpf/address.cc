#include "ztls/bpf/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace ztls::bpf {
namespace {

// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the programs key
// them as IPv4.
void fillIp(const sockaddr_storage& address, __u32& family, __u32 (&ip)[4]) {
  family = 0;
  std::memset(ip, 0, sizeof(ip));
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    family = ZTLS_AF_INET;
    std::memcpy(&ip[0], &v4.sin_addr, sizeof(ip[0]));
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      family = ZTLS_AF_INET;
      std::memcpy(&ip[0], &v6.sin6_addr.s6_addr[12], sizeof(ip[0]));
    } else {
      family = ZTLS_AF_INET6;
      std::memcpy(ip, &v6.sin6_addr, sizeof(ip));
    }
  }
}

__u16 portOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) return reinterpret_cast<const sockaddr_in&>(address).sin_port;
  return reinterpret_cast<const sockaddr_in6&>(address).sin6_port;
}

}  // namespace

std::optional<ztls_inbound_key> inboundKeyOf(const sockaddr_storage& address) noexcept {
  ztls_inbound_key key{};
  fillIp(address, key.family, key.ip);
  if (key.family == 0) return std::nullopt;
  return key;
}

std::optional<ztls_flow_key> flowKeyOf(std::uint64_t netnsCookie,
                                       const sockaddr_storage& clientAddress) noexcept {
  ztls_flow_key key{};
  fillIp(clientAddress, key.family, key.ip);
  if (key.family == 0) return std::nullopt;
  key.netns_cookie = netnsCookie;
  key.port = portOf(clientAddress);
  return key;
}

sockaddr_storage socketAddressOf(const ztls_addr& address) noexcept {
  sockaddr_storage result{};
  if (address.family == ZTLS_AF_INET) {
    auto& v4 = reinterpret_cast<sockaddr_in&>(result);
    v4.sin_family = AF_INET;
    v4.sin_port = address.port;
    std::memcpy(&v4.sin_addr, &address.ip[0], sizeof(v4.sin_addr));
  } else if (address.family == ZTLS_AF_INET6) {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(result);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = address.port;
    std::memcpy(&v6.sin6_addr, address.ip, sizeof(v6.sin6_addr));
  }
  return result;
}

}  // namespace ztls::bpf
