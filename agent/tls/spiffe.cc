#include "ztls/tls/spiffe.h"

#include <openssl/x509v3.h>

#include "openssl_ptr.h"

namespace ztls::tls {

namespace {

constexpr std::string_view kScheme = "spiffe://";
constexpr std::size_t kMaxIdLength = 2048;  // SPIFFE ID §2.3
constexpr std::size_t kMaxTrustDomainLength = 255;

bool isTrustDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool isPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

}  // namespace

bool isSpiffeId(std::string_view uri) {
  if (uri.size() > kMaxIdLength || !uri.starts_with(kScheme)) return false;
  std::string_view rest = uri.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  // A workload's ID has a path; the bare trust domain names no workload.
  if (slash == std::string_view::npos) return false;
  const std::string_view trustDomain = rest.substr(0, slash);
  if (trustDomain.empty() || trustDomain.size() > kMaxTrustDomainLength) return false;
  for (char c : trustDomain) {
    if (!isTrustDomainChar(c)) return false;
  }
  rest = rest.substr(slash);
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the '/'
    const std::size_t next = rest.find('/');
    const std::string_view segment = rest.substr(0, next);
    if (segment.empty() || segment == "." || segment == "..") return false;
    for (char c : segment) {
      if (!isPathChar(c)) return false;
    }
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
  }
  return true;
}

LeafIdentity spiffeIdOf(const X509* leaf) {
  LeafIdentity identity;
  if (leaf == nullptr) {
    identity.problem = "no certificate";
    return identity;
  }
  int critical = 0;
  const detail::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf, NID_subject_alt_name, &critical, nullptr)));
  if (!names) {
    // -2: the extension occurs more than once, which RFC 5280 §4.2 forbids.
    identity.problem =
        critical == -2 ? "more than one subjectAltName extension" : "no subjectAltName extension";
    return identity;
  }
  int uris = 0;
  std::string uri;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    ++uris;
    const ASN1_IA5STRING* value = name->d.uniformResourceIdentifier;
    uri.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
               static_cast<std::size_t>(ASN1_STRING_length(value)));
  }
  if (uris != 1) {
    identity.problem = uris == 0 ? "no URI subjectAltName"
                                 : std::to_string(uris) + " URI subjectAltNames, expected one";
    return identity;
  }
  // Checked on the full length, so an embedded NUL cannot hide a suffix.
  if (!isSpiffeId(uri)) {
    std::string shown;
    for (char c : uri.substr(0, 128)) shown += (c < 0x20 || c > 0x7e) ? '?' : c;
    identity.problem = "URI subjectAltName '" + shown + "' is not a SPIFFE ID";
    return identity;
  }
  identity.id = std::move(uri);
  return identity;
}

}  // namespace ztls::tls
