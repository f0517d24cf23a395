// TCP sockets created inside a network namespace. They stay in that namespace for good,
// whichever thread later uses them. Both return a non-blocking, close-on-exec fd that the
// caller owns, and throw std::system_error naming the address and the namespace.
#pragma once

#include "ztls/netns/netns.h"
#include "ztls/netns/socket_address.h"

namespace ztls::netns {

// A listening socket with SO_REUSEADDR (so a restarted agent can bind again while old
// connections linger in TIME_WAIT). IPv6 listeners are IPv6-only, whatever the
// namespace's bindv6only sysctl says, so that IPv4 gets its own explicit listener.
int makeListener(const Netns& ns, const SocketAddress& address, int backlog);

// An unconnected TCP socket (family AF_INET or AF_INET6), for an upstream connect.
int makeSocket(const Netns& ns, int family);

}  // namespace ztls::netns
