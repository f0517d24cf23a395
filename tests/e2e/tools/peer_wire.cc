#include "peer_wire.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

#include "ztls/tls/alpn.h"

namespace ztls::testpeer {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

std::runtime_error systemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Socket::~Socket() { close(); }

void Socket::close() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

void Socket::reset() {
  if (fd_ < 0) return;
  const linger abortive{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  close();
}

sockaddr_in resolve(const std::string& hostAndPort) {
  const auto colon = hostAndPort.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == hostAndPort.size()) {
    throw std::invalid_argument("expected HOST:PORT, got \"" + hostAndPort + "\"");
  }
  const std::string host = hostAndPort.substr(0, colon);
  const std::string port = hostAndPort.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); error != 0) {
    throw std::invalid_argument("cannot resolve " + hostAndPort + ": " + gai_strerror(error));
  }
  sockaddr_in address{};
  std::memcpy(&address, found->ai_addr, sizeof address);
  ::freeaddrinfo(found);
  return address;
}

Socket connectTo(const sockaddr_in& address, std::chrono::milliseconds timeout) {
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.isOpen()) throw systemError("socket");
  const std::string where =
      std::string(inet_ntoa(address.sin_addr)) + ":" + std::to_string(ntohs(address.sin_port));
  if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    throw systemError("connect to " + where);
  }
  pollfd waiting{socket.fd(), POLLOUT, 0};
  const int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
  if (ready == 0) throw std::runtime_error("connect to " + where + ": timed out");
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
  if (ready < 0 || error != 0) {
    errno = ready < 0 ? errno : error;
    throw systemError("connect to " + where);
  }
  // Blocking from here: every later wait goes through poll with its own deadline.
  ::fcntl(socket.fd(), F_SETFL, ::fcntl(socket.fd(), F_GETFL) & ~O_NONBLOCK);
  const int on = 1;
  ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return socket;
}

void sendAll(int fd, std::span<const std::uint8_t> bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw systemError("send");
    sent += static_cast<std::size_t>(n);
  }
}

void sendAll(int fd, std::string_view text) {
  sendAll(fd, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string_view toString(ServerReaction reaction) {
  switch (reaction) {
    case ServerReaction::kOpen:
      return "open";
    case ServerReaction::kClosed:
      return "closed";
    case ServerReaction::kReset:
      return "reset";
  }
  return "unknown";
}

std::string Observation::summary() const {
  return "server=" + std::string(toString(reaction)) +
         " after_ms=" + std::to_string(after.count()) +
         " received=" + std::to_string(received.size());
}

Observation watchServer(int fd, std::chrono::milliseconds watch, bool stopAtFirstBytes) {
  Observation seen;
  const auto start = Clock::now();
  char buffer[16384];
  while (true) {
    const auto left = watch - since(start);
    if (left.count() <= 0) break;
    pollfd waiting{fd, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      seen.received.append(buffer, static_cast<std::size_t>(n));
      if (stopAtFirstBytes) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    seen.reaction = n == 0 ? ServerReaction::kClosed : ServerReaction::kReset;
    break;
  }
  seen.after = since(start);
  return seen;
}

std::vector<std::uint8_t> meshClientHello() {
  // A client handshake on memory BIOs stops after its first flight, waiting for the
  // server: that flight is the ClientHello record, exactly as a mesh client sends it.
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()),
                                                            SSL_CTX_free);
  if (!context) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(context.get(), TLS1_3_VERSION);
  std::string alpn(1, static_cast<char>(tls::kMeshAlpn.size()));
  alpn += tls::kMeshAlpn;
  SSL_CTX_set_alpn_protos(context.get(), reinterpret_cast<const unsigned char*>(alpn.data()),
                          static_cast<unsigned int>(alpn.size()));
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context.get()), SSL_free);
  BIO* fromServer = BIO_new(BIO_s_mem());
  BIO* toServer = BIO_new(BIO_s_mem());
  if (!ssl || fromServer == nullptr || toServer == nullptr) {
    BIO_free(fromServer);
    BIO_free(toServer);
    throw std::runtime_error("cannot set up a memory TLS client");
  }
  SSL_set_bio(ssl.get(), fromServer, toServer);
  if (SSL_connect(ssl.get()) == 1 || SSL_get_error(ssl.get(), -1) != SSL_ERROR_WANT_READ) {
    throw std::runtime_error("the memory TLS client did not stop after its ClientHello");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(toServer, &data);
  if (length <= 0) throw std::runtime_error("the memory TLS client wrote no ClientHello");
  return {reinterpret_cast<std::uint8_t*>(data), reinterpret_cast<std::uint8_t*>(data) + length};
}

std::string httpGet(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: ztls-test-peer\r\nConnection: close\r\n\r\n";
}

std::string httpStatusOf(std::string_view response) {
  // "HTTP/1.1 200 OK"
  if (!response.starts_with("HTTP/1.") || response.size() < 12 || response[8] != ' ') return "";
  return std::string(response.substr(9, 3));
}

}  // namespace ztls::testpeer
