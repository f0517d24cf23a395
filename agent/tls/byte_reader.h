// Bounds-checked reads of TLS wire structures (RFC 8446 §3): every read either succeeds
// completely or fails and leaves the reader where it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ztls::tls::detail {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool empty() const { return bytes_.empty(); }
  std::size_t remaining() const { return bytes_.size(); }

  bool readU8(std::uint8_t& out) {
    if (bytes_.empty()) return false;
    out = bytes_[0];
    bytes_ = bytes_.subspan(1);
    return true;
  }

  bool readU16(std::uint16_t& out) {
    if (bytes_.size() < 2) return false;
    out = static_cast<std::uint16_t>(bytes_[0] << 8 | bytes_[1]);
    bytes_ = bytes_.subspan(2);
    return true;
  }

  bool readBytes(std::size_t count, std::span<const std::uint8_t>& out) {
    if (bytes_.size() < count) return false;
    out = bytes_.first(count);
    bytes_ = bytes_.subspan(count);
    return true;
  }

  // A vector with a 1- or 2-byte length prefix (RFC 8446 §3.4), whose length must lie in
  // [minLength, maxLength].
  bool readVector(std::size_t prefixBytes, std::size_t minLength, std::size_t maxLength,
                  std::span<const std::uint8_t>& out) {
    ByteReader probe = *this;
    std::size_t length = 0;
    if (prefixBytes == 1) {
      std::uint8_t value = 0;
      if (!probe.readU8(value)) return false;
      length = value;
    } else {
      std::uint16_t value = 0;
      if (!probe.readU16(value)) return false;
      length = value;
    }
    if (length < minLength || length > maxLength) return false;
    if (!probe.readBytes(length, out)) return false;
    *this = probe;
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

}  // namespace ztls::tls::detail
