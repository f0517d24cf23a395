// How relays start and end a connection, name the ending and count it; shared by every
// relay strategy and by the forwarder, so that "reset" means the same RST everywhere.
#pragma once

#include <system_error>

#include "ztls/proxy/asio.h"
#include "ztls/proxy/relay.h"

namespace ztls::proxy {

// operation_aborted → kCancelled; connection_reset, broken_pipe → kReset; else kError.
RelayEnd classifyEnd(const std::error_code& error);

// Closes with an RST (SO_LINGER {1, 0}, then an explicit close). The option is set on the
// descriptor directly: Asio switches a linger option it knows about off again when a
// socket is destroyed. No-op on a closed socket; never throws.
void resetAndClose(asio::ip::tcp::socket& socket);

// Counter bookkeeping around one relay: opened/active at the start; closed/active and
// the kind of ending (resets, errors, cancelled) at the end.
void countRelayStart(RelayCounters& counters);
void countRelayEnd(RelayCounters& counters, RelayEnd end);

}  // namespace ztls::proxy
