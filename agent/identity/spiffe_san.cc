#include "spiffe_san.h"

#include <openssl/x509v3.h>

#include <string_view>

#include "openssl_error.h"
#include "ztls/identity/openssl_ptr.h"

namespace ztls::identity::detail {
namespace {

// The URI is the peer's text: keep messages printable and short.
std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 128;
  std::string out;
  for (char c : text.substr(0, kMax)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace

SanIdentity readSpiffeSan(X509* certificate) {
  if (certificate == nullptr) return {std::nullopt, "no certificate"};
  int critical = 0;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, &critical, nullptr)));
  // critical == -2: several SAN extensions, which RFC 5280 forbids; -1: none; a present
  // but undecodable extension also gives null.
  if (names == nullptr) {
    takeOpenSslErrors();
    if (critical == -2) return {std::nullopt, "more than one subjectAltName extension"};
    return {std::nullopt, "no SPIFFE URI SAN"};
  }

  const ASN1_IA5STRING* uri = nullptr;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    if (uri != nullptr) return {std::nullopt, "more than one URI SAN"};
    uri = name->d.uniformResourceIdentifier;
  }
  if (uri == nullptr) return {std::nullopt, "no SPIFFE URI SAN"};

  // The explicit length keeps an embedded NUL in the text, where parse rejects it.
  std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                        static_cast<std::size_t>(ASN1_STRING_length(uri)));
  std::optional<SpiffeId> id = SpiffeId::parse(text);
  if (!id) return {std::nullopt, "URI SAN is not a valid SPIFFE ID: " + printable(text)};
  return {std::move(id), {}};
}

}  // namespace ztls::identity::detail
