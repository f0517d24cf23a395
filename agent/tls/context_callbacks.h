// The OpenSSL callbacks every mesh context installs. Per-connection data comes from the
// SSL's PeerChecks, per-context data from the SSL_CTX's MeshTlsContext.
#pragma once

#include <openssl/ssl.h>

#include "ztls/tls/context.h"

namespace ztls::tls::detail {

// Links an SSL_CTX to the MeshTlsContext that owns it (for the key log hook).
bool attachContext(SSL_CTX* ctx, const MeshTlsContext* owner);

// SSL_CTX_set_verify: records why a chain failed, then checks the leaf's SPIFFE ID (and,
// on a client, that it is the expected server), so the handshake fails with an alert
// before it completes rather than after.
int onVerify(int preverifyOk, X509_STORE_CTX* store);

// Server: refuses a ClientHello that does not offer kMeshAlpn, including one with no ALPN
// extension at all (for which OpenSSL would never call the ALPN selection callback).
int onClientHello(SSL* ssl, int* alert, void* arg);

// Server: selects kMeshAlpn (onClientHello made sure it is offered).
int onSelectAlpn(SSL* ssl, const unsigned char** out, unsigned char* outLength,
                 const unsigned char* in, unsigned int inLength, void* arg);

// Client: keeps a ticket the server sent (SSL_CTX_sess_set_new_cb) in the context's
// session cache under the connection's key. Returns 1: the cache owns the session.
int onNewSession(SSL* ssl, SSL_SESSION* session);

void onKeylog(const SSL* ssl, const char* line);

// Notices a KeyUpdate from the peer (see TlsErrc::kKeyUpdateRefused).
void onProtocolMessage(int writing, int version, int contentType, const void* buffer,
                       std::size_t length, SSL* ssl, void* arg);

}  // namespace ztls::tls::detail
