// Why a handshake failed, from everything that knows something about it.
#pragma once

#include "session_state.h"
#include "ztls/tls/errors.h"

namespace ztls::tls::detail {

// After SSL_do_handshake failed with `sslError` (not WANT_*): in order of precision, our
// callbacks' rejection, the certificate verification result, the socket (errno, EOF),
// then OpenSSL's error queue. Clears the queue.
HandshakeError classifyHandshakeFailure(SessionState& state, int sslError);

// The handshake completed: the checks the callbacks made, made again on the final state so
// that no path around a callback (or a future OpenSSL change) lets a peer through
// unverified. Empty kind when everything holds; fills state.checks.peerId.
HandshakeError confirmPeer(SessionState& state);

HandshakeError waitFailure(const std::error_code& error);

}  // namespace ztls::tls::detail
