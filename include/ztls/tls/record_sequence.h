// Which record sequence number each direction of a TLS 1.3 session is at, so the kernel
// continues exactly where OpenSSL stopped (RFC 8446 §5.3: the nonce is the write_iv XORed
// with a 64-bit count of records protected with the current key, starting at 0).
#pragma once

#include <cstdint>
#include <optional>

namespace ztls::tls {

enum class RecordDirection { kSent, kReceived };

// Fed from OpenSSL's message callback: every record header (SSL3_RT_HEADER) and every
// handshake message, in the order OpenSSL processes them. OpenSSL reports a record's header
// before the handshake messages inside it, in both directions.
//
// A direction switches to the application traffic key right after its Finished message
// (RFC 8446 §4.4.4; a key change always falls on a record boundary, §5.1), so every record
// after that one counts. Only outer type application_data (23) is counted: after the
// handshake every protected record carries it, while a middlebox-compatibility
// change_cipher_spec is never protected.
//
// A KeyUpdate in a direction makes that direction's count meaningless for the traffic
// secret the key log reported (it is for generation 0 only): next() returns nullopt.
class RecordSequence {
 public:
  void recordHeader(RecordDirection direction, std::uint8_t outerContentType);
  void handshakeMessage(RecordDirection direction, std::uint8_t messageType);

  // The sequence number of the next record under the first application traffic key;
  // nullopt before that direction's Finished or after a KeyUpdate in it.
  std::optional<std::uint64_t> next(RecordDirection direction) const;

 private:
  struct Direction {
    bool applicationKey = false;
    bool keyUpdated = false;
    std::uint64_t records = 0;
  };
  Direction& of(RecordDirection direction) {
    return direction == RecordDirection::kSent ? sent_ : received_;
  }
  const Direction& of(RecordDirection direction) const {
    return direction == RecordDirection::kSent ? sent_ : received_;
  }

  Direction sent_;
  Direction received_;
};

}  // namespace ztls::tls
