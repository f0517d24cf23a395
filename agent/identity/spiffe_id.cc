#include "ztls/identity/spiffe_id.h"

#include <stdexcept>

namespace ztls::identity {
namespace {

constexpr std::string_view kScheme = "spiffe://";
// SPIFFE's limits: the whole ID, and the trust domain on its own.
constexpr std::size_t kMaxUriLength = 2048;
constexpr std::size_t kMaxTrustDomainLength = 255;

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool isValidSegment(std::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") return false;
  for (char c : segment) {
    bool ok = isLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string_view nextSegment(std::string_view& rest) {
  std::size_t slash = rest.find('/');
  std::string_view segment = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  return segment;
}

}  // namespace

bool isValidTrustDomain(std::string_view trustDomain) {
  if (trustDomain.empty() || trustDomain.size() > kMaxTrustDomainLength) return false;
  for (char c : trustDomain) {
    if (!isLowerAlnum(c) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

SpiffeId::SpiffeId(std::string trustDomain, std::string namespaceName, std::string serviceAccount)
    : SpiffeId(Unchecked{}, std::move(trustDomain), std::move(namespaceName),
               std::move(serviceAccount)) {
  if (!isValidTrustDomain(trustDomain_)) {
    throw std::invalid_argument("invalid SPIFFE trust domain '" + trustDomain_ + "'");
  }
  if (!isValidSegment(namespace_)) {
    throw std::invalid_argument("invalid namespace '" + namespace_ + "' for a SPIFFE ID");
  }
  if (!isValidSegment(serviceAccount_)) {
    throw std::invalid_argument("invalid service account '" + serviceAccount_ +
                                "' for a SPIFFE ID");
  }
  if (uri().size() > kMaxUriLength) throw std::invalid_argument("SPIFFE ID too long");
}

SpiffeId::SpiffeId(Unchecked, std::string trustDomain, std::string namespaceName,
                   std::string serviceAccount)
    : trustDomain_(std::move(trustDomain)),
      namespace_(std::move(namespaceName)),
      serviceAccount_(std::move(serviceAccount)) {}

std::optional<SpiffeId> SpiffeId::parse(std::string_view uri) {
  if (uri.size() > kMaxUriLength || !uri.starts_with(kScheme)) return std::nullopt;
  std::string_view rest = uri.substr(kScheme.size());
  std::string_view trustDomain = nextSegment(rest);
  if (!isValidTrustDomain(trustDomain)) return std::nullopt;

  // rest is now "/ns/<ns>/sa/<sa>"; each piece must be exactly where expected.
  std::string_view parts[4];
  for (std::string_view& part : parts) {
    if (!rest.starts_with('/')) return std::nullopt;
    rest.remove_prefix(1);
    part = nextSegment(rest);
  }
  if (!rest.empty() || parts[0] != "ns" || parts[2] != "sa") return std::nullopt;
  if (!isValidSegment(parts[1]) || !isValidSegment(parts[3])) return std::nullopt;
  return SpiffeId(Unchecked{}, std::string(trustDomain), std::string(parts[1]),
                  std::string(parts[3]));
}

std::string SpiffeId::uri() const {
  return std::string(kScheme) + trustDomain_ + "/ns/" + namespace_ + "/sa/" + serviceAccount_;
}

}  // namespace ztls::identity
