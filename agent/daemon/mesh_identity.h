// This node's side of the mesh PKI: the trust anchor, the certificates of the service
// accounts that have captured pods here, and TLS contexts built from them. Contexts are
// cached per certificate, so a rotation yields new contexts for new handshakes while live
// sessions keep theirs.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "ztls/identity/certificate_issuer.h"
#include "ztls/identity/spiffe_id.h"
#include "ztls/identity/workload_certificates.h"
#include "ztls/tls/context.h"

namespace ztls::daemon {

class MeshIdentity {
 public:
  // kernelTlsHandoff: contexts keep what a kernel TLS hand-off needs (tls::ContextOptions).
  MeshIdentity(std::shared_ptr<identity::CertificateIssuer> issuer, std::string trustDomain,
               bool kernelTlsHandoff = false);

  const std::string& trustDomain() const { return trustDomain_; }
  identity::WorkloadCertificates& certificates() { return certificates_; }
  // SHA-256 of the root certificate (DER), hex: lets operators check every node trusts
  // the same root.
  std::string rootFingerprint() const;

  // Throw when no certificate can be had (issuer failure): the caller refuses the
  // connection rather than falling back to anything weaker.
  std::shared_ptr<const tls::ServerContext> serverContext(const identity::SpiffeId& id);
  std::shared_ptr<const tls::ClientContext> clientContext(const identity::SpiffeId& id);

  // Keeps certificates (and contexts) only for these identities.
  void retain(const std::set<identity::SpiffeId>& wanted);

 private:
  template <typename Context>
  std::shared_ptr<const Context> contextFor(
      const identity::SpiffeId& id, std::map<std::string, std::shared_ptr<const Context>>& cache);

  std::string trustDomain_;
  bool kernelTlsHandoff_;
  std::shared_ptr<identity::CertificateIssuer> issuer_;
  identity::WorkloadCertificates certificates_;
  std::mutex mutex_;
  // Keyed by "<spiffe id> <certificate serial>": a rotated certificate misses the cache.
  std::map<std::string, std::shared_ptr<const tls::ServerContext>> servers_;
  std::map<std::string, std::shared_ptr<const tls::ClientContext>> clients_;
};

}  // namespace ztls::daemon
