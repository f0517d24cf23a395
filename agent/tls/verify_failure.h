// Turning X.509 verification errors into failures people can act on.
#pragma once

#include <openssl/types.h>

#include <string>

#include "ztls/tls/errors.h"

namespace ztls::tls::detail {

HandshakeFailure verifyFailureKind(long verifyError);

// "client certificate expired (spiffe://..., not valid after Jan  1 00:00:00 2020 GMT)",
// "unknown CA: the server certificate (spiffe://...) does not chain to the mesh root (...)".
// `cert` is the certificate the error is about, at `depth` (0: the peer's leaf); `leaf` is
// the peer's leaf, which names the peer in every message. Either may be null.
std::string describeVerifyFailure(const char* peerRole, long verifyError, int depth,
                                  const X509* cert, const X509* leaf);

// The certificate's SPIFFE ID if it has one, else its subject.
std::string certificateName(const X509* cert);

}  // namespace ztls::tls::detail
