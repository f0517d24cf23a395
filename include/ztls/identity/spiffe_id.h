// A workload identity as Istio writes it: spiffe://<trust domain>/ns/<namespace>/sa/<sa>.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace ztls::identity {

class SpiffeId {
 public:
  // Throws std::invalid_argument when a part is not valid (see parse for the rules), so
  // that every SpiffeId that exists has a uri() that parses back to it.
  SpiffeId(std::string trustDomain, std::string namespaceName, std::string serviceAccount);

  // Strict: exactly "spiffe://" + trust domain + "/ns/" + namespace + "/sa/" + account.
  // The trust domain is lowercase letters, digits, '.', '-', '_' (SPIFFE's rule, with no
  // port or user info); namespace and account are non-empty SPIFFE path segments (letters,
  // digits, '.', '-', '_', but not "." or ".."). So no query, fragment, percent-encoding,
  // empty or extra segment, or uppercase scheme/trust domain gets through: two spellings
  // of one identity would let a policy written for one be dodged with the other.
  static std::optional<SpiffeId> parse(std::string_view uri);

  const std::string& trustDomain() const { return trustDomain_; }
  const std::string& namespaceName() const { return namespace_; }
  const std::string& serviceAccount() const { return serviceAccount_; }
  std::string uri() const;

  // Ordered by trust domain, then namespace, then service account.
  friend auto operator<=>(const SpiffeId&, const SpiffeId&) = default;
  friend bool operator==(const SpiffeId&, const SpiffeId&) = default;

 private:
  struct Unchecked {};
  SpiffeId(Unchecked, std::string trustDomain, std::string namespaceName,
           std::string serviceAccount);

  std::string trustDomain_;
  std::string namespace_;
  std::string serviceAccount_;
};

// True when the text is a valid trust domain name on its own (e.g. "cluster.local").
bool isValidTrustDomain(std::string_view trustDomain);

}  // namespace ztls::identity
