#include "ztls/proxy/counters.h"

namespace ztls::proxy {

RelayCountersSnapshot RelayCounters::snapshot() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  RelayCountersSnapshot s;
  s.connectionsOpened = connectionsOpened.load(kRelaxed);
  s.connectionsClosed = connectionsClosed.load(kRelaxed);
  s.connectionsActive = connectionsActive.load(kRelaxed);
  s.bytesDownstreamToUpstream = bytesDownstreamToUpstream.load(kRelaxed);
  s.bytesUpstreamToDownstream = bytesUpstreamToDownstream.load(kRelaxed);
  s.resets = resets.load(kRelaxed);
  s.errors = errors.load(kRelaxed);
  s.cancelled = cancelled.load(kRelaxed);
  s.acceptErrors = acceptErrors.load(kRelaxed);
  s.handlerErrors = handlerErrors.load(kRelaxed);
  s.connectFailures = connectFailures.load(kRelaxed);
  s.connectTimeouts = connectTimeouts.load(kRelaxed);
  return s;
}

}  // namespace ztls::proxy
