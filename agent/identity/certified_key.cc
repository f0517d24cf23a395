#include "ztls/identity/certified_key.h"

#include <stdexcept>

#include "asn1_time.h"
#include "openssl_error.h"
#include "spiffe_san.h"

namespace ztls::identity {
namespace {

std::vector<X509Ptr> chainOf(X509Ptr leaf, std::vector<X509Ptr> intermediates) {
  if (leaf == nullptr) throw std::invalid_argument("CertifiedKey without a certificate");
  std::vector<X509Ptr> chain;
  chain.reserve(intermediates.size() + 1);
  chain.push_back(std::move(leaf));
  for (X509Ptr& certificate : intermediates) {
    if (certificate == nullptr) throw std::invalid_argument("null intermediate certificate");
    chain.push_back(std::move(certificate));
  }
  return chain;
}

EvpPkeyPtr checkedKey(X509* leaf, EvpPkeyPtr key) {
  if (leaf == nullptr) throw std::invalid_argument("CertifiedKey without a certificate");
  if (key == nullptr) throw std::invalid_argument("CertifiedKey without a private key");
  if (X509_check_private_key(leaf, key.get()) != 1) {
    detail::takeOpenSslErrors();
    throw std::invalid_argument("private key does not match the certificate");
  }
  return key;
}

SpiffeId idOf(X509* leaf) {
  detail::SanIdentity san = detail::readSpiffeSan(leaf);
  if (!san.id) throw std::invalid_argument("certificate has no SPIFFE identity: " + san.problem);
  return *san.id;
}

std::string serialHexOf(X509* leaf) {
  BignumPtr number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), nullptr));
  if (number == nullptr) detail::throwOpenSsl("cannot read the certificate serial number");
  char* hex = BN_bn2hex(number.get());
  if (hex == nullptr) detail::throwOpenSsl("cannot format the certificate serial number");
  std::string text(hex);
  OPENSSL_free(hex);
  return text;
}

}  // namespace

// chain_ and key_ are declared before the public fields, so they are set first and the
// fields below are read from the certificate itself.
CertifiedKey::CertifiedKey(X509Ptr leaf, EvpPkeyPtr key, std::vector<X509Ptr> intermediates)
    : key_(checkedKey(leaf.get(), std::move(key))),
      chain_(chainOf(std::move(leaf), std::move(intermediates))),
      id(idOf(certificate())),
      notBefore(detail::fromAsn1Time(X509_get0_notBefore(certificate()))),
      notAfter(detail::fromAsn1Time(X509_get0_notAfter(certificate()))),
      serialHex(serialHexOf(certificate())) {}

}  // namespace ztls::identity
