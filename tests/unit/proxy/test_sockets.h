// Plain blocking sockets for the peers around the relay under test. Every socket gets
// send and receive timeouts, so a relay bug fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "ztls/proxy/asio.h"

namespace ztls::proxy::test {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_;
};

inline constexpr std::chrono::seconds kIoTimeout{60};

// A blocking listener on 127.0.0.1 with an ephemeral port. receiveBuffer > 0 sets
// SO_RCVBUF, which accepted sockets inherit.
Fd listenLoopback(int receiveBuffer = 0, int backlog = 16);
std::uint16_t localPort(int fd);
asio::ip::tcp::endpoint loopback(std::uint16_t port);
// sendBuffer > 0 sets SO_SNDBUF before connecting.
Fd connectLoopback(std::uint16_t port, int sendBuffer = 0);
// Waits up to kIoTimeout; throws std::runtime_error on timeout.
Fd acceptOne(int listener);
void setIoTimeouts(int fd, std::chrono::milliseconds timeout);
// Throws std::system_error when the kernel refuses.
void sendAll(int fd, std::span<const std::byte> data);
// Closes with SO_LINGER {1, 0}: the peer gets an RST.
void resetClose(Fd& fd);
// errno of the first failing recv(), or 0 when the peer closed cleanly (data is skipped).
int drainUntilClosed(int fd);
std::string errnoName(int error);

}  // namespace ztls::proxy::test
