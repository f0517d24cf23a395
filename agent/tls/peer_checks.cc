#include "peer_checks.h"

#include <openssl/ssl.h>

namespace ztls::tls::detail {

namespace {

int exDataIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

bool PeerChecks::attachTo(SSL* ssl) {
  return exDataIndex() >= 0 && SSL_set_ex_data(ssl, exDataIndex(), this) == 1;
}

PeerChecks* PeerChecks::of(const SSL* ssl) {
  if (ssl == nullptr || exDataIndex() < 0) return nullptr;
  return static_cast<PeerChecks*>(SSL_get_ex_data(ssl, exDataIndex()));
}

void PeerChecks::reject(HandshakeFailure kind, std::string reason, long verifyResult) {
  if (rejection) return;
  HandshakeError error;
  error.kind = kind;
  error.reason = std::move(reason);
  error.verifyResult = verifyResult;
  rejection = std::move(error);
}

}  // namespace ztls::tls::detail
