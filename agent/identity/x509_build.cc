#include "x509_build.h"

#include <openssl/rand.h>

#include "asn1_time.h"
#include "openssl_error.h"

namespace ztls::identity::detail {

EvpPkeyPtr generateP256Key() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) throwOpenSsl("cannot generate an ECDSA P-256 key");
  return key;
}

namespace {

void setRandomSerial(X509* certificate) {
  // 128 random bits, read as a non-negative number (DER may add a leading zero byte, still
  // within RFC 5280's 20 octets). Zero is forbidden, and 2^-128 likely: redraw anyway.
  BignumPtr number;
  do {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throwOpenSsl("cannot draw a random serial number");
    number.reset(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (number == nullptr) throwOpenSsl("cannot set the serial number");
  } while (BN_is_zero(number.get()));
  if (BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate)) == nullptr) {
    throwOpenSsl("cannot set the serial number");
  }
}

}  // namespace

X509Ptr newCertificate(EVP_PKEY* key, std::chrono::system_clock::time_point notBefore,
                       std::chrono::system_clock::time_point notAfter) {
  X509Ptr certificate(X509_new());
  if (certificate == nullptr || X509_set_version(certificate.get(), X509_VERSION_3) != 1) {
    throwOpenSsl("cannot create a certificate");
  }
  setRandomSerial(certificate.get());
  setAsn1Time(X509_getm_notBefore(certificate.get()), notBefore);
  setAsn1Time(X509_getm_notAfter(certificate.get()), notAfter);
  if (X509_set_pubkey(certificate.get(), key) != 1) throwOpenSsl("cannot set the public key");
  return certificate;
}

void addExtension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, &context, nid, value));
  if (extension == nullptr || X509_add_ext(certificate, extension.get(), -1) != 1) {
    throwOpenSsl(std::string("cannot add extension ") + OBJ_nid2sn(nid) + " = " + value);
  }
}

void addUriSan(X509* certificate, const std::string& uri, bool critical) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (names == nullptr || name == nullptr || text == nullptr ||
      ASN1_STRING_set(text, uri.data(), static_cast<int>(uri.size())) != 1) {
    GENERAL_NAME_free(name);
    ASN1_IA5STRING_free(text);
    throwOpenSsl("cannot build the subjectAltName");
  }
  GENERAL_NAME_set0_value(name, GEN_URI, text);  // name owns text from here
  if (sk_GENERAL_NAME_push(names.get(), name) == 0) {
    GENERAL_NAME_free(name);
    throwOpenSsl("cannot build the subjectAltName");
  }
  if (X509_add1_ext_i2d(certificate, NID_subject_alt_name, names.get(), critical ? 1 : 0,
                        X509V3_ADD_DEFAULT) != 1) {
    throwOpenSsl("cannot add the subjectAltName");
  }
}

void signSha256(X509* certificate, EVP_PKEY* issuerKey) {
  if (X509_sign(certificate, issuerKey, EVP_sha256()) <= 0) {
    throwOpenSsl("cannot sign the certificate");
  }
}

}  // namespace ztls::identity::detail
