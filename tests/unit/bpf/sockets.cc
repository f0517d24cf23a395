#include "sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace ztls::bpf::test {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

socklen_t lengthOf(const sockaddr_storage& address) {
  return address.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

}  // namespace

sockaddr_storage socketAddress(const std::string& ip, std::uint16_t port) {
  sockaddr_storage result{};
  auto& v4 = reinterpret_cast<sockaddr_in&>(result);
  auto& v6 = reinterpret_cast<sockaddr_in6&>(result);
  if (::inet_pton(AF_INET, ip.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
  } else if (::inet_pton(AF_INET6, ip.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
  } else {
    throw std::invalid_argument("not an IP address: " + ip);
  }
  return result;
}

std::string toString(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    return std::string(text) + ":" + std::to_string(ntohs(v4.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(v6.sin6_port));
  }
  return "family " + std::to_string(address.ss_family);
}

bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  return toString(a) == toString(b);
}

UniqueFd listenOn(const sockaddr_storage& address) {
  UniqueFd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) fail("socket");
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (address.ss_family == AF_INET6)
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), lengthOf(address)) != 0)
    fail("bind " + toString(address));
  if (::listen(fd.get(), 16) != 0) fail("listen " + toString(address));
  return fd;
}

UniqueFd listenOnAny(int family, std::uint16_t port) {
  return listenOn(socketAddress(family == AF_INET ? "0.0.0.0" : "::", port));
}

Connection connectTo(const sockaddr_storage& address, int timeoutMs) {
  Connection result;
  result.fd = UniqueFd(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!result.fd) fail("socket");
  if (::connect(result.fd.get(), reinterpret_cast<const sockaddr*>(&address), lengthOf(address)) ==
      0)
    return result;
  if (errno != EINPROGRESS) {
    result.error = errno;
    return result;
  }
  pollfd waiting{.fd = result.fd.get(), .events = POLLOUT, .revents = 0};
  if (::poll(&waiting, 1, timeoutMs) != 1) {
    result.error = ETIMEDOUT;
    return result;
  }
  socklen_t length = sizeof(result.error);
  ::getsockopt(result.fd.get(), SOL_SOCKET, SO_ERROR, &result.error, &length);
  return result;
}

UniqueFd acceptWithin(int listener, int timeoutMs) {
  pollfd waiting{.fd = listener, .events = POLLIN, .revents = 0};
  if (::poll(&waiting, 1, timeoutMs) != 1) return UniqueFd();
  return UniqueFd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
}

sockaddr_storage localAddressOf(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) fail("getsockname");
  return address;
}

sockaddr_storage peerAddressOf(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) fail("getpeername");
  return address;
}

std::uint64_t socketCookieOf(int fd) {
  std::uint64_t cookie = 0;
  socklen_t length = sizeof(cookie);
  if (::getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &length) != 0) fail("getsockopt(SO_COOKIE)");
  return cookie;
}

}  // namespace ztls::bpf::test
