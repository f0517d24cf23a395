// The hand-over protocol's messages: one JSON object per datagram of a SOCK_SEQPACKET Unix
// socket, with the descriptors that belong to it passed alongside (SCM_RIGHTS), so that a
// message and its descriptors arrive together or not at all.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <vector>

#include "ztls/unique_fd.h"

namespace ztls::daemon {

// More than a hand-over message ever needs (a connection's two sockets and two pipes).
inline constexpr std::size_t kMaxHandoverFds = 8;
inline constexpr std::size_t kMaxHandoverMessage = std::size_t{64} * 1024;

struct HandoverMessage {
  nlohmann::json body;
  std::vector<UniqueFd> fds;
};

// Throws std::system_error when the socket fails, std::invalid_argument when the message
// is too large or carries too many descriptors.
void sendHandoverMessage(int socket, const nlohmann::json& body, std::span<const int> fds = {});

// nullopt when the peer closed the socket. Throws std::system_error when the socket fails
// (including a receive timeout) and std::runtime_error for a message that is truncated,
// not a JSON object, or carries more descriptors than allowed (they are closed).
std::optional<HandoverMessage> receiveHandoverMessage(int socket);

}  // namespace ztls::daemon
