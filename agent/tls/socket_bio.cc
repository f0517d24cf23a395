#include "socket_bio.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ztls::tls::detail {

namespace {

SocketIo& ioOf(BIO* bio) { return *static_cast<SocketIo*>(BIO_get_data(bio)); }

bool isTransient(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

int readSocket(BIO* bio, char* out, std::size_t length, std::size_t* readBytes) {
  SocketIo& io = ioOf(bio);
  BIO_clear_retry_flags(bio);
  *readBytes = 0;
  if (length == 0) return 0;
  if (io.prefixLeft()) {
    const std::size_t take = std::min(length, io.prefix.size() - io.prefixUsed);
    std::memcpy(out, io.prefix.data() + io.prefixUsed, take);
    io.prefixUsed += take;
    io.inbound.consume({reinterpret_cast<const std::uint8_t*>(out), take});
    *readBytes = take;
    return 1;
  }
  for (;;) {
    const ssize_t received = ::recv(io.socket.native_handle(), out, length, MSG_DONTWAIT);
    if (received > 0) {
      io.inbound.consume(
          {reinterpret_cast<const std::uint8_t*>(out), static_cast<std::size_t>(received)});
      *readBytes = static_cast<std::size_t>(received);
      return 1;
    }
    if (received == 0) {
      io.eof = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (isTransient(errno)) {
      BIO_set_retry_read(bio);
    } else {
      io.lastErrno = errno;
    }
    return 0;
  }
}

int writeSocket(BIO* bio, const char* data, std::size_t length, std::size_t* written) {
  SocketIo& io = ioOf(bio);
  BIO_clear_retry_flags(bio);
  *written = 0;
  if (length == 0) return 0;
  if (io.sealed != nullptr) {
    // OpenSSL calls this from C: nothing may escape it.
    try {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
      io.sealed->insert(io.sealed->end(), bytes, bytes + length);
    } catch (...) {
      io.lastErrno = ENOMEM;
      return 0;
    }
    *written = length;
    return 1;
  }
  for (;;) {
    const ssize_t sent =
        ::send(io.socket.native_handle(), data, length, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) {
      *written = static_cast<std::size_t>(sent);
      return 1;
    }
    if (errno == EINTR) continue;
    if (isTransient(errno)) {
      BIO_set_retry_write(bio);
    } else {
      io.lastErrno = errno;
    }
    return 0;
  }
}

long control(BIO* bio, int command, long, void* pointer) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      // Every write goes straight to the kernel; OpenSSL's handshake flushes its own
      // buffering BIO into this one and then flushes this one.
      return 1;
    case BIO_CTRL_EOF:
      return ioOf(bio).eof ? 1 : 0;
    case BIO_C_GET_FD: {
      // Lets SSL_get_fd() work for code holding only the SSL*.
      const int fd = ioOf(bio).socket.native_handle();
      if (pointer != nullptr) *static_cast<int*>(pointer) = fd;
      return fd;
    }
    default:
      // Includes the kernel TLS queries (BIO_CTRL_GET_KTLS_*): 0, so OpenSSL never
      // switches to its own kTLS path behind our back; the hand-off is explicit.
      return 0;
  }
}

int create(BIO* bio) {
  BIO_set_init(bio, 0);
  return 1;
}

int destroy(BIO*) { return 1; }  // SocketIo is owned by the session state

BIO_METHOD* makeMethod() {
  BIO_METHOD* method =
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "ztls socket");
  if (method == nullptr) return nullptr;
  if (BIO_meth_set_read_ex(method, readSocket) != 1 ||
      BIO_meth_set_write_ex(method, writeSocket) != 1 || BIO_meth_set_ctrl(method, control) != 1 ||
      BIO_meth_set_create(method, create) != 1 || BIO_meth_set_destroy(method, destroy) != 1) {
    BIO_meth_free(method);
    return nullptr;
  }
  return method;
}

const BIO_METHOD* socketMethod() {
  // Built once per process (thread-safe static initialisation) and deliberately never
  // freed: an SSL on another thread may still use it while static destructors run.
  static const BIO_METHOD* const method = makeMethod();
  return method;
}

}  // namespace

BIO* newSocketBio(SocketIo& io) {
  const BIO_METHOD* method = socketMethod();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, &io);
  BIO_set_init(bio, 1);
  return bio;
}

}  // namespace ztls::tls::detail
