#include "ztls/tls/record_sequence.h"

namespace ztls::tls {

namespace {
// RFC 8446 §5.1 ContentType and §4 HandshakeType values.
constexpr std::uint8_t kApplicationData = 23;
constexpr std::uint8_t kFinished = 20;
constexpr std::uint8_t kKeyUpdate = 24;
}  // namespace

void RecordSequence::recordHeader(RecordDirection direction, std::uint8_t outerContentType) {
  Direction& state = of(direction);
  if (state.applicationKey && outerContentType == kApplicationData) ++state.records;
}

void RecordSequence::handshakeMessage(RecordDirection direction, std::uint8_t messageType) {
  Direction& state = of(direction);
  if (messageType == kFinished && !state.applicationKey) {
    state.applicationKey = true;
  } else if (messageType == kKeyUpdate && state.applicationKey) {
    state.keyUpdated = true;
  }
}

std::optional<std::uint64_t> RecordSequence::next(RecordDirection direction) const {
  const Direction& state = of(direction);
  if (!state.applicationKey || state.keyUpdated) return std::nullopt;
  return state.records;
}

}  // namespace ztls::tls
