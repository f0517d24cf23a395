// Certificates the test peer presents: made on the spot with OpenSSL, so that a test can
// ask for exactly the flaw it wants the agent to catch (wrong root, expired, none).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "ztls/identity/openssl_ptr.h"

namespace ztls::testpeer {

struct Credential {
  identity::X509Ptr certificate;
  identity::EvpPkeyPtr key;
};

// What the client presents in `mesh` mode.
enum class ClientCertificate {
  kNone,       // no certificate at all
  kOtherRoot,  // a leaf signed by a root made for this run, which no agent trusts
  kExpired,    // a leaf signed by the mesh root whose validity ended a day ago
  kValid,      // a leaf signed by the mesh root, valid now
};

// The mesh root and its key from the CA directory every agent shares (LocalCa's layout:
// root-cert.pem and root-key.pem). Throws std::runtime_error naming the file.
Credential loadMeshRoot(const std::filesystem::path& caDirectory);

// A leaf for `spiffeId` as the kind asks, or nothing for kNone. Throws std::runtime_error
// when OpenSSL cannot build it.
std::optional<Credential> makeClientCredential(ClientCertificate kind, const std::string& spiffeId,
                                               const Credential& meshRoot);

}  // namespace ztls::testpeer
