// What the OpenSSL callbacks of one connection need and find out during its handshake,
// reachable from the SSL* (ex_data) because OpenSSL callbacks get nothing else.
#pragma once

#include <openssl/types.h>

#include <optional>
#include <string>

#include "ztls/tls/context.h"
#include "ztls/tls/errors.h"

namespace ztls::tls::detail {

struct PeerChecks {
  Role role = Role::kServer;
  std::string expectedPeerId;   // client only: the server must present exactly this ID
  std::string peerId;           // set once the peer's leaf passed every check
  std::string sessionCacheKey;  // client only: where tickets from this server are kept
  // The first reason a callback refused the peer; more precise than OpenSSL's error queue.
  std::optional<HandshakeError> rejection;
  bool keyUpdateReceived = false;

  // Returns false when OpenSSL cannot store the pointer.
  bool attachTo(SSL* ssl);
  static PeerChecks* of(const SSL* ssl);

  void reject(HandshakeFailure kind, std::string reason, long verifyResult = 0);
  // "client" or "server": the peer's role, for messages.
  const char* peerRole() const { return role == Role::kServer ? "client" : "server"; }
};

}  // namespace ztls::tls::detail
