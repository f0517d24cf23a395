#include "peer_credentials.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace ztls::testpeer {
namespace {

using identity::EvpPkeyPtr;
using identity::X509Ptr;
using Clock = std::chrono::system_clock;

[[noreturn]] void throwOpenssl(const std::string& what) {
  const unsigned long error = ERR_get_error();
  char text[256] = "no OpenSSL error";
  if (error != 0) ERR_error_string_n(error, text, sizeof text);
  ERR_clear_error();
  throw std::runtime_error(what + ": " + text);
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

FilePtr openForReading(const std::filesystem::path& path) {
  FilePtr file(std::fopen(path.c_str(), "r"));
  if (!file) throw std::runtime_error("cannot open " + path.string());
  return file;
}

EvpPkeyPtr newP256Key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throwOpenssl("cannot generate a P-256 key");
  return key;
}

// What sets a certificate apart; everything else is what the agents' own certificates
// carry, so that only the intended flaw can make a handshake fail.
struct CertificateSpec {
  std::string commonName;  // empty: no subject, as mesh leaves have
  std::string spiffeId;    // empty: no SAN (a root)
  bool certificateAuthority = false;
  Clock::time_point notBefore;
  Clock::time_point notAfter;
};

void addExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  identity::X509ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    throwOpenssl(std::string("cannot add ") + OBJ_nid2sn(nid) + " = " + value);
  }
}

void setRandomSerial(X509* certificate) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throwOpenssl("cannot draw a serial number");
  bytes[0] &= 0x7f;  // positive, as RFC 5280 asks
  identity::BignumPtr number(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!number || BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate)) == nullptr) {
    throwOpenssl("cannot set the serial number");
  }
}

// Signs `subjectKey`'s certificate with issuerKey; issuer == nullptr makes it self-signed.
X509Ptr makeCertificate(const CertificateSpec& spec, EVP_PKEY* subjectKey, X509* issuer,
                        EVP_PKEY* issuerKey) {
  X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1) {
    throwOpenssl("cannot allocate a certificate");
  }
  setRandomSerial(certificate.get());
  if (ASN1_TIME_set(X509_getm_notBefore(certificate.get()), Clock::to_time_t(spec.notBefore)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate.get()), Clock::to_time_t(spec.notAfter)) ==
          nullptr) {
    throwOpenssl("cannot set the validity");
  }
  X509_NAME* subject = X509_get_subject_name(certificate.get());
  if (!spec.commonName.empty() &&
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(spec.commonName.c_str()),
                                 -1, -1, 0) != 1) {
    throwOpenssl("cannot set the subject");
  }
  X509* signer = issuer != nullptr ? issuer : certificate.get();
  if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(certificate.get(), subjectKey) != 1) {
    throwOpenssl("cannot set the issuer or the public key");
  }
  if (spec.certificateAuthority) {
    addExtension(certificate.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(certificate.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    addExtension(certificate.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    addExtension(certificate.get(), signer, NID_authority_key_identifier, "keyid:always");
    addExtension(certificate.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(certificate.get(), signer, NID_key_usage,
                 "critical,digitalSignature,keyEncipherment");
    addExtension(certificate.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (!spec.spiffeId.empty()) {
    addExtension(certificate.get(), signer, NID_subject_alt_name, "critical,URI:" + spec.spiffeId);
  }
  if (X509_sign(certificate.get(), issuerKey, EVP_sha256()) == 0) {
    throwOpenssl("cannot sign the certificate");
  }
  return certificate;
}

Credential makeLeaf(const std::string& spiffeId, const Credential& issuer,
                    Clock::time_point notBefore, Clock::time_point notAfter) {
  Credential leaf{nullptr, newP256Key()};
  leaf.certificate = makeCertificate({"", spiffeId, false, notBefore, notAfter}, leaf.key.get(),
                                     issuer.certificate.get(), issuer.key.get());
  return leaf;
}

Credential makeRoot(const std::string& commonName) {
  const auto now = Clock::now();
  Credential root{nullptr, newP256Key()};
  root.certificate = makeCertificate(
      {commonName, "", true, now - std::chrono::hours(1), now + std::chrono::hours(24)},
      root.key.get(), nullptr, root.key.get());
  return root;
}

}  // namespace

Credential loadMeshRoot(const std::filesystem::path& caDirectory) {
  const auto certificatePath = caDirectory / "root-cert.pem";
  const auto keyPath = caDirectory / "root-key.pem";
  Credential root;
  root.certificate.reset(
      PEM_read_X509(openForReading(certificatePath).get(), nullptr, nullptr, nullptr));
  if (!root.certificate) throwOpenssl("cannot read " + certificatePath.string());
  root.key.reset(PEM_read_PrivateKey(openForReading(keyPath).get(), nullptr, nullptr, nullptr));
  if (!root.key) throwOpenssl("cannot read " + keyPath.string());
  if (X509_check_private_key(root.certificate.get(), root.key.get()) != 1) {
    throwOpenssl(keyPath.string() + " does not match " + certificatePath.string());
  }
  return root;
}

std::optional<Credential> makeClientCredential(ClientCertificate kind, const std::string& spiffeId,
                                               const Credential& meshRoot) {
  const auto now = Clock::now();
  switch (kind) {
    case ClientCertificate::kNone:
      return std::nullopt;
    case ClientCertificate::kOtherRoot: {
      const Credential otherRoot = makeRoot("ztls-test-peer root no agent trusts");
      return makeLeaf(spiffeId, otherRoot, now - std::chrono::minutes(5),
                      now + std::chrono::hours(1));
    }
    case ClientCertificate::kExpired:
      return makeLeaf(spiffeId, meshRoot, now - std::chrono::hours(48),
                      now - std::chrono::hours(24));
    case ClientCertificate::kValid:
      return makeLeaf(spiffeId, meshRoot, now - std::chrono::minutes(5),
                      now + std::chrono::hours(1));
  }
  throw std::logic_error("unknown client certificate kind");
}

}  // namespace ztls::testpeer
