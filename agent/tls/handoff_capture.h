// What the kernel TLS hand-off needs from a handshake and cannot ask OpenSSL for
// afterwards: the first application traffic secrets (from the key log callback) and each
// direction's record sequence number (from the message callback). Reachable from the SSL*
// (ex_data) because OpenSSL callbacks get nothing else.
#pragma once

#include <openssl/types.h>

#include <string_view>

#include "ztls/tls/record_sequence.h"
#include "ztls/tls/traffic_keys.h"

namespace ztls::tls::detail {

struct HandoffCapture {
  SecretBytes clientSecret;  // CLIENT_TRAFFIC_SECRET_0
  SecretBytes serverSecret;  // SERVER_TRAFFIC_SECRET_0
  RecordSequence sequence;

  // Returns false when OpenSSL cannot store the pointer.
  bool attachTo(SSL* ssl);
  static HandoffCapture* of(const SSL* ssl);

  // One NSS key log line ("<label> <client random hex> <secret hex>"); keeps the two
  // application traffic secrets, ignores every other label and anything malformed.
  void keylogLine(std::string_view line);
  void wipe();
};

}  // namespace ztls::tls::detail
