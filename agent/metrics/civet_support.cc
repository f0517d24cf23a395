#include "civet_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>

namespace ztls::metrics {
namespace {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string error;  // why "host:port" is not one
};

SocketAddress parseAddress(const std::string& address) {
  SocketAddress parsed;
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    parsed.error = "expected host:port";
    return parsed;
  }
  const std::string host = address.substr(0, colon);
  const std::string portText = address.substr(colon + 1);
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (error != std::errc() || end != portText.data() + portText.size() || port > 65535) {
    parsed.error = "\"" + portText + "\" is not a port number";
    return parsed;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(parsed.storage);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6.sin6_addr) != 1) {
      parsed.error = "\"" + host + "\" is not an IPv6 address";
    }
    parsed.length = sizeof v6;
    return parsed;
  }
  auto& v4 = reinterpret_cast<sockaddr_in&>(parsed.storage);
  v4.sin_family = AF_INET;
  v4.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) != 1) {
    parsed.error = "\"" + host + "\" is not an IPv4 address (IPv6 goes in brackets)";
  }
  parsed.length = sizeof v4;
  return parsed;
}

std::string diagnose(const std::string& address) {
  const SocketAddress parsed = parseAddress(address);
  if (!parsed.error.empty()) return parsed.error;
  const int fd = ::socket(parsed.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  std::string reason = "the HTTP server refused it";
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&parsed.storage), parsed.length) != 0 ||
      ::listen(fd, 1) != 0) {
    reason = std::strerror(errno);
  }
  ::close(fd);
  return reason;
}

// The listener at `address` as a client reaches it: a wildcard means loopback.
void poke(const std::string& address, int port) {
  SocketAddress target = parseAddress(address);
  if (!target.error.empty()) return;
  if (target.storage.ss_family == AF_INET6) {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(target.storage);
    if (IN6_IS_ADDR_UNSPECIFIED(&v6.sin6_addr)) v6.sin6_addr = in6addr_loopback;
    v6.sin6_port = htons(static_cast<std::uint16_t>(port));
  } else {
    auto& v4 = reinterpret_cast<sockaddr_in&>(target.storage);
    if (v4.sin_addr.s_addr == htonl(INADDR_ANY)) v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    v4.sin_port = htons(static_cast<std::uint16_t>(port));
  }
  const int fd = ::socket(target.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  // Loopback connects complete (or are refused) at once; either way the poll is over or
  // the listener is gone, so the outcome does not matter. The listener closes it unread.
  (void)::connect(fd, reinterpret_cast<const sockaddr*>(&target.storage), target.length);
  ::close(fd);
}

}  // namespace

std::string listenFailure(const std::string& what, const std::string& address,
                          const std::string& serverMessage) {
  return "cannot serve " + what + " on " + address + ": " + diagnose(address) + " (" +
         serverMessage + ")";
}

void stopPromptly(const std::string& address, int port, const std::function<void()>& stop) {
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    stop();
    stopped = true;
  });
  while (!stopped) {
    if (port > 0) poke(address, port);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stopper.join();
}

}  // namespace ztls::metrics
