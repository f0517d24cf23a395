// The mesh root: making a new one, and checking one read back from disk.
#pragma once

#include <chrono>
#include <string>

#include "ztls/identity/openssl_ptr.h"

namespace ztls::identity::detail {

struct RootMaterial {
  X509Ptr certificate;
  EvpPkeyPtr key;
};

// Self-signed ECDSA P-256 root: O=ztls, CN=ztls mesh root <trust domain>, CA:TRUE
// critical, keyCertSign|cRLSign critical, subjectKeyIdentifier, 10 years from `now`.
RootMaterial makeRoot(const std::string& trustDomain, std::chrono::system_clock::time_point now);

// Throws std::runtime_error naming the files when the pair cannot serve as the mesh root:
// key and certificate do not match, the certificate is not a self-signed CA with a
// subjectKeyIdentifier, or it has expired.
void checkRoot(const RootMaterial& root, const std::string& certificatePath,
               const std::string& keyPath, std::chrono::system_clock::time_point now);

}  // namespace ztls::identity::detail
