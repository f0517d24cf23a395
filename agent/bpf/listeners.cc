#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <cerrno>
#include <string>

#include "capture_state.h"
#include "errors.h"
#include "ztls/bpf/address.h"

namespace ztls::bpf {
namespace {

std::string describe(const ztls_inbound_key& key) {
  const sockaddr_storage address =
      socketAddressOf(ztls_addr{.family = key.family,
                                .ip = {key.ip[0], key.ip[1], key.ip[2], key.ip[3]},
                                .port = 0,
                                .pad = 0});
  char text[64] = "?";
  if (address.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text,
                sizeof(text));
  else if (address.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text,
                sizeof(text));
  return text;
}

}  // namespace

void Capture::setInboundListener(const ztls_inbound_key& podAddress, int listenerFd) {
  // Userspace hands the socket over by fd; the map keeps the socket itself.
  const __u64 value = static_cast<__u64>(listenerFd);
  const int fd = bpf_map__fd(state_->skeleton->maps.inbound_listeners);
  if (bpf_map_update_elem(fd, &podAddress, &value, BPF_ANY) != 0)
    detail::throwErrno(errno, "setting the inbound listener of " + describe(podAddress) +
                                  " to fd " + std::to_string(listenerFd) +
                                  " (must be a listening TCP socket)");
}

void Capture::clearInboundListener(const ztls_inbound_key& podAddress) {
  const int fd = bpf_map__fd(state_->skeleton->maps.inbound_listeners);
  if (bpf_map_delete_elem(fd, &podAddress) != 0 && errno != ENOENT)
    detail::throwErrno(errno, "clearing the inbound listener of " + describe(podAddress));
}

std::optional<ztls_addr> Capture::takeOriginalDestination(
    std::uint64_t netnsCookie, const sockaddr_storage& clientAddress) noexcept {
  const std::optional<ztls_flow_key> key = flowKeyOf(netnsCookie, clientAddress);
  if (!key) return std::nullopt;
  ztls_addr original{};
  const int fd = bpf_map__fd(state_->skeleton->maps.orig_dst_by_flow);
  // One syscall: two workers can never both get (and forward) the same flow.
  if (bpf_map_lookup_and_delete_elem(fd, &*key, &original) != 0) return std::nullopt;
  return original;
}

}  // namespace ztls::bpf
