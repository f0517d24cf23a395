// A workload's certificate and private key, as the TLS layer presents them.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ztls/identity/openssl_ptr.h"
#include "ztls/identity/spiffe_id.h"

namespace ztls::identity {

// Immutable once built and shared as std::shared_ptr<const CertifiedKey>: a connection
// that holds one keeps using it after rotation has replaced it for new connections.
struct CertifiedKey {
  // Everything but the objects themselves is read from the certificate, so an issuer
  // (local or remote) cannot hand out a key whose metadata disagrees with what peers see.
  // Throws std::invalid_argument when the key does not match the certificate or the
  // certificate has no single SPIFFE URI SAN.
  CertifiedKey(X509Ptr leaf, EvpPkeyPtr key, std::vector<X509Ptr> intermediates = {});

  CertifiedKey(const CertifiedKey&) = delete;
  CertifiedKey& operator=(const CertifiedKey&) = delete;

  // Borrowed pointers, valid while this object lives. OpenSSL's SSL_CTX_use_certificate /
  // SSL_use_PrivateKey take their own references, so the TLS layer may pass them directly.
  X509* certificate() const { return chain_.front().get(); }
  EVP_PKEY* privateKey() const { return key_.get(); }
  // What to present in the handshake: the leaf first, then intermediates (none today:
  // leaves are signed by the root directly). chain()[1..] go to SSL_CTX_add1_chain_cert.
  const std::vector<X509Ptr>& chain() const { return chain_; }

  // When to replace it: half-way through the certificate's validity (Istio rotates at
  // half-life too). Computed from the certificate's own notBefore, so for LocalCa leaves,
  // which are backdated 5 minutes for clock skew, it comes 2.5 minutes before half of the
  // requested lifetime; the same rule then holds for certificates from any issuer.
  std::chrono::system_clock::time_point renewAt() const {
    return notBefore + (notAfter - notBefore) / 2;
  }

 private:
  EvpPkeyPtr key_;
  std::vector<X509Ptr> chain_;

 public:
  const SpiffeId id;
  const std::chrono::system_clock::time_point notBefore;  // whole seconds, as in the cert
  const std::chrono::system_clock::time_point notAfter;
  const std::string serialHex;  // uppercase, as `openssl x509 -serial` prints it
};

}  // namespace ztls::identity
