#include "ztls/tls/session.h"

#include <openssl/ssl.h>

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

asio::ip::tcp::socket& TlsSession::socket() { return state_->socket; }
SSL* TlsSession::nativeHandle() const { return state_->ssl.get(); }

bool TlsSession::atRecordBoundary() const {
  SSL* ssl = state_->ssl.get();
  return !state_->io.prefixLeft() && state_->io.inbound.atBoundary() && SSL_pending(ssl) == 0 &&
         SSL_has_pending(ssl) == 0;
}

}  // namespace ztls::tls
