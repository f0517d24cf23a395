#include "context_callbacks.h"

#include <openssl/x509_vfy.h>

#include <cstdint>
#include <string>

#include "alpn_list.h"
#include "handoff_capture.h"
#include "peer_checks.h"
#include "session_cache.h"
#include "verify_failure.h"
#include "ztls/tls/alpn.h"
#include "ztls/tls/spiffe.h"

namespace ztls::tls::detail {

namespace {

int contextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string offeredList(const std::vector<std::string_view>& protocols) {
  if (protocols.empty()) return "none";
  std::string list;
  for (std::string_view protocol : protocols) {
    if (!list.empty()) list += ", ";
    list += printable(protocol);
  }
  return list;
}

}  // namespace

bool attachContext(SSL_CTX* ctx, const MeshTlsContext* owner) {
  // OpenSSL's ex_data API is not const-correct; the pointer is only read back as const.
  return contextIndex() >= 0 &&
         SSL_CTX_set_ex_data(ctx, contextIndex(), const_cast<MeshTlsContext*>(owner)) == 1;
}

int onVerify(int preverifyOk, X509_STORE_CTX* store) {
  const auto* ssl = static_cast<const SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  PeerChecks* checks = PeerChecks::of(ssl);
  // A verification outside a mesh handshake has no checks to apply: fail closed.
  if (checks == nullptr) return 0;
  const int depth = X509_STORE_CTX_get_error_depth(store);
  const X509* cert = X509_STORE_CTX_get_current_cert(store);
  if (preverifyOk != 1) {
    const long error = X509_STORE_CTX_get_error(store);
    checks->reject(verifyFailureKind(error),
                   describeVerifyFailure(checks->peerRole(), error, depth, cert,
                                         X509_STORE_CTX_get0_cert(store)),
                   error);
    return 0;
  }
  // OpenSSL verifies from the root down, so the leaf (depth 0) comes last, with its whole
  // chain already verified.
  if (depth != 0) return 1;
  LeafIdentity identity = spiffeIdOf(cert);
  if (!identity.ok()) {
    checks->reject(HandshakeFailure::kBadIdentity,
                   std::string(checks->peerRole()) +
                       " certificate has no usable SPIFFE ID: " + identity.problem,
                   X509_V_ERR_APPLICATION_VERIFICATION);
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  if (checks->role == Role::kClient && identity.id != checks->expectedPeerId) {
    checks->reject(HandshakeFailure::kWrongIdentity,
                   "server presented " + identity.id + ", expected " + checks->expectedPeerId,
                   X509_V_ERR_APPLICATION_VERIFICATION);
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  checks->peerId = std::move(identity.id);
  return 1;
}

int onClientHello(SSL* ssl, int* alert, void*) {
  PeerChecks* checks = PeerChecks::of(ssl);
  const unsigned char* data = nullptr;
  std::size_t length = 0;
  std::optional<std::vector<std::string_view>> offered;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &data,
                                &length) == 1) {
    offered = parseAlpnList({data, length});
    if (!offered) {
      if (checks != nullptr) {
        checks->reject(HandshakeFailure::kProtocol, "malformed ALPN extension from the client");
      }
      *alert = SSL_AD_DECODE_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
  }
  if (offered && offersMeshAlpn(*offered)) return SSL_CLIENT_HELLO_SUCCESS;
  if (checks != nullptr) {
    checks->reject(HandshakeFailure::kNoMeshAlpn,
                   "peer did not offer the mesh ALPN " + std::string(kMeshAlpn) +
                       " (offered: " + (offered ? offeredList(*offered) : "no ALPN") + ")");
  }
  // RFC 7301 §3.2: no_application_protocol when none of the client's protocols is
  // supported.
  *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
  return SSL_CLIENT_HELLO_ERROR;
}

int onSelectAlpn(SSL*, const unsigned char** out, unsigned char* outLength, const unsigned char* in,
                 unsigned int inLength, void*) {
  const auto offered = parseProtocolNames({in, inLength});
  if (!offered || !offersMeshAlpn(*offered)) return SSL_TLSEXT_ERR_ALERT_FATAL;
  // Points at the constant, which outlives every handshake.
  *out = reinterpret_cast<const unsigned char*>(kMeshAlpn.data());
  *outLength = static_cast<unsigned char>(kMeshAlpn.size());
  return SSL_TLSEXT_ERR_OK;
}

int onNewSession(SSL* ssl, SSL_SESSION* session) {
  // Shared with the connection's SSL, which ~SessionState frees without OpenSSL marking
  // the session unresumable.
  SslSessionPtr owned(session);
  const PeerChecks* checks = PeerChecks::of(ssl);
  const auto* owner =
      static_cast<const MeshTlsContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), contextIndex()));
  if (checks == nullptr || owner == nullptr || owner->sessionCache() == nullptr ||
      checks->sessionCacheKey.empty() || checks->peerId.empty()) {
    return 1;  // dropped: nothing to file it under
  }
  try {
    owner->sessionCache()->put(checks->sessionCacheKey, std::move(owned));
  } catch (...) {
    // Out of memory: the session is dropped (freed with put's argument) and the next
    // handshake is full.
  }
  return 1;
}

void onKeylog(const SSL* ssl, const char* line) {
  if (HandoffCapture* capture = HandoffCapture::of(ssl)) capture->keylogLine(line);
  const auto* owner =
      static_cast<const MeshTlsContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), contextIndex()));
  if (owner == nullptr || !owner->keylog()) return;
  try {
    owner->keylog()(ssl, line);
  } catch (...) {
    // An exception must not unwind through OpenSSL; the hook was told not to throw.
  }
}

void onProtocolMessage(int writing, int, int contentType, const void* buffer, std::size_t length,
                       SSL* ssl, void*) {
  if (length < 1) return;
  const auto first = *static_cast<const std::uint8_t*>(buffer);
  if (HandoffCapture* capture = HandoffCapture::of(ssl)) {
    const auto direction = writing != 0 ? RecordDirection::kSent : RecordDirection::kReceived;
    if (contentType == SSL3_RT_HEADER) capture->sequence.recordHeader(direction, first);
    if (contentType == SSL3_RT_HANDSHAKE) capture->sequence.handshakeMessage(direction, first);
  }
  if (writing != 0 || contentType != SSL3_RT_HANDSHAKE || first != SSL3_MT_KEY_UPDATE) return;
  if (PeerChecks* checks = PeerChecks::of(ssl)) checks->keyUpdateReceived = true;
}

}  // namespace ztls::tls::detail
