#include "raw_tls_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "test_sockets.h"

namespace ztls::tls::test {

namespace {

std::string lastError() {
  const unsigned long error = ERR_get_error();
  ERR_clear_error();
  if (error == 0) return "no OpenSSL error";
  char text[256] = {};
  ERR_error_string_n(error, text, sizeof(text));
  return text;
}

}  // namespace

RawClientOutcome runRawClient(int fd, const RawClientOptions& options) {
  RawClientOutcome outcome;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (options.maxVersion != 0) SSL_CTX_set_max_proto_version(ctx, options.maxVersion);
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& protocol : options.alpn) {
      wire += static_cast<char>(protocol.size());
      wire += protocol;
    }
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()));
  }
  if (options.leaf != nullptr) {
    SSL_CTX_use_certificate(ctx, options.leaf->cert.get());
    SSL_CTX_use_PrivateKey(ctx, options.leaf->key.get());
  }
  if (options.trusted != nullptr) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), options.trusted->cert.get());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  proxy::test::setIoTimeouts(fd, std::chrono::seconds(2));
  if (SSL_connect(ssl) == 1) {
    outcome.connected = true;
    char byte = 0;
    std::size_t read = 0;
    if (SSL_read_ex(ssl, &byte, 1, &read) != 1) outcome.error = lastError();
  } else {
    outcome.error = lastError();
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return outcome;
}

}  // namespace ztls::tls::test
