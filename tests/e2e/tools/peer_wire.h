// Plain TCP for the test peer: connecting, sending, resetting, and watching what the
// server does in return (answers, closes, resets, or nothing at all).
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ztls::testpeer {

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  int fd() const { return fd_; }
  bool isOpen() const { return fd_ >= 0; }
  void close();
  // Closes with SO_LINGER 0, so the kernel sends RST instead of FIN.
  void reset();

 private:
  int fd_ = -1;
};

// "HOST:PORT", HOST a name the pod's hosts file knows or an IPv4 address. Throws
// std::invalid_argument.
sockaddr_in resolve(const std::string& hostAndPort);

// A connected blocking socket; throws std::runtime_error (refused, unreachable, timeout).
Socket connectTo(const sockaddr_in& address, std::chrono::milliseconds timeout);

// Throws std::runtime_error when the kernel does not take every byte.
void sendAll(int fd, std::span<const std::uint8_t> bytes);
void sendAll(int fd, std::string_view text);

enum class ServerReaction {
  kOpen,    // neither closed nor reset while we watched: the server is waiting for us
  kClosed,  // orderly close (FIN)
  kReset,   // RST
};

std::string_view toString(ServerReaction reaction);

struct Observation {
  ServerReaction reaction = ServerReaction::kOpen;
  std::chrono::milliseconds after{0};  // until the close or reset, or the whole watch
  std::string received;                // every byte the server sent meanwhile
  // "server=reset after_ms=203 received=0", the form every mode prints.
  std::string summary() const;
};

// Reads until the server closes or resets the connection, or `watch` passes. With
// stopAtFirstBytes, returns as soon as anything arrives (reaction kOpen).
Observation watchServer(int fd, std::chrono::milliseconds watch, bool stopAtFirstBytes = false);

// The first flight of a TLS 1.3 client offering only the mesh ALPN, as bytes on the wire:
// what the agent's sniffer routes to its mesh handshake.
std::vector<std::uint8_t> meshClientHello();

// "GET path HTTP/1.1" asking the server to close afterwards.
std::string httpGet(const std::string& path);
// The status code of an HTTP/1.x response ("200"), or "" when `response` is not one.
std::string httpStatusOf(std::string_view response);

}  // namespace ztls::testpeer
