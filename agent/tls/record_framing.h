// Follows TLS record boundaries (RFC 8446 §5.1) in the bytes read from the peer, so the
// session knows whether the stream stopped between records or inside one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ztls::tls::detail {

class RecordFraming {
 public:
  void consume(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      if (bodyLeft_ > 0) {
        const std::size_t take = bytes.size() < bodyLeft_ ? bytes.size() : bodyLeft_;
        bodyLeft_ -= take;
        bytes = bytes.subspan(take);
        continue;
      }
      header_[headerSeen_++] = bytes[0];
      bytes = bytes.subspan(1);
      if (headerSeen_ == sizeof(header_)) {
        bodyLeft_ = static_cast<std::size_t>(header_[3] << 8 | header_[4]);
        headerSeen_ = 0;
      }
    }
  }

  bool atBoundary() const { return headerSeen_ == 0 && bodyLeft_ == 0; }

 private:
  std::uint8_t header_[5] = {};
  std::size_t headerSeen_ = 0;
  std::size_t bodyLeft_ = 0;
};

}  // namespace ztls::tls::detail
