#include "test_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace ztls::proxy::test {

namespace {

[[noreturn]] void fail(const char* what) {
  const int error = errno;
  throw std::system_error(error, std::generic_category(), what);
}

sockaddr_in loopbackAddress(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

void setIntOption(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) fail(what);
}

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) reset(std::exchange(other.fd_, -1));
  return *this;
}

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Fd listenLoopback(int receiveBuffer, int backlog) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) fail("socket");
  if (receiveBuffer > 0) setIntOption(fd.get(), SOL_SOCKET, SO_RCVBUF, receiveBuffer, "SO_RCVBUF");
  const sockaddr_in address = loopbackAddress(0);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    fail("bind 127.0.0.1:0");
  }
  if (::listen(fd.get(), backlog) != 0) fail("listen");
  return fd;
}

std::uint16_t localPort(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) fail("getsockname");
  return ntohs(address.sin_port);
}

asio::ip::tcp::endpoint loopback(std::uint16_t port) {
  return {asio::ip::address_v4::loopback(), port};
}

Fd connectLoopback(std::uint16_t port, int sendBuffer) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) fail("socket");
  if (sendBuffer > 0) setIntOption(fd.get(), SOL_SOCKET, SO_SNDBUF, sendBuffer, "SO_SNDBUF");
  const sockaddr_in address = loopbackAddress(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    fail("connect to 127.0.0.1");
  }
  setIoTimeouts(fd.get(), kIoTimeout);
  return fd;
}

Fd acceptOne(int listener) {
  pollfd ready{listener, POLLIN, 0};
  const int timeoutMs = static_cast<int>(std::chrono::milliseconds(kIoTimeout).count());
  const int result = ::poll(&ready, 1, timeoutMs);
  if (result < 0) fail("poll for accept");
  if (result == 0) throw std::runtime_error("no connection to accept within the timeout");
  Fd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (fd.get() < 0) fail("accept");
  setIoTimeouts(fd.get(), kIoTimeout);
  return fd;
}

void setIoTimeouts(int fd, std::chrono::milliseconds timeout) {
  timeval value{};
  value.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  value.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof(value)) != 0) fail("SO_RCVTIMEO");
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof(value)) != 0) fail("SO_SNDTIMEO");
}

void sendAll(int fd, std::span<const std::byte> data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    data = data.subspan(static_cast<std::size_t>(sent));
  }
}

void resetClose(Fd& fd) {
  const linger abortive{1, 0};
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive)) != 0) {
    fail("SO_LINGER");
  }
  fd.reset();
}

int drainUntilClosed(int fd) {
  std::vector<std::byte> buffer(64 * 1024);
  for (;;) {
    const ssize_t received = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (received == 0) return 0;
    if (received < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
  }
}

std::string errnoName(int error) {
  if (error == 0) return "no error (clean EOF)";
  return std::generic_category().message(error) + " (errno " + std::to_string(error) + ")";
}

}  // namespace ztls::proxy::test
