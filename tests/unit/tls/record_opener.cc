#include "record_opener.h"

#include <openssl/evp.h>

#include <memory>

namespace ztls::tls::test {

namespace {

constexpr std::size_t kHeader = 5;
constexpr std::size_t kTag = 16;

const EVP_CIPHER* aeadOf(MeshCipher cipher) {
  switch (cipher) {
    case MeshCipher::kAes128GcmSha256:
      return EVP_aes_128_gcm();
    case MeshCipher::kAes256GcmSha384:
      return EVP_aes_256_gcm();
    case MeshCipher::kChacha20Poly1305Sha256:
      return EVP_chacha20_poly1305();
  }
  return nullptr;
}

struct FreeCtx {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

}  // namespace

std::optional<OpenedRecord> openRecord(MeshCipher cipher, const TrafficKeys& keys,
                                       std::uint64_t sequence,
                                       std::span<const std::uint8_t> record) {
  if (record.size() < kHeader + kTag + 1) return std::nullopt;
  std::vector<std::uint8_t> nonce(keys.iv.bytes().begin(), keys.iv.bytes().end());
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
  }
  const std::unique_ptr<EVP_CIPHER_CTX, FreeCtx> ctx(EVP_CIPHER_CTX_new());
  const auto header = record.first(kHeader);
  const auto body = record.subspan(kHeader, record.size() - kHeader - kTag);
  auto tag = std::vector<std::uint8_t>(record.end() - kTag, record.end());
  std::vector<std::uint8_t> plain(body.size());
  int length = 0;
  if (EVP_DecryptInit_ex(ctx.get(), aeadOf(cipher), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, keys.key.bytes().data(), nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, header.data(),
                        static_cast<int>(header.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.data(), &length, body.data(),
                        static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTag), tag.data()) !=
          1) {
    return std::nullopt;
  }
  int finalLength = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + length, &finalLength) != 1) return std::nullopt;
  // TLSInnerPlaintext: content, the real type, then zero padding (RFC 8446 §5.2).
  std::size_t end = static_cast<std::size_t>(length + finalLength);
  while (end > 0 && plain[end - 1] == 0) --end;
  if (end == 0) return std::nullopt;
  OpenedRecord opened;
  opened.type = plain[end - 1];
  opened.content.assign(reinterpret_cast<const char*>(plain.data()), end - 1);
  return opened;
}

std::vector<std::vector<std::uint8_t>> splitRecords(std::span<const std::uint8_t> stream) {
  std::vector<std::vector<std::uint8_t>> records;
  std::size_t offset = 0;
  while (stream.size() - offset >= kHeader) {
    const std::size_t length =
        static_cast<std::size_t>(stream[offset + 3]) << 8 | stream[offset + 4];
    if (stream.size() - offset < kHeader + length) break;
    records.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(offset),
                         stream.begin() + static_cast<std::ptrdiff_t>(offset + kHeader + length));
    offset += kHeader + length;
  }
  return records;
}

}  // namespace ztls::tls::test
