// The TLS_TX / TLS_RX argument laid out as <linux/tls.h> defines it.
#include "ztls/tls/kernel_crypto_info.h"

#include <gtest/gtest.h>
#include <linux/tls.h>

#include <cstring>
#include <string>
#include <vector>

#include "hex.h"

namespace ztls::tls::test {
namespace {

TrafficKeys keys(std::size_t keyLength) {
  std::vector<std::uint8_t> key(keyLength);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x10 + i);
  const auto iv = fromHex("a0a1a2a3a4a5a6a7a8a9aaab");
  TrafficKeys result;
  result.key = SecretBytes(key);
  result.iv = SecretBytes(iv);
  return result;
}

template <class Info>
Info as(const KernelCryptoInfo& info) {
  Info out{};
  EXPECT_EQ(info.size(), sizeof(Info));
  std::memcpy(&out, info.data(), sizeof(Info));
  return out;
}

std::string hexOf(const unsigned char* bytes, std::size_t size) { return toHex({bytes, size}); }

TEST(KernelCryptoInfo, Aes128GcmSplitsTheIvIntoSaltAndExplicitPart) {
  const auto info = KernelCryptoInfo::make(MeshCipher::kAes128GcmSha256, keys(16), 0x0102030405);
  ASSERT_TRUE(info.has_value());
  const auto raw = as<tls12_crypto_info_aes_gcm_128>(*info);
  EXPECT_EQ(raw.info.version, TLS_1_3_VERSION);
  EXPECT_EQ(raw.info.cipher_type, TLS_CIPHER_AES_GCM_128);
  EXPECT_EQ(hexOf(raw.salt, sizeof(raw.salt)), "a0a1a2a3");
  EXPECT_EQ(hexOf(raw.iv, sizeof(raw.iv)), "a4a5a6a7a8a9aaab");
  EXPECT_EQ(hexOf(raw.key, sizeof(raw.key)), "101112131415161718191a1b1c1d1e1f");
  // Network byte order (RFC 8446 §5.3).
  EXPECT_EQ(hexOf(raw.rec_seq, sizeof(raw.rec_seq)), "0000000102030405");
}

TEST(KernelCryptoInfo, Aes256GcmCarriesTheLongKey) {
  const auto info = KernelCryptoInfo::make(MeshCipher::kAes256GcmSha384, keys(32), 7);
  ASSERT_TRUE(info.has_value());
  const auto raw = as<tls12_crypto_info_aes_gcm_256>(*info);
  EXPECT_EQ(raw.info.cipher_type, TLS_CIPHER_AES_GCM_256);
  EXPECT_EQ(hexOf(raw.salt, sizeof(raw.salt)), "a0a1a2a3");
  EXPECT_EQ(raw.key[31], 0x10 + 31);
  EXPECT_EQ(hexOf(raw.rec_seq, sizeof(raw.rec_seq)), "0000000000000007");
}

TEST(KernelCryptoInfo, ChachaTakesTheWholeIv) {
  const auto info = KernelCryptoInfo::make(MeshCipher::kChacha20Poly1305Sha256, keys(32), 0);
  ASSERT_TRUE(info.has_value());
  const auto raw = as<tls12_crypto_info_chacha20_poly1305>(*info);
  EXPECT_EQ(raw.info.version, TLS_1_3_VERSION);
  EXPECT_EQ(raw.info.cipher_type, TLS_CIPHER_CHACHA20_POLY1305);
  EXPECT_EQ(hexOf(raw.iv, sizeof(raw.iv)), "a0a1a2a3a4a5a6a7a8a9aaab");
  EXPECT_EQ(hexOf(raw.rec_seq, sizeof(raw.rec_seq)), "0000000000000000");
}

TEST(KernelCryptoInfo, KeysOfTheWrongLengthAreRefused) {
  EXPECT_FALSE(KernelCryptoInfo::make(MeshCipher::kAes256GcmSha384, keys(16), 0).has_value());
  EXPECT_FALSE(KernelCryptoInfo::make(MeshCipher::kAes128GcmSha256, TrafficKeys{}, 0).has_value());
}

}  // namespace
}  // namespace ztls::tls::test
