// X-Forwarded-Client-Cert on inbound mutual TLS: Istio's sidecars add it to every HTTP
// request they forward to the app, and the walkthrough uses its presence to show that a
// request arrived over mutual TLS. The agent does the same for HTTP/1 streams; anything
// else (HTTP/2, databases, ...) passes untouched.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ztls/tls/relay.h"

namespace ztls::daemon {

// Istio's format: By=<server SPIFFE ID>;Hash=<SHA-256 of the client leaf, hex>;
// Subject="";URI=<client SPIFFE ID>. Mesh certificates carry an empty subject.
std::string xfccValue(std::string_view serverId, std::string_view clientCertificateSha256,
                      std::string_view clientId);

// `connection` names the connection in the log line written when a stream has to be
// reset (malformed HTTP/1 after mutual TLS). `continuing`: the stream's earlier requests
// went through another rewriter, which stopped at a request boundary (a hand-over).
std::unique_ptr<tls::PlaintextRewriter> makeXfccRewriter(const std::string& value,
                                                         std::string connection,
                                                         bool continuing = false);

}  // namespace ztls::daemon
