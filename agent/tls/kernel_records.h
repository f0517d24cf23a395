// Records that are not application data on a kernel TLS socket (Documentation/networking/
// tls.rst, "Send TLS control messages" / "Receive TLS control messages").
#pragma once

#include <cstddef>
#include <span>
#include <system_error>

#include "ztls/tls/context.h"

namespace ztls::tls::detail {

// What the next record on a kernel TLS socket means for the relay.
enum class ControlRecord {
  kData,         // an application data record after all: `bytes` hold its plaintext
  kCloseNotify,  // the peer closed its direction (RFC 8446 §6.1)
  kSkipped,      // nothing for the relay (a NewSessionTicket to a client)
  kWouldBlock,   // no complete record yet
  kEof,          // TCP EOF
  kFailed,       // `error` says why; the connection must be reset
};

struct ControlRead {
  ControlRecord kind = ControlRecord::kFailed;
  std::size_t bytes = 0;
  std::error_code error;
};

// Reads one record with recvmsg and TLS_GET_RECORD_TYPE, without blocking. Data records
// land in `buffer`; an alert, a KeyUpdate or any other handshake message is classified.
ControlRead readRecord(int fd, Role role, std::span<std::byte> buffer);

// Sends a close_notify alert record, without blocking. An error code when the kernel did
// not take it whole (EAGAIN included: the caller waits for writability and retries).
std::error_code sendCloseNotify(int fd);

}  // namespace ztls::tls::detail
