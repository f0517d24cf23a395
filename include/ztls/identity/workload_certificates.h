// The node agent's certificates, one per workload identity (service account) it serves.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "ztls/identity/certificate_issuer.h"
#include "ztls/identity/certified_key.h"
#include "ztls/identity/spiffe_id.h"

namespace ztls::identity {

// Thread-safe. Issuing happens outside the lock that guards the cache, so handshakes
// that find their certificate cached never wait for one being issued.
class WorkloadCertificates {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  explicit WorkloadCertificates(std::shared_ptr<CertificateIssuer> issuer);
  // `clock` (system_clock::now when empty) is what get() checks certificates against.
  WorkloadCertificates(std::shared_ptr<CertificateIssuer> issuer, std::chrono::seconds lifetime,
                       Clock clock);

  // The cached certificate for `id`, or a newly issued one when there is none or the
  // cached one is due for renewal (renewAt() <= clock()). If re-issuing fails while the
  // cached one is still valid, that one is returned; otherwise the issuer's exception
  // propagates.
  std::shared_ptr<const CertifiedKey> get(const SpiffeId& id);

  // Forgets every identity not in `wanted` (service accounts with no pod left on the
  // node). Connections holding a dropped certificate keep it. An identity that a
  // concurrent get() is issuing may be cached again afterwards; the next retain() drops it.
  void retain(const std::set<SpiffeId>& wanted);

  // Every cached certificate, ordered by identity.
  std::vector<std::shared_ptr<const CertifiedKey>> all() const;

  // Re-issues every cached certificate with renewAt() <= now and returns how many were
  // replaced. Holders of the old ones keep them (rotation never drops connections).
  // A failed re-issue keeps the old certificate (logged as a warning) and is retried on
  // the next call.
  std::size_t rotateDue(std::chrono::system_clock::time_point now);

  // Lifetime requested for certificates issued from now on (default 24 h).
  void setLifetime(std::chrono::seconds lifetime);
  std::chrono::seconds lifetime() const;

  CertificateIssuer& issuer() const { return *issuer_; }

 private:
  std::shared_ptr<const CertifiedKey> issueChecked(const SpiffeId& id);

  const std::shared_ptr<CertificateIssuer> issuer_;
  const Clock clock_;
  // Serialises issuing, so that concurrent get()s of one identity issue it once.
  std::mutex issueMutex_;
  mutable std::mutex mutex_;  // guards everything below
  std::chrono::seconds lifetime_;
  std::map<SpiffeId, std::shared_ptr<const CertifiedKey>> cache_;
};

}  // namespace ztls::identity
