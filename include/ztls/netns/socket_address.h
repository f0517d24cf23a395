// An IPv4 or IPv6 socket address (address + port) as the kernel takes it.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ztls::netns {

class SocketAddress {
 public:
  // "10.0.0.1:80" or "[::1]:80"; port 0 asks the kernel for an ephemeral port on bind.
  static std::optional<SocketAddress> parse(std::string_view text);
  // Only AF_INET and AF_INET6 with a long enough length are accepted.
  static std::optional<SocketAddress> fromSockaddr(const sockaddr* address, socklen_t length);
  static std::optional<SocketAddress> fromStorage(const sockaddr_storage& storage);

  int family() const { return storage_.ss_family; }
  std::uint16_t port() const;  // host byte order
  const sockaddr* data() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const;
  const sockaddr_storage& storage() const { return storage_; }
  std::string toString() const;

  bool operator==(const SocketAddress& other) const;

 private:
  SocketAddress() = default;
  sockaddr_storage storage_{};
};

}  // namespace ztls::netns
