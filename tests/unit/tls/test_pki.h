// A throwaway PKI for the tests, made with OpenSSL directly: ECDSA P-256 CAs and leaves
// with SPIFFE URI SANs, valid or not as a test needs.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ztls/tls/context.h"

namespace ztls::tls::test {

struct FreeX509 {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using X509Ptr = std::unique_ptr<X509, FreeX509>;
using KeyPtr = std::unique_ptr<EVP_PKEY, FreeKey>;

struct KeyPair {
  X509Ptr cert;
  KeyPtr key;
};

// "spiffe://cluster.local/ns/<ns>/sa/<sa>"
std::string spiffeId(const std::string& ns, const std::string& sa);

// A self-signed root, or an intermediate when `issuer` is given.
KeyPair makeCa(const std::string& commonName, const KeyPair* issuer = nullptr);

struct LeafOptions {
  std::vector<std::string> uris;  // URI SANs, in order
  // Validity relative to now.
  std::chrono::seconds notBefore = -std::chrono::hours(1);
  std::chrono::seconds notAfter = std::chrono::hours(24);
};

KeyPair makeLeaf(const KeyPair& issuer, const LeafOptions& options);
KeyPair makeLeaf(const KeyPair& issuer, const std::string& uri);

Credentials credentials(const KeyPair& leaf, const KeyPair& root, std::vector<X509*> chain = {});

// One root for the whole test binary: generating keys is cheap, but not free under ASan.
const KeyPair& meshRoot();

}  // namespace ztls::tls::test
