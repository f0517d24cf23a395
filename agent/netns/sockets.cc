#include "ztls/netns/sockets.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "ztls/unique_fd.h"

namespace ztls::netns {

namespace {

// Reads errno before building the message: allocating could change it.
[[noreturn]] void fail(const char* action, const std::string& subject, const Netns& ns) {
  const int error = errno;
  throw std::system_error(
      error, std::generic_category(),
      std::string(action) + " " + subject + " in network namespace " + ns.path().string());
}

int tcpSocket(int family) {
  return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
}

}  // namespace

int makeListener(const Netns& ns, const SocketAddress& address, int backlog) {
  const std::string where = address.toString();
  return runIn(ns, [&] {
    UniqueFd fd(tcpSocket(address.family()));
    if (!fd) fail("cannot create a listening socket for", where, ns);
    const int on = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
      fail("cannot set SO_REUSEADDR on the listener for", where, ns);
    }
    if (address.family() == AF_INET6 &&
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) {
      fail("cannot set IPV6_V6ONLY on the listener for", where, ns);
    }
    if (::bind(fd.get(), address.data(), address.length()) != 0) {
      fail("cannot bind", where, ns);
    }
    if (::listen(fd.get(), backlog) != 0) fail("cannot listen on", where, ns);
    return fd.release();
  });
}

int makeSocket(const Netns& ns, int family) {
  const std::string what = "(address family " + std::to_string(family) + ")";
  return runIn(ns, [&] {
    const int fd = tcpSocket(family);
    if (fd < 0) fail("cannot create a TCP socket", what, ns);
    return fd;
  });
}

}  // namespace ztls::netns
