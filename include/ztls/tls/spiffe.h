// The SPIFFE ID an X.509-SVID carries (SPIFFE X509-SVID §2: exactly one URI SAN).
#pragma once

#include <openssl/types.h>

#include <string>
#include <string_view>

namespace ztls::tls {

// spiffe://<trust domain>/<path>: a trust domain of [a-z0-9._-], then one or more path
// segments of [A-Za-z0-9._-] that are neither empty, "." nor "..", 2048 bytes at most.
bool isSpiffeId(std::string_view uri);

struct LeafIdentity {
  std::string id;       // the SPIFFE ID, when `problem` is empty
  std::string problem;  // why the certificate has no usable SPIFFE ID
  bool ok() const { return problem.empty(); }
};

// The certificate must carry one subjectAltName extension with exactly one URI, and that
// URI must be a SPIFFE ID. Other name types (DNS, IP) are allowed next to it.
LeafIdentity spiffeIdOf(const X509* leaf);

}  // namespace ztls::tls
