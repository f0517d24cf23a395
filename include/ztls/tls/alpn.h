// The mesh's application protocol name: what marks a TLS connection as agent-to-agent.
#pragma once

#include <string_view>

namespace ztls::tls {

// Offered by every mesh client and selected by every mesh server (RFC 7301). The inbound
// sniffer routes on it, and a server handshake fails without it, so a connection that is not
// agent-to-agent can never be mistaken for one. Defined here and nowhere else.
inline constexpr std::string_view kMeshAlpn = "ztls-mtls/1";

}  // namespace ztls::tls
