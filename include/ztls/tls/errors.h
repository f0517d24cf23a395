// How a handshake fails, and error codes for TLS failures on the data path.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace ztls::tls {

enum class HandshakeFailure {
  kNone,
  kTimeout,       // no complete handshake within the timeout
  kCancelled,     // the caller cancelled the handshake
  kPeerClosed,    // the peer closed the connection (EOF) before the handshake finished
  kReset,         // the peer reset the connection (ECONNRESET, EPIPE)
  kSocketError,   // another socket error
  kNotTls,        // the peer's bytes are not TLS at all (plaintext, HTTP)
  kProtocol,      // another TLS failure: version, cipher suite, group, malformed message
  kPeerRejected,  // the peer ended the handshake with a fatal alert
  kNoMeshAlpn,    // the client did not offer kMeshAlpn, or the server did not select it
  kNoPeerCertificate,
  kUnknownCa,  // the peer's chain does not lead to the mesh root
  kCertificateExpired,
  kCertificateNotYetValid,
  kCertificateInvalid,  // any other chain verification failure
  kBadIdentity,         // the peer's leaf does not carry exactly one SPIFFE ID
  kWrongIdentity,       // client only: the server's SPIFFE ID is not the expected one
  kInternal,            // bad arguments, allocation failure, OpenSSL internal error
};

std::string_view toString(HandshakeFailure failure);

struct HandshakeError {
  HandshakeFailure kind = HandshakeFailure::kNone;
  // For people: "server presented spiffe://.../sa/x, expected spiffe://.../sa/y".
  std::string reason;
  // The socket error (Asio's system category, so it compares equal to
  // asio::error::connection_reset), asio::error::timed_out/operation_aborted, or the
  // OpenSSL error in opensslCategory(); empty when the failure is a policy decision.
  std::error_code error;
  // OpenSSL's packed error code (ERR_peek_error()), 0 when OpenSSL reported none.
  unsigned long opensslError = 0;
  // X509_V_OK (0) unless certificate verification failed: X509_V_ERR_*.
  long verifyResult = 0;
};

// Codes are OpenSSL's packed library/reason pairs (ERR_PACK(lib, 0, reason)); messages are
// OpenSSL's reason strings ("tlsv13 alert certificate required").
const std::error_category& opensslCategory();
std::error_code makeOpensslError(unsigned long packedError);

// Failures on the data path that are ours rather than OpenSSL's or the kernel's.
enum class TlsErrc {
  // The peer sent a KeyUpdate (RFC 8446 §4.6.3). Refused: once a session is handed to
  // kernel TLS nothing can follow a key change, so no mesh peer ever sends one.
  kKeyUpdateRefused = 1,
  // The TCP stream ended inside a TLS record: truncation, never a clean end.
  kTruncatedRecord,
  // The peer's TLS was fine but it sent something a mesh peer never sends.
  kUnexpectedMessage,
  // After a kernel TLS hand-off: the peer sent a fatal alert (anything but close_notify).
  kPeerAlert,
};

const std::error_category& tlsCategory();
std::error_code make_error_code(TlsErrc code);

}  // namespace ztls::tls

template <>
struct std::is_error_code_enum<ztls::tls::TlsErrc> : std::true_type {};
