// Workload leaf certificates signed by the mesh root.
#pragma once

#include <chrono>
#include <memory>

#include "ztls/identity/certified_key.h"
#include "ztls/identity/spiffe_id.h"

namespace ztls::identity::detail {

// How far notBefore is set back from the issue time, for nodes whose clocks lag.
inline constexpr std::chrono::minutes kLeafClockSkew{5};

// A new P-256 key and its leaf for `id`, valid [issuedAt - kLeafClockSkew,
// issuedAt + lifetime]. The caller has validated the request.
std::shared_ptr<const CertifiedKey> makeLeaf(X509* root, EVP_PKEY* rootKey, const SpiffeId& id,
                                             std::chrono::system_clock::time_point issuedAt,
                                             std::chrono::seconds lifetime);

}  // namespace ztls::identity::detail
