#include "test_pki.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace ztls::tls::test {

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  char error[256] = {};
  ERR_error_string_n(ERR_get_error(), error, sizeof(error));
  ERR_clear_error();
  throw std::runtime_error(std::string(what) + ": " + error);
}

KeyPtr newKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  check(extension != nullptr, "X509V3_EXT_conf_nid");
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  check(added == 1, "X509_add_ext");
}

X509Ptr newCertificate(const std::string& commonName, EVP_PKEY* key, std::chrono::seconds notBefore,
                       std::chrono::seconds notAfter) {
  static std::uint64_t serial = 1000;
  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
  check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), ++serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), notBefore.count()) != nullptr,
        "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), notAfter.count()) != nullptr, "notAfter");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("ztls tests"), -1, -1,
                                   0) == 1,
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(commonName.c_str()), -1,
                                   -1, 0) == 1,
        "subject CN");
  check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  return cert;
}

void sign(X509* cert, const KeyPair* issuer, EVP_PKEY* ownKey) {
  X509* issuerCert = issuer != nullptr ? issuer->cert.get() : cert;
  EVP_PKEY* issuerKey = issuer != nullptr ? issuer->key.get() : ownKey;
  check(X509_set_issuer_name(cert, X509_get_subject_name(issuerCert)) == 1, "issuer name");
  check(X509_sign(cert, issuerKey, EVP_sha256()) > 0, "X509_sign");
}

}  // namespace

std::string spiffeId(const std::string& ns, const std::string& sa) {
  return "spiffe://cluster.local/ns/" + ns + "/sa/" + sa;
}

KeyPair makeCa(const std::string& commonName, const KeyPair* issuer) {
  KeyPair pair{nullptr, newKey()};
  pair.cert = newCertificate(commonName, pair.key.get(), -std::chrono::hours(1),
                             std::chrono::hours(24 * 365));
  X509* issuerCert = issuer != nullptr ? issuer->cert.get() : pair.cert.get();
  if (issuer != nullptr) {
    check(X509_set_issuer_name(pair.cert.get(), X509_get_subject_name(issuerCert)) == 1,
          "issuer name");
  }
  addExtension(pair.cert.get(), issuerCert, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(pair.cert.get(), issuerCert, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(pair.cert.get(), issuerCert, NID_subject_key_identifier, "hash");
  sign(pair.cert.get(), issuer, pair.key.get());
  return pair;
}

KeyPair makeLeaf(const KeyPair& issuer, const LeafOptions& options) {
  KeyPair pair{nullptr, newKey()};
  pair.cert = newCertificate("workload", pair.key.get(), options.notBefore, options.notAfter);
  X509* issuerCert = issuer.cert.get();
  check(X509_set_issuer_name(pair.cert.get(), X509_get_subject_name(issuerCert)) == 1,
        "issuer name");
  addExtension(pair.cert.get(), issuerCert, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(pair.cert.get(), issuerCert, NID_key_usage, "critical,digitalSignature");
  addExtension(pair.cert.get(), issuerCert, NID_ext_key_usage, "serverAuth,clientAuth");
  addExtension(pair.cert.get(), issuerCert, NID_authority_key_identifier, "keyid:always");
  if (!options.uris.empty()) {
    std::string names;
    for (const std::string& uri : options.uris) names += (names.empty() ? "URI:" : ",URI:") + uri;
    addExtension(pair.cert.get(), issuerCert, NID_subject_alt_name, names);
  }
  sign(pair.cert.get(), &issuer, nullptr);
  return pair;
}

KeyPair makeLeaf(const KeyPair& issuer, const std::string& uri) {
  return makeLeaf(issuer, LeafOptions{{uri}});
}

Credentials credentials(const KeyPair& leaf, const KeyPair& root, std::vector<X509*> chain) {
  return Credentials{leaf.cert.get(), leaf.key.get(), std::move(chain), root.cert.get()};
}

const KeyPair& meshRoot() {
  static const KeyPair root = makeCa("ztls test mesh root");
  return root;
}

}  // namespace ztls::tls::test
