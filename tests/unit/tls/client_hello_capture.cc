#include "client_hello_capture.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <stdexcept>

namespace ztls::tls::test {

namespace {

std::vector<std::uint8_t> capture(SSL_CTX* ctx, const std::string& serverName) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) throw std::runtime_error("SSL_new");
  if (!serverName.empty()) SSL_set_tlsext_host_name(ssl, serverName.c_str());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  // With nothing to read, the client writes its hello and then wants the server's answer.
  const int result = SSL_do_handshake(ssl);
  std::vector<std::uint8_t> bytes;
  if (SSL_get_error(ssl, result) == SSL_ERROR_WANT_READ) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(out, &data);
    bytes.assign(data, data + length);
  }
  SSL_free(ssl);
  if (bytes.empty()) throw std::runtime_error("the client wrote no ClientHello");
  return bytes;
}

}  // namespace

std::vector<std::uint8_t> captureClientHello(SSL_CTX* ctx) { return capture(ctx, ""); }

std::vector<std::uint8_t> captureClientHello(const HelloOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) throw std::runtime_error("SSL_CTX_new");
  if (options.tls12Only) SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& protocol : options.alpn) {
      wire += static_cast<char>(protocol.size());
      wire += protocol;
    }
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()));
  }
  std::vector<std::uint8_t> bytes;
  try {
    bytes = capture(ctx, options.serverName);
  } catch (...) {
    SSL_CTX_free(ctx);
    throw;
  }
  SSL_CTX_free(ctx);
  return bytes;
}

std::vector<std::uint8_t> refragment(const std::vector<std::uint8_t>& records,
                                     std::size_t fragmentSize) {
  const std::size_t length = static_cast<std::size_t>(records.at(3) << 8 | records.at(4));
  if (records.size() != 5 + length) throw std::runtime_error("not a single-record hello");
  std::vector<std::uint8_t> out;
  for (std::size_t offset = 0; offset < length; offset += fragmentSize) {
    const std::size_t size = std::min(fragmentSize, length - offset);
    out.insert(out.end(), {records[0], records[1], records[2], static_cast<std::uint8_t>(size >> 8),
                           static_cast<std::uint8_t>(size & 0xff)});
    const auto first = records.begin() + 5 + static_cast<std::ptrdiff_t>(offset);
    out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(size));
  }
  return out;
}

}  // namespace ztls::tls::test
