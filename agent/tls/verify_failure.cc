#include "verify_failure.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "openssl_ptr.h"
#include "ztls/tls/spiffe.h"

namespace ztls::tls::detail {

namespace {

std::string printTime(const ASN1_TIME* time) {
  if (time == nullptr) return "?";
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) return "?";
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : "?";
}

// " at depth 1 (/O=.../CN=...)" for a certificate above the leaf, nothing for the leaf.
std::string where(int depth, const X509* cert) {
  if (depth == 0) return "";
  return " at depth " + std::to_string(depth) + " (" + certificateName(cert) + ")";
}

}  // namespace

HandshakeFailure verifyFailureKind(long verifyError) {
  switch (verifyError) {
    case X509_V_OK:
      return HandshakeFailure::kNone;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return HandshakeFailure::kCertificateExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return HandshakeFailure::kCertificateNotYetValid;
    // Every way of saying "no path from this chain to the mesh root": the issuer is
    // missing, or the chain ends in a self-signed certificate that is not our root.
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return HandshakeFailure::kUnknownCa;
    case X509_V_ERR_APPLICATION_VERIFICATION:
      return HandshakeFailure::kBadIdentity;
    default:
      return HandshakeFailure::kCertificateInvalid;
  }
}

std::string certificateName(const X509* cert) {
  if (cert == nullptr) return "unknown certificate";
  LeafIdentity identity = spiffeIdOf(cert);
  if (identity.ok()) return identity.id;
  char subject[256] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
  return subject;
}

std::string describeVerifyFailure(const char* peerRole, long verifyError, int depth,
                                  const X509* cert, const X509* leaf) {
  const std::string detail = X509_verify_cert_error_string(verifyError);
  const std::string peer = std::string(peerRole) + " certificate (" +
                           certificateName(leaf != nullptr ? leaf : cert) + ")";
  const ASN1_TIME* notAfter = cert != nullptr ? X509_get0_notAfter(cert) : nullptr;
  const ASN1_TIME* notBefore = cert != nullptr ? X509_get0_notBefore(cert) : nullptr;
  switch (verifyFailureKind(verifyError)) {
    case HandshakeFailure::kCertificateExpired:
      if (depth == 0) {
        return std::string(peerRole) + " certificate expired (" + certificateName(cert) +
               ", not valid after " + printTime(notAfter) + ")";
      }
      return peer + " chains to a certificate that expired" + where(depth, cert) +
             ", not valid after " + printTime(notAfter);
    case HandshakeFailure::kCertificateNotYetValid:
      if (depth == 0) {
        return std::string(peerRole) + " certificate not yet valid (" + certificateName(cert) +
               ", not valid before " + printTime(notBefore) + ")";
      }
      return peer + " chains to a certificate that is not yet valid" + where(depth, cert) +
             ", not valid before " + printTime(notBefore);
    case HandshakeFailure::kUnknownCa:
      return "unknown CA: the " + peer + " does not chain to the mesh root (" + detail +
             where(depth, cert) + ")";
    default:
      return peer + " failed verification: " + detail + where(depth, cert);
  }
}

}  // namespace ztls::tls::detail
