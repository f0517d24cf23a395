#include "ztls/identity/local_ca.h"

#include <stdexcept>

#include "asn1_time.h"
#include "ca_directory.h"
#include "leaf_certificate.h"
#include "pem_io.h"

namespace ztls::identity {

LocalCa LocalCa::openOrCreate(const std::filesystem::path& dir, std::string trustDomain) {
  if (!isValidTrustDomain(trustDomain)) {
    throw std::invalid_argument("invalid trust domain '" + trustDomain + "'");
  }
  detail::RootMaterial root = detail::loadOrCreateRoot(dir, trustDomain);
  return LocalCa(dir, std::move(trustDomain), std::move(root.certificate), std::move(root.key));
}

LocalCa::LocalCa(std::filesystem::path dir, std::string trustDomain, X509Ptr root, EvpPkeyPtr key)
    : dir_(std::move(dir)),
      trustDomain_(std::move(trustDomain)),
      root_(std::move(root)),
      key_(std::move(key)),
      rootPem_(detail::certificateToPem(root_.get())) {
  // OpenSSL decodes a certificate's extensions lazily on first use; do it now, so that
  // concurrent issue() calls only ever read the root.
  X509_check_purpose(root_.get(), -1, 0);
}

std::shared_ptr<const CertifiedKey> LocalCa::issue(const SpiffeId& id,
                                                   std::chrono::seconds lifetime) {
  if (id.trustDomain() != trustDomain_) {
    throw std::invalid_argument("cannot issue " + id.uri() + ": this CA serves trust domain " +
                                trustDomain_);
  }
  if (lifetime <= std::chrono::seconds::zero()) {
    throw std::invalid_argument("cannot issue " + id.uri() + ": lifetime must be positive");
  }
  auto now = std::chrono::system_clock::now();
  auto rootNotAfter = detail::fromAsn1Time(X509_get0_notAfter(root_.get()));
  if (now + lifetime > rootNotAfter) {
    throw std::invalid_argument("cannot issue " + id.uri() + ": it would outlive the mesh root (" +
                                "expires " + detail::formatUtc(rootNotAfter) + ")");
  }
  return detail::makeLeaf(root_.get(), key_.get(), id, now, lifetime);
}

}  // namespace ztls::identity
