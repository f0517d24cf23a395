// A client context's TLS 1.3 session tickets, by the server they came from. Resuming
// skips what dominates a full mutual handshake with OpenSSL 3.0: decoding both
// certificates, verifying the chain and both CertificateVerify signatures. The key
// exchange stays (psk_dhe_ke), so resumed sessions keep forward secrecy.
//
// A ticket is used once (RFC 8446 §C.4) and dies with the context: certificate or trust
// rotation builds a new context, and with it an empty cache, on either side (the server's
// ticket names a session in its context's own cache), so old tickets fall back to full
// handshakes.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "openssl_ptr.h"

namespace ztls::tls::detail {

using SslSessionPtr = std::unique_ptr<SSL_SESSION, OpensslFree<&SSL_SESSION_free>>;

class SessionCache {
 public:
  // Servers (keys) and tickets per server kept; beyond them the oldest go.
  static constexpr std::size_t kMaxServers = 4096;
  static constexpr std::size_t kTicketsPerServer = 8;

  // The newest unexpired ticket for `server`, removed from the cache; null if none.
  SslSessionPtr take(const std::string& server);
  // Takes ownership of `session` (a resumable one, else it is dropped).
  void put(const std::string& server, SslSessionPtr session);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<SslSessionPtr>> tickets_;
  std::deque<std::string> order_;  // servers by first insertion, for eviction
};

// The cache key of a client session: the server's address (tickets are issued by one
// agent's context) and the identity the client requires of it.
std::string sessionCacheKey(const std::string& serverEndpoint, const std::string& serverId);

}  // namespace ztls::tls::detail
