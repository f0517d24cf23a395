#include "leaf_certificate.h"

#include "openssl_error.h"
#include "x509_build.h"

namespace ztls::identity::detail {

std::shared_ptr<const CertifiedKey> makeLeaf(X509* root, EVP_PKEY* rootKey, const SpiffeId& id,
                                             std::chrono::system_clock::time_point issuedAt,
                                             std::chrono::seconds lifetime) {
  EvpPkeyPtr key = generateP256Key();
  X509Ptr leaf = newCertificate(key.get(), issuedAt - kLeafClockSkew, issuedAt + lifetime);
  // Istio's leaves: empty subject, so the identity lives only in the SAN, which RFC 5280
  // then requires to be critical.
  if (X509_set_issuer_name(leaf.get(), X509_get_subject_name(root)) != 1) {
    throwOpenSsl("cannot set the leaf's issuer");
  }
  addExtension(leaf.get(), root, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(leaf.get(), root, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  addExtension(leaf.get(), root, NID_ext_key_usage, "serverAuth,clientAuth");
  addExtension(leaf.get(), root, NID_authority_key_identifier, "keyid:always");
  addUriSan(leaf.get(), id.uri(), /*critical=*/true);
  signSha256(leaf.get(), rootKey);
  return std::make_shared<const CertifiedKey>(std::move(leaf), std::move(key));
}

}  // namespace ztls::identity::detail
