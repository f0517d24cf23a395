#include "ztls/tls/session.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "session_state.h"

namespace ztls::tls {

TlsSession::TlsSession(std::unique_ptr<detail::SessionState> state) : state_(std::move(state)) {}
TlsSession::TlsSession(TlsSession&&) noexcept = default;
TlsSession& TlsSession::operator=(TlsSession&&) noexcept = default;
TlsSession::~TlsSession() = default;

Role TlsSession::role() const { return state_->checks.role; }
const std::string& TlsSession::peerId() const { return state_->checks.peerId; }
const std::string& TlsSession::localId() const { return state_->context->localId(); }

std::string_view TlsSession::cipher() const {
  const char* name = SSL_get_cipher_name(state_->ssl.get());
  return name != nullptr ? name : "";
}

std::string_view TlsSession::protocol() const {
  const char* name = SSL_get_version(state_->ssl.get());
  return name != nullptr ? name : "";
}

bool TlsSession::resumed() const { return SSL_session_reused(state_->ssl.get()) == 1; }

std::string TlsSession::peerCertificateSha256() const {
  // get0: the certificate stays owned by the SSL.
  X509* peer = SSL_get0_peer_certificate(state_->ssl.get());
  if (peer == nullptr) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(peer, EVP_sha256(), digest, &length) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

asio::ip::tcp::socket& TlsSession::socket() { return state_->socket; }
SSL* TlsSession::nativeHandle() const { return state_->ssl.get(); }

bool TlsSession::atRecordBoundary() const {
  SSL* ssl = state_->ssl.get();
  return !state_->io.prefixLeft() && state_->io.inbound.atBoundary() && SSL_pending(ssl) == 0 &&
         SSL_has_pending(ssl) == 0;
}

std::optional<std::uint64_t> TlsSession::nextRecordSequence(RecordDirection direction) const {
  if (detail::HandoffCapture::of(state_->ssl.get()) != &state_->handoff) return std::nullopt;
  return state_->handoff.sequence.next(direction);
}

}  // namespace ztls::tls
