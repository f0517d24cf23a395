// The ALPN extension's body (RFC 7301 §3.1), shared by the sniffer and the server's
// ClientHello check so that both agree on what "offers the mesh ALPN" means.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ztls::tls::detail {

// The protocol names of a ProtocolNameList (protocol_name_list<2..2^16-1> of
// ProtocolName<1..2^8-1>), or nullopt when the structure is malformed: a wrong outer
// length, an empty name, or trailing bytes. The views point into `extension`.
std::optional<std::vector<std::string_view>> parseAlpnList(std::span<const std::uint8_t> extension);

// The same without the outer length: the names back to back, as OpenSSL hands them to the
// ALPN selection callback. Must not be empty.
std::optional<std::vector<std::string_view>> parseProtocolNames(
    std::span<const std::uint8_t> names);

bool offersMeshAlpn(const std::vector<std::string_view>& protocols);

// `bytes` with everything outside printable ASCII replaced by '?', for messages and logs.
std::string printable(std::string_view bytes);

}  // namespace ztls::tls::detail
