// The record layer half of the sniffer: checks record headers and reassembles the
// ClientHello from one or more handshake records (RFC 8446 §5.1), then hands the complete
// message to parseClientHello.
#include "ztls/tls/sniff.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "client_hello.h"

namespace ztls::tls {

namespace {

constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kClientHelloType = 1;
constexpr std::size_t kHandshakeHeaderBytes = 4;

SniffResult decided(SniffKind kind, std::string_view reason) {
  SniffResult result;
  result.kind = kind;
  result.reason = reason;
  return result;
}

// A bad header byte means "not TLS" in the first record, and "broken TLS" once a record
// has been accepted.
SniffResult badHeader(std::size_t recordIndex, std::string_view reason) {
  return decided(recordIndex == 0 ? SniffKind::kPlaintext : SniffKind::kTls, reason);
}

// Checks the header bytes present at `header` (fewer than five when the input ends inside
// it), byte by byte in stream order so that a decision never needs bytes after the first
// bad one.
std::optional<SniffResult> checkHeader(std::span<const std::uint8_t> header,
                                       std::size_t recordIndex) {
  if (header.size() >= 1 && header[0] != kHandshakeRecord) {
    return badHeader(recordIndex, "not a TLS handshake record");
  }
  // legacy_record_version: 0x0301 is what clients put in their first record, 0x0303
  // what everyone uses after it.
  if (header.size() >= 2 && header[1] != 3) {
    return badHeader(recordIndex, "not a TLS record version");
  }
  if (header.size() >= 3 && (header[2] < 1 || header[2] > 3)) {
    return badHeader(recordIndex, "not a TLS record version");
  }
  if (header.size() >= kRecordHeaderBytes) {
    const std::size_t length = static_cast<std::size_t>(header[3] << 8 | header[4]);
    if (length > kMaxRecordLength) return badHeader(recordIndex, "record too long for TLS");
    // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake
    // types" -- it looks like TLS, so it is broken TLS.
    if (length == 0) return decided(SniffKind::kTls, "empty handshake record");
  }
  return std::nullopt;
}

SniffResult classifyClientHello(std::span<const std::uint8_t> body) {
  detail::ClientHelloSummary summary = detail::parseClientHello(body);
  SniffResult result;
  if (!summary.problem.empty()) return decided(SniffKind::kTls, summary.problem);
  result.kind = summary.offersMesh ? SniffKind::kMeshTls : SniffKind::kTls;
  if (!summary.offersMesh) result.reason = summary.alpn.empty() ? "no ALPN" : "no mesh ALPN";
  result.serverName = std::move(summary.serverName);
  result.alpn = std::move(summary.alpn);
  return result;
}

SniffResult sniffRecords(std::span<const std::uint8_t> input) {
  // The handshake layer's bytes so far: the concatenated fragments of the records read.
  std::vector<std::uint8_t> handshake;
  std::size_t messageBytes = 0;  // header included; 0 until the header is complete
  std::size_t offset = 0;
  for (std::size_t record = 0;; ++record) {
    if (record == kMaxClientHelloRecords) {
      return decided(SniffKind::kTls, "ClientHello fragmented into too many records");
    }
    const std::span<const std::uint8_t> header =
        input.subspan(offset, std::min(kRecordHeaderBytes, input.size() - offset));
    if (auto verdict = checkHeader(header, record)) return *verdict;
    if (header.size() < kRecordHeaderBytes) return {};
    const std::size_t length = static_cast<std::size_t>(header[3] << 8 | header[4]);
    offset += kRecordHeaderBytes;
    const std::span<const std::uint8_t> fragment =
        input.subspan(offset, std::min(length, input.size() - offset));

    for (std::uint8_t byte : fragment) {
      handshake.push_back(byte);
      if (handshake.size() == 1 && byte != kClientHelloType) {
        return decided(SniffKind::kTls, "not a ClientHello");
      }
      if (handshake.size() == kHandshakeHeaderBytes) {
        const std::size_t bodyBytes =
            static_cast<std::size_t>(handshake[1] << 16 | handshake[2] << 8 | handshake[3]);
        messageBytes = kHandshakeHeaderBytes + bodyBytes;
        if (messageBytes > kMaxClientHelloBytes) {
          return decided(SniffKind::kTls, "ClientHello too large to sniff");
        }
      }
      // Decided as soon as the message is complete: whatever follows it in the record is
      // OpenSSL's to reject (RFC 8446 §5.1 forbids coalescing across the key change).
      if (messageBytes != 0 && handshake.size() == messageBytes) {
        return classifyClientHello(std::span(handshake).subspan(kHandshakeHeaderBytes));
      }
    }
    if (fragment.size() < length) return {};
    offset += length;
  }
}

}  // namespace

std::string_view toString(SniffKind kind) {
  switch (kind) {
    case SniffKind::kNeedMore:
      return "need-more";
    case SniffKind::kPlaintext:
      return "plaintext";
    case SniffKind::kTls:
      return "tls";
    case SniffKind::kMeshTls:
      return "mesh-tls";
  }
  return "unknown";
}

SniffResult sniff(std::span<const std::uint8_t> firstBytes) {
  if (firstBytes.empty()) return {};
  SniffResult result = sniffRecords(firstBytes);
  // Unreachable by construction (a ClientHello and its record headers fit in
  // kMaxSniffBytes, and every limit above decides), kept so the promise to callers holds
  // even if the limits are changed inconsistently.
  if (result.kind == SniffKind::kNeedMore && firstBytes.size() >= kMaxSniffBytes) {
    return decided(SniffKind::kTls, "no ClientHello within the sniff limit");
  }
  return result;
}

}  // namespace ztls::tls
