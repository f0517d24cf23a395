// Where workload certificates come from: the embedded LocalCa today, Istio's CA
// (IstioCertificateService/CreateCertificate over gRPC) later.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ztls/identity/certified_key.h"
#include "ztls/identity/spiffe_id.h"

namespace ztls::identity {

class CertificateIssuer {
 public:
  virtual ~CertificateIssuer() = default;

  // A fresh key and a certificate for `id`, valid for `lifetime` from now. Throws when the
  // issuer cannot or will not sign (std::invalid_argument for a request it refuses, e.g.
  // a foreign trust domain; std::runtime_error for failures). Must be safe to call from
  // several threads at once.
  virtual std::shared_ptr<const CertifiedKey> issue(const SpiffeId& id,
                                                    std::chrono::seconds lifetime) = 0;
  // The mesh's trust anchor: the only certificate peers are verified against. Borrowed,
  // valid while the issuer lives.
  virtual X509* root() const = 0;
  virtual std::string rootPem() const = 0;

 protected:
  CertificateIssuer() = default;
  CertificateIssuer(const CertificateIssuer&) = default;
  CertificateIssuer(CertificateIssuer&&) = default;
  CertificateIssuer& operator=(const CertificateIssuer&) = default;
  CertificateIssuer& operator=(CertificateIssuer&&) = default;
};

}  // namespace ztls::identity
