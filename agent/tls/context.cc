#include "ztls/tls/context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "context_callbacks.h"
#include "openssl_ptr.h"
#include "session_cache.h"
#include "ztls/tls/alpn.h"
#include "ztls/tls/spiffe.h"

namespace ztls::tls {

namespace {

// AES-GCM first: the fastest with AES-NI. All three have kernel TLS implementations
// (TLS_CIPHER_AES_GCM_128/256, TLS_CIPHER_CHACHA20_POLY1305), so whatever is negotiated can
// be handed off.
constexpr const char* kCipherSuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256";
// Leaf, intermediates, root: a mesh chain is short; this only bounds the work a peer can
// make us do.
constexpr int kMaxVerifyDepth = 8;
// Sessions a server context remembers for resumption; beyond it OpenSSL drops the oldest.
// One holds the client's decoded certificate, a few KiB.
constexpr long kServerSessionCacheSize = 4096;

// OpenSSL's queued errors, oldest first, then cleared so they cannot leak into the next
// SSL call on this thread.
std::string drainErrors() {
  std::string text;
  unsigned long error = 0;
  while ((error = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(error, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

[[noreturn]] void fail(const std::string& what) {
  const std::string errors = drainErrors();
  throw ContextError(errors.empty() ? what : what + ": " + errors);
}

void check(int result, const char* what) {
  if (result != 1) fail(what);
}

void configureProtocol(SSL_CTX* ctx, Role role) {
  check(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION), "restricting to TLS 1.3");
  check(SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION), "restricting to TLS 1.3");
  check(SSL_CTX_set_ciphersuites(ctx, kCipherSuites), "setting the TLS 1.3 ciphersuites");
  check(SSL_CTX_set1_groups_list(ctx, kGroups), "setting the key exchange groups");
  // Resumption (context.h): one ticket per handshake; a client stores sessions only
  // through onNewSession. The server keeps its sessions in memory and the ticket only names
  // one (SSL_OP_NO_TICKET selects that in TLS 1.3): a stateless ticket carries the client's
  // certificate, and decoding it again costs most of what resumption saves with OpenSSL 3.0.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_timeout(ctx, kSessionLifetimeSeconds);
  if (role == Role::kServer) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, kServerSessionCacheSize);
    check(SSL_CTX_set_num_tickets(ctx, 1), "setting the number of session tickets");
    // OpenSSL refuses to resume a session with a verified client certificate unless the
    // server names the context sessions belong to.
    static constexpr unsigned char kSessionContext[] = "ztls mesh";
    check(SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1),
          "setting the session id context");
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, detail::onNewSession);
  }
  // Partial writes: each SSL_write_ex seals one record, and sslWriteSealed collects them
  // for one send. The chain
  // sent is exactly the leaf and the given intermediates: OpenSSL would otherwise complete
  // it from the trust store and send the root along, which the peer has anyway.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_NO_AUTO_CHAIN);
  // Read-ahead stays off (OpenSSL's default): records are read exactly, so the handshake
  // leaves the socket at a record boundary for the kernel TLS hand-off.
  SSL_CTX_set_read_ahead(ctx, 0);
}

void configureCredentials(SSL_CTX* ctx, const Credentials& credentials) {
  if (credentials.leaf == nullptr || credentials.key == nullptr || credentials.root == nullptr) {
    throw ContextError("credentials need a leaf certificate, its key and the mesh root");
  }
  check(SSL_CTX_use_certificate(ctx, credentials.leaf), "using the leaf certificate");
  check(SSL_CTX_use_PrivateKey(ctx, credentials.key), "using the private key");
  check(SSL_CTX_check_private_key(ctx), "the private key does not match the leaf certificate");
  for (X509* intermediate : credentials.chain) {
    if (intermediate == nullptr) throw ContextError("null certificate in the chain");
    check(static_cast<int>(SSL_CTX_add1_chain_cert(ctx, intermediate)),
          "adding an intermediate certificate");
  }
  // A store with the mesh root and nothing else: SSL_CTX_set_default_verify_paths is
  // never called, so the system's CAs vouch for nobody here.
  detail::X509StorePtr store(X509_STORE_new());
  if (!store) fail("allocating the trust store");
  check(X509_STORE_add_cert(store.get(), credentials.root), "adding the mesh root");
  SSL_CTX_set_cert_store(ctx, store.release());  // takes ownership
}

void configurePeerChecks(SSL_CTX* ctx, Role role) {
  // A server requests a client certificate and fails a handshake without one.
  const int mode =
      role == Role::kServer ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER;
  SSL_CTX_set_verify(ctx, mode, detail::onVerify);
  SSL_CTX_set_verify_depth(ctx, kMaxVerifyDepth);
  if (role == Role::kServer) {
    SSL_CTX_set_client_hello_cb(ctx, detail::onClientHello, nullptr);
    SSL_CTX_set_alpn_select_cb(ctx, detail::onSelectAlpn, nullptr);
  } else {
    // Wire format: one length-prefixed name. Returns 0 on success, unlike most of OpenSSL.
    std::string protocols(1, static_cast<char>(kMeshAlpn.size()));
    protocols += kMeshAlpn;
    if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(protocols.data()),
                                static_cast<unsigned int>(protocols.size())) != 0) {
      fail("setting the mesh ALPN");
    }
  }
  SSL_CTX_set_msg_callback(ctx, detail::onProtocolMessage);
}

}  // namespace

std::string_view toString(Role role) { return role == Role::kClient ? "client" : "server"; }

void MeshTlsContext::FreeCtx::operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }

MeshTlsContext::MeshTlsContext(Role role, const Credentials& credentials, ContextOptions options)
    : role_(role), options_(std::move(options)) {
  ERR_clear_error();
  LeafIdentity identity = spiffeIdOf(credentials.leaf);
  if (!identity.ok()) {
    throw ContextError("the leaf certificate has no usable SPIFFE ID: " + identity.problem);
  }
  localId_ = std::move(identity.id);
  ctx_.reset(SSL_CTX_new(role == Role::kServer ? TLS_server_method() : TLS_client_method()));
  if (!ctx_) fail("allocating an SSL_CTX");
  configureProtocol(ctx_.get(), role);
  configureCredentials(ctx_.get(), credentials);
  configurePeerChecks(ctx_.get(), role);
  if (role == Role::kClient) sessions_ = std::make_unique<detail::SessionCache>();
  if (!detail::attachContext(ctx_.get(), this)) fail("linking the SSL_CTX to its context");
  if (options_.keylog || options_.kernelTlsHandoff) {
    SSL_CTX_set_keylog_callback(ctx_.get(), detail::onKeylog);
  }
}

MeshTlsContext::~MeshTlsContext() = default;

ServerContext::ServerContext(const Credentials& credentials, ContextOptions options)
    : MeshTlsContext(Role::kServer, credentials, std::move(options)) {}

std::shared_ptr<const ServerContext> ServerContext::create(const Credentials& credentials,
                                                           ContextOptions options) {
  return std::shared_ptr<const ServerContext>(new ServerContext(credentials, std::move(options)));
}

ClientContext::ClientContext(const Credentials& credentials, ContextOptions options)
    : MeshTlsContext(Role::kClient, credentials, std::move(options)) {}

std::shared_ptr<const ClientContext> ClientContext::create(const Credentials& credentials,
                                                           ContextOptions options) {
  return std::shared_ptr<const ClientContext>(new ClientContext(credentials, std::move(options)));
}

}  // namespace ztls::tls
