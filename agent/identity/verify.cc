#include "ztls/identity/verify.h"

#include "asn1_time.h"
#include "openssl_error.h"
#include "spiffe_san.h"

namespace ztls::identity {

std::optional<SpiffeId> spiffeIdOf(X509* leaf) { return detail::readSpiffeSan(leaf).id; }

namespace {

VerifyResult failure(std::string reason) { return {false, std::nullopt, std::move(reason)}; }

std::string timeText(const ASN1_TIME* time) {
  try {
    return detail::formatUtc(detail::fromAsn1Time(time));
  } catch (const std::exception&) {
    detail::takeOpenSslErrors();
    return "an unreadable time";
  }
}

// Words for the chain errors the TLS layer will log and tests assert on.
std::string describe(X509_STORE_CTX* context) {
  int error = X509_STORE_CTX_get_error(context);
  X509* certificate = X509_STORE_CTX_get_current_cert(context);
  int depth = X509_STORE_CTX_get_error_depth(context);
  std::string where = depth > 0 ? " (certificate at depth " + std::to_string(depth) + ")" : "";
  if (certificate == nullptr) return X509_verify_cert_error_string(error);
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "certificate expired at " + timeText(X509_get0_notAfter(certificate)) + where;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate not valid before " + timeText(X509_get0_notBefore(certificate)) + where;
    // No path to the root, whether OpenSSL found no candidate issuer or found one (same
    // name, e.g. another ztls root) whose key or key identifier does not fit.
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_AKID_SKID_MISMATCH:
    case X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH:
      return "not signed by the mesh root";
    default:
      return X509_verify_cert_error_string(error) + where;
  }
}

}  // namespace

VerifyResult verifyPeer(X509* leaf, STACK_OF(X509) * chain, X509* root,
                        std::chrono::system_clock::time_point now) {
  if (leaf == nullptr) return failure("no peer certificate");
  if (root == nullptr) return failure("no mesh root to verify against");

  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr context(X509_STORE_CTX_new());
  if (store == nullptr || context == nullptr || X509_STORE_add_cert(store.get(), root) != 1 ||
      X509_STORE_CTX_init(context.get(), store.get(), leaf, chain) != 1 ||
      X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_ANY) != 1) {
    return failure("cannot set up verification: " + detail::takeOpenSslErrors());
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context.get()),
                             std::chrono::system_clock::to_time_t(now));
  if (X509_verify_cert(context.get()) != 1) {
    std::string reason = describe(context.get());
    detail::takeOpenSslErrors();
    return failure(std::move(reason));
  }

  // Chained to the root; now the identity. A CA certificate (the root itself, say) is
  // never a workload.
  if (X509_check_ca(leaf) != 0) return failure("leaf certificate is a CA");
  detail::SanIdentity san = detail::readSpiffeSan(leaf);
  if (!san.id) return failure(std::move(san.problem));
  return {true, std::move(san.id), {}};
}

}  // namespace ztls::identity
