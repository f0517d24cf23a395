// TLS 1.3 record protection keys from traffic secrets (RFC 8446 §7.1, §7.3): what the
// kernel TLS hand-off gives the kernel for each direction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace ztls::tls {

// The three TLS 1.3 cipher suites a mesh context offers (context.cc), each of which Linux
// kernel TLS implements.
enum class MeshCipher { kAes128GcmSha256, kAes256GcmSha384, kChacha20Poly1305Sha256 };

inline constexpr std::array<MeshCipher, 3> kMeshCiphers = {MeshCipher::kAes128GcmSha256,
                                                           MeshCipher::kAes256GcmSha384,
                                                           MeshCipher::kChacha20Poly1305Sha256};

// IANA names, as OpenSSL's SSL_CIPHER_get_name reports them for TLS 1.3.
std::string_view toString(MeshCipher cipher);
std::optional<MeshCipher> meshCipherNamed(std::string_view name);

std::size_t keyLength(MeshCipher cipher);  // 16 or 32
inline constexpr std::size_t kTrafficIvLength = 12;

// Bytes that are wiped (OPENSSL_cleanse) when destroyed or overwritten.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::span<const std::uint8_t> bytes);
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  std::span<const std::uint8_t> bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  void wipe();

 private:
  std::vector<std::uint8_t> bytes_;
};

struct TrafficKeys {
  SecretBytes key;  // keyLength(cipher) bytes
  SecretBytes iv;   // kTrafficIvLength bytes: the write_iv, XORed with the record sequence
};

// HKDF-Expand-Label(secret, label, context, length) of RFC 8446 §7.1 with the suite's hash,
// through OpenSSL's TLS13-KDF. Empty on failure (a secret of the wrong length, or OpenSSL
// failing), never throws.
SecretBytes hkdfExpandLabel(MeshCipher cipher, std::span<const std::uint8_t> secret,
                            std::string_view label, std::span<const std::uint8_t> context,
                            std::size_t length);

// [sender]_write_key and [sender]_write_iv from a traffic secret (RFC 8446 §7.3). nullopt
// when the secret is not the suite's hash length or derivation fails.
std::optional<TrafficKeys> deriveTrafficKeys(MeshCipher cipher,
                                             std::span<const std::uint8_t> secret);

}  // namespace ztls::tls
