#include "daemon/handover_wire.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ztls::daemon {
namespace {

constexpr std::size_t kControlSpace = CMSG_SPACE(sizeof(int) * kMaxHandoverFds);

std::system_error lastError(const char* what) { return {errno, std::system_category(), what}; }

}  // namespace

void sendHandoverMessage(int socket, const nlohmann::json& body, std::span<const int> fds) {
  const std::string text = body.dump();
  if (text.size() > kMaxHandoverMessage) {
    throw std::invalid_argument("hand-over message of " + std::to_string(text.size()) +
                                " bytes is too large");
  }
  if (fds.size() > kMaxHandoverFds) {
    throw std::invalid_argument("hand-over message with " + std::to_string(fds.size()) +
                                " descriptors");
  }
  iovec part{const_cast<char*>(text.data()), text.size()};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[kControlSpace]{};
  if (!fds.empty()) {
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    const ssize_t sent = ::sendmsg(socket, &message, MSG_NOSIGNAL);
    if (sent >= 0) return;
    if (errno != EINTR) throw lastError("hand-over sendmsg");
  }
}

std::optional<HandoverMessage> receiveHandoverMessage(int socket) {
  std::string text(kMaxHandoverMessage, '\0');
  iovec part{text.data(), text.size()};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[kControlSpace]{};
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t received = -1;
  do {
    received = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
  } while (received < 0 && errno == EINTR);
  if (received < 0) throw lastError("hand-over recvmsg");
  HandoverMessage out;
  // Owned first, so that every path below closes them.
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
      out.fds.emplace_back(fd);
    }
  }
  if (received == 0 && out.fds.empty()) return std::nullopt;  // SOCK_SEQPACKET: peer closed
  if ((message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    throw std::runtime_error("hand-over message truncated");
  }
  if (out.fds.size() > kMaxHandoverFds) {
    throw std::runtime_error("hand-over message carries " + std::to_string(out.fds.size()) +
                             " descriptors");
  }
  text.resize(static_cast<std::size_t>(received));
  out.body = nlohmann::json::parse(text, nullptr, false);
  if (!out.body.is_object()) throw std::runtime_error("hand-over message is not a JSON object");
  return out;
}

}  // namespace ztls::daemon
