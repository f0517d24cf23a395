// The embedded mesh CA: a self-signed root kept in a directory that every node agent of
// the cluster opens, and workload leaves signed by it.
#pragma once

#include <filesystem>
#include <string>

#include "ztls/identity/certificate_issuer.h"

namespace ztls::identity {

class LocalCa final : public CertificateIssuer {
 public:
  // Opens the root in `dir` (root-cert.pem, root-key.pem), creating it on first use:
  // ECDSA P-256, CA:TRUE, 10 years, subject "O=ztls, CN=ztls mesh root <trust domain>".
  // Several agents may call this on the same directory at once; they all end up with the
  // same root (an flock on dir/.lock, files written then renamed into place).
  // A damaged, partial or mismatched pair is a std::runtime_error naming the file; it is
  // never replaced, since a second root would split the mesh in two.
  // The trust domain is what issued leaves carry; an existing root is reused whatever
  // trust domain it was created for (its CN only records that one).
  static LocalCa openOrCreate(const std::filesystem::path& dir,
                              std::string trustDomain = "cluster.local");

  // ECDSA P-256 key and leaf: the SPIFFE URI as the only SAN (critical; empty subject, as
  // Istio's leaves), CA:FALSE, digitalSignature|keyEncipherment, serverAuth+clientAuth,
  // SHA-256. Valid from 5 minutes before now (clock skew between nodes) until now +
  // lifetime. Refuses (std::invalid_argument) an id of another trust domain, a
  // non-positive lifetime or one that outlives the root. Thread-safe.
  std::shared_ptr<const CertifiedKey> issue(const SpiffeId& id,
                                            std::chrono::seconds lifetime) override;
  X509* root() const override { return root_.get(); }
  std::string rootPem() const override { return rootPem_; }

  const std::string& trustDomain() const { return trustDomain_; }
  const std::filesystem::path& directory() const { return dir_; }

 private:
  LocalCa(std::filesystem::path dir, std::string trustDomain, X509Ptr root, EvpPkeyPtr key);

  std::filesystem::path dir_;
  std::string trustDomain_;
  X509Ptr root_;
  EvpPkeyPtr key_;
  std::string rootPem_;
};

}  // namespace ztls::identity
