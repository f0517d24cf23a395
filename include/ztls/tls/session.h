// An established, verified mesh TLS session: the TCP socket, OpenSSL's state for it, and
// who is on the other end. What a relay strategy (userspace today, kernel TLS next) starts
// from.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ztls/proxy/asio.h"
#include "ztls/tls/context.h"
#include "ztls/tls/record_sequence.h"

namespace ztls::tls {

namespace detail {
struct SessionState;
}

class TlsSession {
 public:
  explicit TlsSession(std::unique_ptr<detail::SessionState> state);
  TlsSession(TlsSession&&) noexcept;
  TlsSession& operator=(TlsSession&&) noexcept;
  ~TlsSession();  // frees the SSL and closes the socket (no close_notify)

  // Everything below requires a session that was not moved from.
  Role role() const;  // kServer from acceptMesh, kClient from connectMesh
  const std::string& peerId() const;
  const std::string& localId() const;
  std::string_view cipher() const;    // "TLS_AES_128_GCM_SHA256"
  std::string_view protocol() const;  // "TLSv1.3"
  // True when the handshake resumed an earlier session from a ticket (context.h): no
  // certificates were exchanged; peerId() is the identity verified when it was issued.
  bool resumed() const;
  // SHA-256 of the peer's leaf certificate (DER), lowercase hex: the Hash of Istio's
  // X-Forwarded-Client-Cert. Empty if the peer sent none (a verified session always has
  // one).
  std::string peerCertificateSha256() const;

  asio::ip::tcp::socket& socket();
  // OpenSSL's connection, for the kernel TLS hand-off (cipher, secrets via the key log
  // hook). Its BIO is this library's socket BIO (agent/tls/socket_bio.h); whoever calls
  // SSL_read/SSL_write on it must be the session's only user.
  SSL* nativeHandle() const;

  // True when every byte the peer sent so far up to the end of the last record OpenSSL
  // read has been consumed by OpenSSL and nothing is buffered inside it: the socket's
  // receive queue starts at a record boundary, as the kernel TLS hand-off needs.
  bool atRecordBoundary() const;

  // The record sequence number the direction continues at under its first application
  // traffic key (record_sequence.h). nullopt unless the context allows a kernel TLS
  // hand-off (only then is it tracked), and after a KeyUpdate.
  std::optional<std::uint64_t> nextRecordSequence(RecordDirection direction) const;

  // For relay strategies inside this library.
  detail::SessionState& state() { return *state_; }

 private:
  std::unique_ptr<detail::SessionState> state_;
};

}  // namespace ztls::tls
