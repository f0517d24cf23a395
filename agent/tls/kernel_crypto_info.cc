#include "ztls/tls/kernel_crypto_info.h"

#include <linux/tls.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <span>

namespace ztls::tls {

namespace {

// The kernel's layouts, fixed by its UAPI; the buffer must hold the largest.
static_assert(sizeof(tls12_crypto_info_aes_gcm_128) <= 64);
static_assert(sizeof(tls12_crypto_info_aes_gcm_256) <= 64);
static_assert(sizeof(tls12_crypto_info_chacha20_poly1305) <= 64);
static_assert(sizeof(tls12_crypto_info_aes_gcm_128::rec_seq) == 8);

// RFC 8446 §5.3: the 64-bit sequence number in network byte order.
void writeSequence(unsigned char (&out)[8], std::uint64_t sequence) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(sequence & 0xff);
    sequence >>= 8;
  }
}

// For AES-GCM the kernel takes the 12-byte write_iv as a 4-byte salt and an 8-byte "iv";
// in TLS 1.3 it XORs the sequence into both together, so the split is just positional.
template <class Info>
void fillGcm(Info& info, unsigned short cipherType, const TrafficKeys& keys,
             std::uint64_t sequence) {
  info.info.version = TLS_1_3_VERSION;
  info.info.cipher_type = cipherType;
  const auto iv = keys.iv.bytes();
  std::copy_n(iv.begin(), sizeof(info.salt), info.salt);
  std::copy_n(iv.begin() + sizeof(info.salt), sizeof(info.iv), info.iv);
  std::copy_n(keys.key.bytes().begin(), sizeof(info.key), info.key);
  writeSequence(info.rec_seq, sequence);
}

}  // namespace

std::optional<KernelCryptoInfo> KernelCryptoInfo::make(MeshCipher cipher, const TrafficKeys& keys,
                                                       std::uint64_t sequence) {
  if (keys.key.size() != keyLength(cipher) || keys.iv.size() != kTrafficIvLength) {
    return std::nullopt;
  }
  KernelCryptoInfo result;
  switch (cipher) {
    case MeshCipher::kAes128GcmSha256: {
      tls12_crypto_info_aes_gcm_128 info{};
      fillGcm(info, TLS_CIPHER_AES_GCM_128, keys, sequence);
      std::memcpy(result.bytes_.data(), &info, sizeof(info));
      result.size_ = sizeof(info);
      OPENSSL_cleanse(&info, sizeof(info));
      break;
    }
    case MeshCipher::kAes256GcmSha384: {
      tls12_crypto_info_aes_gcm_256 info{};
      fillGcm(info, TLS_CIPHER_AES_GCM_256, keys, sequence);
      std::memcpy(result.bytes_.data(), &info, sizeof(info));
      result.size_ = sizeof(info);
      OPENSSL_cleanse(&info, sizeof(info));
      break;
    }
    case MeshCipher::kChacha20Poly1305Sha256: {
      // No salt: the whole 12-byte write_iv is the "iv".
      tls12_crypto_info_chacha20_poly1305 info{};
      info.info.version = TLS_1_3_VERSION;
      info.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
      std::copy_n(keys.iv.bytes().begin(), sizeof(info.iv), info.iv);
      std::copy_n(keys.key.bytes().begin(), sizeof(info.key), info.key);
      writeSequence(info.rec_seq, sequence);
      std::memcpy(result.bytes_.data(), &info, sizeof(info));
      result.size_ = sizeof(info);
      OPENSSL_cleanse(&info, sizeof(info));
      break;
    }
  }
  return result;
}

KernelCryptoInfo::KernelCryptoInfo(KernelCryptoInfo&& other) noexcept
    : bytes_(other.bytes_), size_(other.size_) {
  OPENSSL_cleanse(other.bytes_.data(), other.bytes_.size());
  other.size_ = 0;
}

KernelCryptoInfo& KernelCryptoInfo::operator=(KernelCryptoInfo&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    size_ = other.size_;
    OPENSSL_cleanse(other.bytes_.data(), other.bytes_.size());
    other.size_ = 0;
  }
  return *this;
}

KernelCryptoInfo::~KernelCryptoInfo() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

}  // namespace ztls::tls
