// Reading the SPIFFE identity out of a certificate's subjectAltName.
#pragma once

#include <openssl/x509.h>

#include <optional>
#include <string>

#include "ztls/identity/spiffe_id.h"

namespace ztls::identity::detail {

// Either the identity or why there is none (the reasons verifyPeer reports).
struct SanIdentity {
  std::optional<SpiffeId> id;
  std::string problem;
};

SanIdentity readSpiffeSan(X509* certificate);

}  // namespace ztls::identity::detail
