// Small blocking-with-timeout TCP helpers for the capture tests.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "ztls/unique_fd.h"

namespace ztls::bpf::test {

// "10.1.2.3" or "fd00::1"; throws on anything else.
sockaddr_storage socketAddress(const std::string& ip, std::uint16_t port);
std::string toString(const sockaddr_storage& address);
bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b);

UniqueFd listenOn(const sockaddr_storage& address);
// A listening TCP socket of the family given, on the wildcard address.
UniqueFd listenOnAny(int family, std::uint16_t port);

struct Connection {
  int error = 0;  // 0 or the errno connect() ended with
  UniqueFd fd;
};
// The socket has the address's family: "::ffff:a.b.c.d" makes a dual-stack
// IPv6 socket reach IPv4.
Connection connectTo(const sockaddr_storage& address, int timeoutMs = 3000);

// An accepted connection, or an empty fd when none arrives within timeoutMs.
UniqueFd acceptWithin(int listener, int timeoutMs);

sockaddr_storage localAddressOf(int fd);
sockaddr_storage peerAddressOf(int fd);
std::uint64_t socketCookieOf(int fd);

}  // namespace ztls::bpf::test
