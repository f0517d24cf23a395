// The plain-TCP relay: copies bytes between a downstream (accepted) and an upstream
// (connected) socket until both directions have ended.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

#include "ztls/proxy/asio.h"
#include "ztls/proxy/counters.h"

namespace ztls::proxy {

enum class RelayEnd {
  kClosed,     // both directions reached EOF; everything read was written
  kReset,      // a peer reset the connection (ECONNRESET, EPIPE); the other one got a reset
  kError,      // another socket error; both peers got a reset
  kCancelled,  // the relay was cancelled by its owner; both peers got a reset
};

// Which party ended the relay, for every end but kClosed.
enum class Side { kDownstream, kUpstream, kRelay };

struct RelayResult {
  std::uint64_t bytesDownstreamToUpstream = 0;
  std::uint64_t bytesUpstreamToDownstream = 0;
  RelayEnd end = RelayEnd::kClosed;
  Side side = Side::kRelay;
  std::error_code error;  // what `side` reported; empty for kClosed
  std::chrono::steady_clock::duration duration{};
};

struct RelayOptions {
  // One buffer per direction. A direction reads again only after the previous chunk
  // was fully written, so a slow reader stalls its writer instead of growing memory.
  // Large sends cross the node's network stack as few large packets (GSO): against 64 KiB
  // this took the userspace TLS relay's iperf3 throughput up about 20% on the bench. Only
  // the pages data reaches become resident, so idle connections cost little of it.
  std::size_t bufferSize = std::size_t{256} * 1024;
};

std::string_view toString(RelayEnd end);
std::string_view toString(Side side);

// Relays until both directions end, then closes both sockets. EOF from one peer becomes
// shutdown(SHUT_WR) towards the other while the opposite direction keeps flowing; a reset
// or error on either side resets both (SO_LINGER {1, 0}, then close). Never throws.
//
// Both sockets must be used by one thread at a time: run the relay on a strand, or on an
// io_context that one thread runs (Listener gives each connection its own strand). Terminal
// cancellation (for example through co_spawn with a bound cancellation slot) resets both
// peers and ends with kCancelled.
asio::awaitable<RelayResult> relay(asio::ip::tcp::socket downstream, asio::ip::tcp::socket upstream,
                                   RelayCounters& counters, RelayOptions options = {});

}  // namespace ztls::proxy
