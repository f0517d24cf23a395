#include "root_certificate.h"

#include <stdexcept>

#include "asn1_time.h"
#include "openssl_error.h"
#include "x509_build.h"

namespace ztls::identity::detail {
namespace {

using namespace std::chrono_literals;

// Long enough never to be rotated in a cluster's life in practice; rotating a root means
// distributing a new trust anchor, which this CA does not do.
constexpr auto kRootLifetime = std::chrono::days(3650);
// Nodes whose clocks lag a little must still accept the root right after creation.
constexpr auto kClockSkew = 5min;

void addName(X509_NAME* name, const char* field, const std::string& value) {
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                 0) != 1) {
    throwOpenSsl(std::string("cannot set the root's ") + field);
  }
}

}  // namespace

RootMaterial makeRoot(const std::string& trustDomain, std::chrono::system_clock::time_point now) {
  RootMaterial root;
  root.key = generateP256Key();
  root.certificate = newCertificate(root.key.get(), now - kClockSkew, now + kRootLifetime);
  X509* certificate = root.certificate.get();

  X509NamePtr name(X509_NAME_new());
  if (name == nullptr) throwOpenSsl("cannot create the root's name");
  addName(name.get(), "O", "ztls");
  addName(name.get(), "CN", "ztls mesh root " + trustDomain);
  if (X509_set_subject_name(certificate, name.get()) != 1 ||
      X509_set_issuer_name(certificate, name.get()) != 1) {
    throwOpenSsl("cannot set the root's name");
  }

  addExtension(certificate, certificate, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(certificate, certificate, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(certificate, certificate, NID_subject_key_identifier, "hash");
  signSha256(certificate, root.key.get());
  return root;
}

void checkRoot(const RootMaterial& root, const std::string& certificatePath,
               const std::string& keyPath, std::chrono::system_clock::time_point now) {
  X509* certificate = root.certificate.get();
  if (X509_check_private_key(certificate, root.key.get()) != 1) {
    takeOpenSslErrors();
    throw std::runtime_error("mesh root key " + keyPath + " does not match certificate " +
                             certificatePath);
  }
  if (X509_check_ca(certificate) != 1) {
    throw std::runtime_error("mesh root certificate " + certificatePath +
                             " is not a CA certificate (basicConstraints CA:TRUE)");
  }
  if (X509_self_signed(certificate, 1) != 1) {
    takeOpenSslErrors();
    throw std::runtime_error("mesh root certificate " + certificatePath + " is not self-signed");
  }
  if (X509_get0_subject_key_id(certificate) == nullptr) {
    throw std::runtime_error("mesh root certificate " + certificatePath +
                             " has no subjectKeyIdentifier (leaves name their issuer by it)");
  }
  TimePoint notAfter = fromAsn1Time(X509_get0_notAfter(certificate));
  if (notAfter <= now) {
    throw std::runtime_error("mesh root certificate " + certificatePath + " expired at " +
                             formatUtc(notAfter));
  }
}

}  // namespace ztls::identity::detail
