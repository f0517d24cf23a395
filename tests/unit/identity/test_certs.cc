#include "test_certs.h"

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "temp_dir.h"

namespace ztls::identity::test {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

void addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  check(ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1, value.c_str());
}

}  // namespace

EvpPkeyPtr newKey() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "keygen");
  return key;
}

EvpPkeyPtr readKey(const std::filesystem::path& pem) {
  std::string text = readFile(pem);
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "read key");
  return key;
}

X509Ptr makeCert(const CertSpec& spec, EVP_PKEY* subjectKey, X509* issuer, EVP_PKEY* issuerKey) {
  X509Ptr cert(X509_new());
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "version");
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                  std::chrono::duration_cast<std::chrono::seconds>(spec.validFor).count());
  check(X509_set_pubkey(cert.get(), subjectKey) == 1, "pubkey");
  X509NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_subject_name(cert.get(), name.get());
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  addExt(cert.get(), signer, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "CA:FALSE");
  addExt(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) addExt(cert.get(), signer, NID_authority_key_identifier, "keyid");
  if (!spec.sans.empty()) {
    std::string value;
    for (const std::string& san : spec.sans) value += (value.empty() ? "" : ",") + san;
    addExt(cert.get(), signer, NID_subject_alt_name, value);
    if (spec.sanTwice) addExt(cert.get(), signer, NID_subject_alt_name, value);
  }
  check(X509_sign(cert.get(), issuerKey, EVP_sha256()) > 0, "sign");
  return cert;
}

std::string der(X509* certificate) {
  unsigned char* out = nullptr;
  int length = i2d_X509(certificate, &out);
  check(length > 0, "der");
  std::string bytes(reinterpret_cast<char*>(out), static_cast<std::size_t>(length));
  OPENSSL_free(out);
  return bytes;
}

std::vector<std::string> uriSans(X509* certificate) {
  std::vector<std::string> uris;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<std::size_t>(ASN1_STRING_length(uri)));
  }
  return uris;
}

bool extensionIsCritical(X509* certificate, int nid) {
  int index = X509_get_ext_by_NID(certificate, nid, -1);
  check(index >= 0, "extension present");
  return X509_EXTENSION_get_critical(X509_get_ext(certificate, index)) == 1;
}

}  // namespace ztls::identity::test
