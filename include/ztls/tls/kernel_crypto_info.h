// The kernel's TLS_TX / TLS_RX argument (struct tls12_crypto_info_* of <linux/tls.h>) for
// one direction of a TLS 1.3 session: cipher, key, IV split into salt and explicit part,
// and the record sequence number to continue from.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "ztls/tls/traffic_keys.h"

namespace ztls::tls {

class KernelCryptoInfo {
 public:
  // nullopt when the keys do not fit the cipher.
  static std::optional<KernelCryptoInfo> make(MeshCipher cipher, const TrafficKeys& keys,
                                              std::uint64_t sequence);
  KernelCryptoInfo(const KernelCryptoInfo&) = delete;
  KernelCryptoInfo& operator=(const KernelCryptoInfo&) = delete;
  KernelCryptoInfo(KernelCryptoInfo&& other) noexcept;
  KernelCryptoInfo& operator=(KernelCryptoInfo&& other) noexcept;
  ~KernelCryptoInfo();  // wipes the key

  const void* data() const { return bytes_.data(); }
  socklen_t size() const { return size_; }

 private:
  KernelCryptoInfo() = default;

  // Large enough for the biggest of the three structures (static_assert in the .cc).
  alignas(8) std::array<std::byte, 64> bytes_{};
  socklen_t size_ = 0;
};

}  // namespace ztls::tls
