#include "ztls/tls/traffic_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>
#include <string>

namespace ztls::tls {

namespace {

struct CipherFacts {
  MeshCipher cipher;
  std::string_view name;
  const char* digest;
  std::size_t hashLength;
  std::size_t keyLength;
};

constexpr std::array<CipherFacts, 3> kFacts = {{
    {MeshCipher::kAes128GcmSha256, "TLS_AES_128_GCM_SHA256", "SHA256", 32, 16},
    {MeshCipher::kAes256GcmSha384, "TLS_AES_256_GCM_SHA384", "SHA384", 48, 32},
    {MeshCipher::kChacha20Poly1305Sha256, "TLS_CHACHA20_POLY1305_SHA256", "SHA256", 32, 32},
}};

const CipherFacts& factsOf(MeshCipher cipher) {
  return *std::find_if(kFacts.begin(), kFacts.end(),
                       [cipher](const CipherFacts& facts) { return facts.cipher == cipher; });
}

// RFC 8446 §7.1: every label is prefixed with "tls13 ".
constexpr std::string_view kLabelPrefix = "tls13 ";

struct FreeKdf {
  void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
};
struct FreeKdfCtx {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

}  // namespace

std::string_view toString(MeshCipher cipher) { return factsOf(cipher).name; }

std::optional<MeshCipher> meshCipherNamed(std::string_view name) {
  for (const CipherFacts& facts : kFacts) {
    if (facts.name == name) return facts.cipher;
  }
  return std::nullopt;
}

std::size_t keyLength(MeshCipher cipher) { return factsOf(cipher).keyLength; }

SecretBytes::SecretBytes(std::span<const std::uint8_t> bytes)
    : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

void SecretBytes::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

SecretBytes hkdfExpandLabel(MeshCipher cipher, std::span<const std::uint8_t> secret,
                            std::string_view label, std::span<const std::uint8_t> context,
                            std::size_t length) {
  const CipherFacts& facts = factsOf(cipher);
  if (secret.size() != facts.hashLength || length == 0) return {};
  const std::unique_ptr<EVP_KDF, FreeKdf> kdf(EVP_KDF_fetch(nullptr, "TLS13-KDF", nullptr));
  if (!kdf) return {};
  const std::unique_ptr<EVP_KDF_CTX, FreeKdfCtx> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return {};
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  // OSSL_PARAM wants mutable pointers; OpenSSL only reads these.
  std::string digest = facts.digest;
  std::string prefix(kLabelPrefix);
  std::string labelText(label);
  std::vector<std::uint8_t> secretCopy(secret.begin(), secret.end());
  std::vector<std::uint8_t> contextCopy(context.begin(), context.end());
  std::uint8_t noContext = 0;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secretCopy.data(), secretCopy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, prefix.data(), prefix.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, labelText.data(), labelText.size()),
      // A null pointer reads as "not given" even with length 0: point at something.
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA,
                                        contextCopy.empty() ? &noContext : contextCopy.data(),
                                        contextCopy.size()),
      OSSL_PARAM_construct_end(),
  };
  std::vector<std::uint8_t> out(length);
  const bool ok = EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
  OPENSSL_cleanse(secretCopy.data(), secretCopy.size());
  SecretBytes result(ok ? std::span<const std::uint8_t>(out) : std::span<const std::uint8_t>());
  OPENSSL_cleanse(out.data(), out.size());
  return result;
}

std::optional<TrafficKeys> deriveTrafficKeys(MeshCipher cipher,
                                             std::span<const std::uint8_t> secret) {
  TrafficKeys keys;
  keys.key = hkdfExpandLabel(cipher, secret, "key", {}, keyLength(cipher));
  keys.iv = hkdfExpandLabel(cipher, secret, "iv", {}, kTrafficIvLength);
  if (keys.key.size() != keyLength(cipher) || keys.iv.size() != kTrafficIvLength) {
    return std::nullopt;
  }
  return keys;
}

}  // namespace ztls::tls
