// Tells mesh mutual TLS from everything else on a freshly accepted inbound connection
// by peeking (never consuming) its first bytes, so that whatever it is can still be
// relayed untouched or handed to the TLS handshake.
#pragma once

#include <chrono>

#include "ztls/proxy/asio.h"
#include "ztls/tls/sniff.h"

namespace ztls::daemon {

struct SniffOutcome {
  // kNeedMore when time ran out before a decision.
  tls::SniffKind kind = tls::SniffKind::kNeedMore;
  bool anyBytes = false;  // false: the client stayed silent (server-speaks-first protocols)
  // The client ended its side (FIN or reset) before its bytes could be classified; they
  // count as plaintext.
  bool clientFinished = false;
};

// Waits up to `firstBytes` for the first byte, then up to `total` overall for enough
// bytes to decide. Never throws, never consumes.
asio::awaitable<SniffOutcome> sniffInbound(asio::ip::tcp::socket& socket,
                                           std::chrono::milliseconds firstBytes,
                                           std::chrono::milliseconds total);

}  // namespace ztls::daemon
