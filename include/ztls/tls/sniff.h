// Classifies the first bytes of an inbound connection: plaintext, some TLS, or mesh TLS.
// A pure function over bytes, no I/O; the caller reads (or peeks) and asks again while the
// answer is kNeedMore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ztls::tls {

enum class SniffKind {
  // A well-formed prefix of a TLS record stream whose ClientHello is not complete yet.
  kNeedMore,
  // Cannot be the start of a TLS record: the first record header has a content type other
  // than handshake (22), a version outside 0x0301..0x0303, or a length above 2^14 + 256.
  // SSLv2-style hellos and HTTP land here.
  kPlaintext,
  // Starts like TLS but is not a mesh ClientHello: another handshake message, a malformed
  // ClientHello, one that does not offer kMeshAlpn, or one too large to wait for. STRICT
  // resets it; PERMISSIVE passes it through untouched (it is someone else's TLS).
  kTls,
  // A well-formed ClientHello whose ALPN extension lists kMeshAlpn.
  kMeshTls,
};

std::string_view toString(SniffKind kind);

// Record header (RFC 8446 §5.1): type, legacy version, 16-bit length.
inline constexpr std::size_t kRecordHeaderBytes = 5;
// Largest record length accepted in a header (TLSCiphertext's limit, RFC 8446 §5.2).
inline constexpr std::size_t kMaxRecordLength = 16384 + 256;
// Largest ClientHello handshake message (4-byte header included) the sniffer waits for.
inline constexpr std::size_t kMaxClientHelloBytes = 16384;
// Most records a ClientHello may be fragmented into before the sniffer gives up.
inline constexpr std::size_t kMaxClientHelloRecords = 16;
// The sniffer decides on every input at least this long: kNeedMore only comes back for
// shorter inputs, so a caller never needs to buffer more.
inline constexpr std::size_t kMaxSniffBytes =
    kMaxClientHelloBytes + kMaxClientHelloRecords * kRecordHeaderBytes;

struct SniffResult {
  SniffKind kind = SniffKind::kNeedMore;
  // Why the bytes were classified so, for logs ("no mesh ALPN", "malformed extensions").
  // Static text; empty for kNeedMore and kMeshTls.
  std::string_view reason;
  // From a well-formed ClientHello (kTls or kMeshTls), for logs only: the SNI host name and
  // the offered ALPN protocols in order. Bytes outside printable ASCII are replaced by '?',
  // so they are safe to log as they are; decisions never look at these renderings.
  std::string serverName;
  std::vector<std::string> alpn;
};

// Decisions depend only on the bytes examined, which are taken in stream order and no
// further than needed: appending bytes to an input that was decided (anything but
// kNeedMore) never changes the decision. The ClientHello is decided as soon as its
// handshake message is complete; bytes after it are not looked at.
SniffResult sniff(std::span<const std::uint8_t> firstBytes);

}  // namespace ztls::tls
