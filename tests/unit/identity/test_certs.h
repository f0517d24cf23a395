// Hand-made certificates for the cases LocalCa never produces (several URI SANs, none,
// CA leaves...), built with OpenSSL directly rather than the code under test.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "ztls/identity/openssl_ptr.h"

namespace ztls::identity::test {

EvpPkeyPtr newKey();
// The CA's key as stored on disk, to sign test certificates as the mesh root would.
EvpPkeyPtr readKey(const std::filesystem::path& pem);

struct CertSpec {
  // SAN entries in openssl.cnf syntax, e.g. "URI:spiffe://...", "DNS:x"; none = no SAN.
  std::vector<std::string> sans;
  bool ca = false;
  bool sanTwice = false;  // the subjectAltName extension twice (RFC 5280 forbids it)
  std::chrono::hours validFor{24};
};

// A certificate for `subjectKey` signed by `issuerKey` with `issuer`'s name and key id
// (or self-signed when issuer is null).
X509Ptr makeCert(const CertSpec& spec, EVP_PKEY* subjectKey, X509* issuer, EVP_PKEY* issuerKey);

std::string der(X509* certificate);
// Every URI in the certificate's subjectAltName.
std::vector<std::string> uriSans(X509* certificate);
bool extensionIsCritical(X509* certificate, int nid);

}  // namespace ztls::identity::test
