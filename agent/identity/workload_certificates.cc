#include "ztls/identity/workload_certificates.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "asn1_time.h"

namespace ztls::identity {

using std::chrono::system_clock;

WorkloadCertificates::WorkloadCertificates(std::shared_ptr<CertificateIssuer> issuer)
    : WorkloadCertificates(std::move(issuer), std::chrono::hours(24), {}) {}

WorkloadCertificates::WorkloadCertificates(std::shared_ptr<CertificateIssuer> issuer,
                                           std::chrono::seconds lifetime, Clock clock)
    : issuer_(std::move(issuer)),
      clock_(clock ? std::move(clock) : Clock(&system_clock::now)),
      lifetime_(lifetime) {
  if (issuer_ == nullptr) throw std::invalid_argument("WorkloadCertificates needs an issuer");
  if (lifetime <= std::chrono::seconds::zero()) {
    throw std::invalid_argument("certificate lifetime must be positive");
  }
}

std::shared_ptr<const CertifiedKey> WorkloadCertificates::get(const SpiffeId& id) {
  std::shared_ptr<const CertifiedKey> cached;
  {
    std::lock_guard lock(mutex_);
    if (auto found = cache_.find(id); found != cache_.end()) cached = found->second;
  }
  if (cached && clock_() < cached->renewAt()) return cached;

  std::lock_guard issuing(issueMutex_);
  {
    // Another thread may have issued it while this one waited for issueMutex_.
    std::lock_guard lock(mutex_);
    if (auto found = cache_.find(id); found != cache_.end()) cached = found->second;
  }
  if (cached && clock_() < cached->renewAt()) return cached;
  try {
    std::shared_ptr<const CertifiedKey> issued = issueChecked(id);
    std::lock_guard lock(mutex_);
    cache_[id] = issued;
    return issued;
  } catch (const std::exception& error) {
    // Renewal is early by design; a certificate that still works beats no certificate.
    if (!cached || clock_() >= cached->notAfter) throw;
    spdlog::warn("identity: renewing {} failed, still using serial {}: {}", id.uri(),
                 cached->serialHex, error.what());
    return cached;
  }
}

// Asks the issuer and checks the answer. Called with issueMutex_ held and mutex_ not
// held: issuing may take a while (a remote CA), and handshakes reading the cache must
// not wait for it.
std::shared_ptr<const CertifiedKey> WorkloadCertificates::issueChecked(const SpiffeId& id) {
  std::shared_ptr<const CertifiedKey> issued = issuer_->issue(id, lifetime());
  if (issued == nullptr || issued->id != id) {
    throw std::runtime_error("issuer returned no certificate, or one for another identity, for " +
                             id.uri());
  }
  return issued;
}

void WorkloadCertificates::retain(const std::set<SpiffeId>& wanted) {
  std::lock_guard lock(mutex_);
  std::erase_if(cache_, [&](const auto& entry) { return !wanted.contains(entry.first); });
}

std::vector<std::shared_ptr<const CertifiedKey>> WorkloadCertificates::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const CertifiedKey>> keys;
  keys.reserve(cache_.size());
  for (const auto& entry : cache_) keys.push_back(entry.second);
  return keys;
}

std::size_t WorkloadCertificates::rotateDue(system_clock::time_point now) {
  std::vector<std::shared_ptr<const CertifiedKey>> due;
  {
    std::lock_guard lock(mutex_);
    for (const auto& entry : cache_) {
      if (entry.second->renewAt() <= now) due.push_back(entry.second);
    }
  }
  std::size_t rotated = 0;
  for (const auto& old : due) {
    // One identity at a time, so a get() for a new pod waits for one issue at most.
    std::lock_guard issuing(issueMutex_);
    auto stillCached = [&] {
      // retain() may have dropped it, or get() renewed it, meanwhile.
      auto found = cache_.find(old->id);
      return found != cache_.end() && found->second == old;
    };
    {
      std::lock_guard lock(mutex_);
      if (!stillCached()) continue;
    }
    std::shared_ptr<const CertifiedKey> issued;
    try {
      issued = issueChecked(old->id);
    } catch (const std::exception& error) {
      spdlog::warn("identity: rotating {} failed, keeping serial {} (valid until {}): {}",
                   old->id.uri(), old->serialHex, detail::formatUtc(old->notAfter), error.what());
      continue;
    }
    std::lock_guard lock(mutex_);
    if (!stillCached()) continue;
    cache_[old->id] = std::move(issued);
    ++rotated;
  }
  return rotated;
}

void WorkloadCertificates::setLifetime(std::chrono::seconds lifetime) {
  if (lifetime <= std::chrono::seconds::zero()) {
    throw std::invalid_argument("certificate lifetime must be positive");
  }
  std::lock_guard lock(mutex_);
  lifetime_ = lifetime;
}

std::chrono::seconds WorkloadCertificates::lifetime() const {
  std::lock_guard lock(mutex_);
  return lifetime_;
}

}  // namespace ztls::identity
