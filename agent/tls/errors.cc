#include "ztls/tls/errors.h"

#include <openssl/err.h>

#include <string>

namespace ztls::tls {

namespace {

class OpensslCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "openssl"; }
  std::string message(int code) const override {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(code));
    return reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
  }
};

class TlsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ztls.tls"; }
  std::string message(int code) const override {
    switch (static_cast<TlsErrc>(code)) {
      case TlsErrc::kKeyUpdateRefused:
        return "peer sent a TLS KeyUpdate (refused: sessions never change keys)";
      case TlsErrc::kTruncatedRecord:
        return "connection closed inside a TLS record";
      case TlsErrc::kUnexpectedMessage:
        return "unexpected TLS message from a mesh peer";
      case TlsErrc::kPeerAlert:
        return "the peer sent a TLS alert";
    }
    return "unknown ztls.tls error " + std::to_string(code);
  }
};

}  // namespace

std::string_view toString(HandshakeFailure failure) {
  switch (failure) {
    case HandshakeFailure::kNone:
      return "none";
    case HandshakeFailure::kTimeout:
      return "timeout";
    case HandshakeFailure::kCancelled:
      return "cancelled";
    case HandshakeFailure::kPeerClosed:
      return "peer-closed";
    case HandshakeFailure::kReset:
      return "reset";
    case HandshakeFailure::kSocketError:
      return "socket-error";
    case HandshakeFailure::kNotTls:
      return "not-tls";
    case HandshakeFailure::kProtocol:
      return "protocol";
    case HandshakeFailure::kPeerRejected:
      return "peer-rejected";
    case HandshakeFailure::kNoMeshAlpn:
      return "no-mesh-alpn";
    case HandshakeFailure::kNoPeerCertificate:
      return "no-peer-certificate";
    case HandshakeFailure::kUnknownCa:
      return "unknown-ca";
    case HandshakeFailure::kCertificateExpired:
      return "certificate-expired";
    case HandshakeFailure::kCertificateNotYetValid:
      return "certificate-not-yet-valid";
    case HandshakeFailure::kCertificateInvalid:
      return "certificate-invalid";
    case HandshakeFailure::kBadIdentity:
      return "bad-identity";
    case HandshakeFailure::kWrongIdentity:
      return "wrong-identity";
    case HandshakeFailure::kInternal:
      return "internal";
  }
  return "unknown";
}

const std::error_category& opensslCategory() {
  static const OpensslCategory category;
  return category;
}

std::error_code makeOpensslError(unsigned long packedError) {
  // Library and reason only: the packed value then fits an int (the library number takes
  // the bits from 23 up, below the sign bit) and compares equal across call sites.
  const unsigned long code = ERR_PACK(ERR_GET_LIB(packedError), 0, ERR_GET_REASON(packedError));
  return {static_cast<int>(code), opensslCategory()};
}

const std::error_category& tlsCategory() {
  static const TlsCategory category;
  return category;
}

std::error_code make_error_code(TlsErrc code) { return {static_cast<int>(code), tlsCategory()}; }

}  // namespace ztls::tls
