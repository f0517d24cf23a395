#include "kernel_records.h"

#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "ztls/tls/errors.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace ztls::tls::detail {

namespace {

// RFC 8446 §5.1 ContentType, §6 AlertDescription, §4 HandshakeType.
constexpr unsigned char kAlert = 21;
constexpr unsigned char kHandshake = 22;
constexpr unsigned char kApplicationData = 23;
constexpr unsigned char kCloseNotifyDescription = 0;
constexpr unsigned char kWarningLevel = 1;
constexpr std::uint8_t kNewSessionTicket = 4;
constexpr std::uint8_t kKeyUpdate = 24;

std::error_code lastError() { return {errno, std::system_category()}; }

// A handshake record after the handshake holds whole messages (4-byte header each).
ControlRead classifyHandshake(Role role, std::span<const std::byte> record) {
  std::size_t offset = 0;
  if (record.empty())
    return {ControlRecord::kFailed, 0, make_error_code(TlsErrc::kUnexpectedMessage)};
  while (offset < record.size()) {
    if (record.size() - offset < 4) {
      return {ControlRecord::kFailed, 0, make_error_code(TlsErrc::kUnexpectedMessage)};
    }
    const auto type = static_cast<std::uint8_t>(record[offset]);
    const std::size_t length = (static_cast<std::size_t>(record[offset + 1]) << 16) |
                               (static_cast<std::size_t>(record[offset + 2]) << 8) |
                               static_cast<std::size_t>(record[offset + 3]);
    if (type == kKeyUpdate) {
      return {ControlRecord::kFailed, 0, make_error_code(TlsErrc::kKeyUpdateRefused)};
    }
    // Tickets are of no use (no resumption) and harmless; only a server sends them.
    if (type != kNewSessionTicket || role != Role::kClient) {
      return {ControlRecord::kFailed, 0, make_error_code(TlsErrc::kUnexpectedMessage)};
    }
    offset += 4 + length;
  }
  return {ControlRecord::kSkipped, 0, {}};
}

}  // namespace

ControlRead readRecord(int fd, Role role, std::span<std::byte> buffer) {
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(unsigned char))> control{};
  iovec vector{buffer.data(), buffer.size()};
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  const ssize_t received = ::recvmsg(fd, &message, MSG_DONTWAIT);
  if (received < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {ControlRecord::kWouldBlock, 0, {}};
    return {ControlRecord::kFailed, 0, lastError()};
  }
  unsigned char type = kApplicationData;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == SOL_TLS && header->cmsg_type == TLS_GET_RECORD_TYPE) {
      std::memcpy(&type, CMSG_DATA(header), sizeof(type));
    }
  }
  if (received == 0 && type == kApplicationData) return {ControlRecord::kEof, 0, {}};
  const auto bytes = static_cast<std::size_t>(received);
  if ((message.msg_flags & MSG_CTRUNC) != 0 ||
      (type != kApplicationData && (message.msg_flags & MSG_TRUNC) != 0)) {
    return {ControlRecord::kFailed, 0, make_error_code(TlsErrc::kUnexpectedMessage)};
  }
  switch (type) {
    case kApplicationData:
      return {ControlRecord::kData, bytes, {}};
    case kAlert:
      if (bytes == 2 && buffer[1] == std::byte{kCloseNotifyDescription}) {
        return {ControlRecord::kCloseNotify, 0, {}};
      }
      return {ControlRecord::kFailed, 0, make_error_code(TlsErrc::kPeerAlert)};
    case kHandshake:
      return classifyHandshake(role, buffer.first(bytes));
    default:
      return {ControlRecord::kFailed, 0, make_error_code(TlsErrc::kUnexpectedMessage)};
  }
}

std::error_code sendCloseNotify(int fd) {
  const std::array<unsigned char, 2> alert{kWarningLevel, kCloseNotifyDescription};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(unsigned char))> control{};
  iovec vector{const_cast<unsigned char*>(alert.data()), alert.size()};
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_TLS;
  header->cmsg_type = TLS_SET_RECORD_TYPE;
  header->cmsg_len = CMSG_LEN(sizeof(unsigned char));
  std::memcpy(CMSG_DATA(header), &kAlert, sizeof(kAlert));
  const ssize_t sent = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0) return lastError();
  if (static_cast<std::size_t>(sent) != alert.size()) {
    return std::make_error_code(std::errc::message_size);
  }
  return {};
}

}  // namespace ztls::tls::detail
