// The steps shared by the root and the leaf certificates LocalCa makes.
#pragma once

#include <chrono>
#include <string>

#include "ztls/identity/openssl_ptr.h"

namespace ztls::identity::detail {

// A new ECDSA P-256 key (through the provider API; the EC_KEY calls are deprecated).
EvpPkeyPtr generateP256Key();

// A v3 certificate with a random positive 128-bit serial (as Istio's CA), validity
// [notBefore, notAfter] and `key`'s public key; subject and issuer left empty.
X509Ptr newCertificate(EVP_PKEY* key, std::chrono::system_clock::time_point notBefore,
                       std::chrono::system_clock::time_point notAfter);

// Adds an extension in openssl.cnf syntax ("critical,CA:TRUE"). Only fixed strings go
// through here; anything derived from input is built structurally.
void addExtension(X509* certificate, X509* issuer, int nid, const char* value);

// The only subjectAltName: one URI.
void addUriSan(X509* certificate, const std::string& uri, bool critical);

void signSha256(X509* certificate, EVP_PKEY* issuerKey);

}  // namespace ztls::identity::detail
