// Peer certificate checks for the TLS layer: chain to the mesh root, then identity.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "ztls/identity/openssl_ptr.h"
#include "ztls/identity/spiffe_id.h"

namespace ztls::identity {

// The identity a leaf certifies: its one URI SAN, if that parses as a SpiffeId. A leaf
// with no URI SAN, several URI SANs (which one would policy use?), several SAN
// extensions, or a URI that is not a valid Istio SPIFFE ID has none. Null gives nullopt.
std::optional<SpiffeId> spiffeIdOf(X509* leaf);

struct VerifyResult {
  bool ok = false;
  std::optional<SpiffeId> id;  // set exactly when ok
  std::string reason;          // empty when ok
};

// Verifies `leaf` against `root` as the only trust anchor (no system CAs), with `chain`
// (may be null, may contain the leaf) as untrusted intermediates, at time `now`, for any
// purpose; then requires a non-CA leaf with a SPIFFE identity (spiffeIdOf). Reasons:
// "certificate expired at <UTC time>", "certificate not valid before <UTC time>", "not
// signed by the mesh root", "leaf certificate is a CA", "no SPIFFE URI SAN", "more than
// one URI SAN", "URI SAN is not a valid SPIFFE ID: ...", or OpenSSL's text for others.
// Never throws for bad certificates.
VerifyResult verifyPeer(X509* leaf, STACK_OF(X509) * chain, X509* root,
                        std::chrono::system_clock::time_point now);

}  // namespace ztls::identity
