#include "handshake_failure.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cerrno>
#include <cstring>

#include "verify_failure.h"
#include "ztls/tls/alpn.h"
#include "ztls/tls/spiffe.h"

namespace ztls::tls::detail {

namespace {

HandshakeError make(HandshakeFailure kind, std::string reason, std::error_code error = {}) {
  HandshakeError result;
  result.kind = kind;
  result.reason = std::move(reason);
  result.error = error;
  return result;
}

// OpenSSL's reasons for bytes that were never TLS in the first place.
bool isNotTls(int reason) {
  switch (reason) {
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_WRONG_SSL_VERSION:
      return true;
    default:
      return false;
  }
}

HandshakeError fromSocket(SessionState& state) {
  const int error = state.io.lastErrno;
  // Asio's category, so the code compares equal to asio::error::connection_reset etc.
  const std::error_code code(error, asio::error::get_system_category());
  if (error == ECONNRESET || error == EPIPE) {
    return make(HandshakeFailure::kReset, "connection reset by the peer during the handshake",
                code);
  }
  return make(HandshakeFailure::kSocketError,
              "socket error during the handshake: " + code.message(), code);
}

HandshakeError fromOpenssl(SessionState& state, unsigned long error) {
  const int reason = ERR_GET_REASON(error);
  const char* text = ERR_reason_error_string(error);
  const std::string what = text != nullptr ? text : "unknown OpenSSL error";
  HandshakeError result;
  if (ERR_GET_LIB(error) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET) {
    // A fatal alert from the peer: SSL_R_* for alerts is the alert number plus 1000.
    result = make(HandshakeFailure::kPeerRejected, "the " + std::string(state.checks.peerRole()) +
                                                       " rejected the handshake: " + what);
  } else if (ERR_GET_LIB(error) == ERR_LIB_SSL &&
             reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    result = make(HandshakeFailure::kNoPeerCertificate, "client sent no certificate");
  } else if (ERR_GET_LIB(error) == ERR_LIB_SSL && isNotTls(reason)) {
    result = make(HandshakeFailure::kNotTls, "the " + std::string(state.checks.peerRole()) +
                                                 " did not speak TLS (" + what + ")");
  } else {
    result = make(HandshakeFailure::kProtocol, "TLS handshake failed: " + what);
  }
  result.error = makeOpensslError(error);
  result.opensslError = error;
  return result;
}

}  // namespace

HandshakeError classifyHandshakeFailure(SessionState& state, int sslError) {
  const unsigned long opensslError = ERR_peek_error();
  HandshakeError result;
  if (state.checks.rejection) {
    result = *state.checks.rejection;
    if (opensslError != 0) {
      result.error = makeOpensslError(opensslError);
      result.opensslError = opensslError;
    }
  } else if (const long verify = SSL_get_verify_result(state.ssl.get()); verify != X509_V_OK) {
    // Normally reported through onVerify already; this covers a failure OpenSSL found
    // without calling it.
    result = make(verifyFailureKind(verify),
                  describeVerifyFailure(state.checks.peerRole(), verify, 0, nullptr,
                                        SSL_get0_peer_certificate(state.ssl.get())));
    result.verifyResult = verify;
  } else if (state.io.lastErrno != 0) {
    result = fromSocket(state);
  } else if (state.io.eof) {
    result = make(HandshakeFailure::kPeerClosed, "the " + std::string(state.checks.peerRole()) +
                                                     " closed the connection during the handshake");
  } else if (opensslError != 0) {
    result = fromOpenssl(state, opensslError);
  } else {
    result =
        make(HandshakeFailure::kInternal, "TLS handshake failed without a reason (SSL_get_error " +
                                              std::to_string(sslError) + ")");
  }
  ERR_clear_error();
  return result;
}

HandshakeError confirmPeer(SessionState& state) {
  SSL* ssl = state.ssl.get();
  const std::string peer = state.checks.peerRole();
  if (SSL_version(ssl) != TLS1_3_VERSION) {
    return make(HandshakeFailure::kProtocol,
                "negotiated " + std::string(SSL_get_version(ssl)) + ", not TLS 1.3");
  }
  const unsigned char* selected = nullptr;
  unsigned int selectedLength = 0;
  SSL_get0_alpn_selected(ssl, &selected, &selectedLength);
  if (std::string_view(reinterpret_cast<const char*>(selected), selectedLength) != kMeshAlpn) {
    return make(HandshakeFailure::kNoMeshAlpn,
                state.checks.role == Role::kClient
                    ? "server did not select the mesh ALPN " + std::string(kMeshAlpn)
                    : "peer did not offer the mesh ALPN " + std::string(kMeshAlpn));
  }
  const X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr)
    return make(HandshakeFailure::kNoPeerCertificate, peer + " sent no certificate");
  if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
    HandshakeError result =
        make(verifyFailureKind(verify), describeVerifyFailure(peer.c_str(), verify, 0, leaf, leaf));
    result.verifyResult = verify;
    return result;
  }
  // A full handshake verified the leaf's dates just now; a resumed one carries the
  // verification of the handshake that issued the ticket, which may have outlived the
  // leaf.
  if (SSL_session_reused(ssl) == 1 && X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
    HandshakeError result =
        make(verifyFailureKind(X509_V_ERR_CERT_HAS_EXPIRED),
             describeVerifyFailure(peer.c_str(), X509_V_ERR_CERT_HAS_EXPIRED, 0, leaf, leaf));
    result.verifyResult = X509_V_ERR_CERT_HAS_EXPIRED;
    return result;
  }
  LeafIdentity identity = spiffeIdOf(leaf);
  if (!identity.ok()) {
    return make(HandshakeFailure::kBadIdentity,
                peer + " certificate has no usable SPIFFE ID: " + identity.problem);
  }
  if (state.checks.role == Role::kClient && identity.id != state.checks.expectedPeerId) {
    return make(HandshakeFailure::kWrongIdentity,
                "server presented " + identity.id + ", expected " + state.checks.expectedPeerId);
  }
  state.checks.peerId = std::move(identity.id);
  return {};
}

HandshakeError waitFailure(const std::error_code& error) {
  if (error == asio::error::timed_out) {
    return make(HandshakeFailure::kTimeout, "the handshake did not finish in time", error);
  }
  if (error == asio::error::operation_aborted) {
    return make(HandshakeFailure::kCancelled, "the handshake was cancelled", error);
  }
  return make(HandshakeFailure::kSocketError,
              "waiting on the socket during the handshake: " + error.message(), error);
}

}  // namespace ztls::tls::detail
