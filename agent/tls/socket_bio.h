// The BIO between OpenSSL and a session's TCP socket.
//
// Why not SSL_set_fd: OpenSSL's socket BIO writes with write(2), which raises SIGPIPE on a
// reset connection, and keeps the descriptor number after Asio closed it (the number can be
// reused by another connection by then). This BIO sends with MSG_NOSIGNAL, asks the socket
// object for its descriptor on every call (a closed socket gives EBADF), is non-blocking
// through MSG_DONTWAIT whatever the descriptor's mode, serves bytes the caller already read
// (the sniffed prefix) before the socket, can collect records for one send, and records what
// OpenSSL's error reporting loses: errno, EOF, and where record boundaries fall.
#pragma once

#include <openssl/bio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "record_framing.h"
#include "ztls/proxy/asio.h"

namespace ztls::tls::detail {

struct SocketIo {
  explicit SocketIo(asio::ip::tcp::socket& s) : socket(s) {}

  asio::ip::tcp::socket& socket;
  std::vector<std::uint8_t> prefix;  // read before the socket
  std::size_t prefixUsed = 0;
  int lastErrno = 0;      // of the last failed recv/send; 0 if none failed
  bool eof = false;       // recv returned 0
  RecordFraming inbound;  // over everything handed to OpenSSL
  // When set, what OpenSSL writes is appended here instead of sent: the userspace relay
  // seals a whole plaintext chunk into records and sends them with one send, rather than
  // one send (and one trip through the network stack) per 16 KiB record.
  std::vector<std::uint8_t>* sealed = nullptr;

  bool prefixLeft() const { return prefixUsed < prefix.size(); }
};

// A BIO reading from and writing to io.socket; `io` must outlive it. Null on allocation
// failure.
BIO* newSocketBio(SocketIo& io);

}  // namespace ztls::tls::detail
