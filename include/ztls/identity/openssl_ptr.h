// Owning handles for OpenSSL objects, so that no interface passes raw owning pointers.
//
// Raw pointers that do appear in the identity API (CertifiedKey::certificate(),
// CertificateIssuer::root(), the verification helpers' arguments) are borrowed: the
// object that handed them out keeps them alive.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace ztls::identity {

// Calls the OpenSSL free function given as a template argument.
template <auto Free>
struct OpenSslFree {
  template <typename T>
  void operator()(T* object) const noexcept {
    Free(object);
  }
};

namespace detail {
// sk_X509_pop_free is a macro-generated inline function; give it an address.
inline void freeX509Stack(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }
}  // namespace detail

using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OpenSslFree<detail::freeX509Stack>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslFree<X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslFree<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslFree<X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslFree<GENERAL_NAMES_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslFree<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpenSslFree<ASN1_TIME_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free_all>>;

// A new owning handle on an object someone else also owns (reference count + 1), e.g. to
// keep a borrowed certificate alive past its owner. Null in, null out.
inline X509Ptr upRef(X509* certificate) {
  if (certificate != nullptr) X509_up_ref(certificate);
  return X509Ptr(certificate);
}
inline EvpPkeyPtr upRef(EVP_PKEY* key) {
  if (key != nullptr) EVP_PKEY_up_ref(key);
  return EvpPkeyPtr(key);
}

}  // namespace ztls::identity
