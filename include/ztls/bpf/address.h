// Conversions between socket addresses and the BPF ABI structs. IPv4-mapped
// IPv6 addresses (a dual-stack socket's view of an IPv4 peer) become IPv4,
// as the programs store them.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>

#include "ztls/bpf/abi.h"

namespace ztls::bpf {

// The inbound_listeners key for a pod address (the port is ignored).
// nullopt for families other than AF_INET and AF_INET6.
std::optional<ztls_inbound_key> inboundKeyOf(const sockaddr_storage& address) noexcept;

// The orig_dst_by_flow key of a redirected connection, from the peer address
// of the socket the agent accepted and the namespace that socket lives in.
std::optional<ztls_flow_key> flowKeyOf(std::uint64_t netnsCookie,
                                       const sockaddr_storage& clientAddress) noexcept;

// A recorded original destination as an address to connect() to; ss_family
// is AF_UNSPEC if the family is neither IPv4 nor IPv6.
sockaddr_storage socketAddressOf(const ztls_addr& address) noexcept;

}  // namespace ztls::bpf
