// TLS configuration for one side of the mesh, built from a workload's certificate. Shared
// and immutable: on certificate rotation the owner builds a new context, handshakes from
// then on use it, and live sessions keep the one they started with.
#pragma once

#include <openssl/types.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ztls::tls {

namespace detail {
class SessionCache;
}

// How long a session ticket may be used to resume: long enough for a burst of short
// connections to skip full handshakes, short next to a mesh certificate's lifetime.
inline constexpr long kSessionLifetimeSeconds = 300;

// Borrowed OpenSSL objects; the context takes references of its own (X509_up_ref,
// EVP_PKEY_up_ref), so the caller keeps ownership of what it passes.
struct Credentials {
  X509* leaf = nullptr;      // must carry exactly one SPIFFE URI SAN: the local identity
  EVP_PKEY* key = nullptr;   // the leaf's private key
  std::vector<X509*> chain;  // intermediates, the leaf's issuer first; empty under a root
  X509* root = nullptr;      // the only trust anchor peers are verified against
};

// Receives every NSS key log line OpenSSL produces for a session made with the context
// ("CLIENT_TRAFFIC_SECRET_0 <client random> <secret>", ...), from inside the handshake.
// This is where the kernel TLS hand-off takes the traffic secrets from. The line holds key
// material: never log it. Must not throw (it is called from OpenSSL), and must be safe to
// call from every thread that runs handshakes with the context.
using KeylogCallback = std::function<void(const SSL* ssl, std::string_view line)>;

struct ContextOptions {
  KeylogCallback keylog;  // empty: OpenSSL is not asked for key log lines for this hook
  // Sessions keep their first application traffic secrets and record sequence numbers so
  // they can be handed to kernel TLS (kernel_tls.h). Off: no session holds key material
  // beyond OpenSSL's own.
  bool kernelTlsHandoff = false;
};

// Thrown when credentials cannot make a context: the message says what is wrong.
class ContextError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Role { kClient, kServer };

std::string_view toString(Role role);

// What both sides share (see context.cc for the full list and the reasons):
//  - TLS 1.3 only; ciphersuites TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
//    TLS_CHACHA20_POLY1305_SHA256 (all three have kernel TLS support); groups X25519, P-256.
//  - Mutual authentication: peers are verified against `root` alone (no system store) and
//    must present a leaf with exactly one SPIFFE ID (see spiffe.h).
//  - Resumption with TLS 1.3 tickets (psk_dhe_ke: a fresh key exchange every time): a
//    server issues one ticket per handshake, naming a session only its context's cache
//    holds (at most 4096, for kSessionLifetimeSeconds); a client keeps tickets by server
//    address and expected identity (session_cache.h) and offers each once. A resumed session
//    carries the peer's verified leaf from the full handshake; it is refused once that leaf has
//    expired. Tickets live kSessionLifetime. The kernel TLS hand-off counts the ticket records
//    (record_sequence.h).
//  - ALPN: clients offer only kMeshAlpn; servers select it or fail the handshake.
//  - Key update: never initiated (OpenSSL 3.0 does not on its own and nothing here calls
//    SSL_key_update); a KeyUpdate from the peer ends the session (TlsErrc).
class MeshTlsContext {
 public:
  MeshTlsContext(const MeshTlsContext&) = delete;
  MeshTlsContext& operator=(const MeshTlsContext&) = delete;

  Role role() const { return role_; }
  // The SPIFFE ID of the leaf this context presents.
  const std::string& localId() const { return localId_; }
  // For code that needs OpenSSL directly (the kernel TLS hand-off); do not reconfigure it.
  SSL_CTX* native() const { return ctx_.get(); }
  const KeylogCallback& keylog() const { return options_.keylog; }
  bool kernelTlsHandoff() const { return options_.kernelTlsHandoff; }
  // Tickets from servers, for a client context; null for a server context.
  detail::SessionCache* sessionCache() const { return sessions_.get(); }

 protected:
  MeshTlsContext(Role role, const Credentials& credentials, ContextOptions options);
  ~MeshTlsContext();

 private:
  struct FreeCtx {
    void operator()(SSL_CTX* ctx) const;
  };

  Role role_;
  ContextOptions options_;
  std::string localId_;
  std::unique_ptr<SSL_CTX, FreeCtx> ctx_;
  std::unique_ptr<detail::SessionCache> sessions_;
};

class ServerContext final : public MeshTlsContext {
 public:
  // Throws ContextError.
  static std::shared_ptr<const ServerContext> create(const Credentials& credentials,
                                                     ContextOptions options = {});

 private:
  ServerContext(const Credentials& credentials, ContextOptions options);
};

class ClientContext final : public MeshTlsContext {
 public:
  // Throws ContextError.
  static std::shared_ptr<const ClientContext> create(const Credentials& credentials,
                                                     ContextOptions options = {});

 private:
  ClientContext(const Credentials& credentials, ContextOptions options);
};

}  // namespace ztls::tls
