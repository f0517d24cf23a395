#include "ztls/bpf/verdict.h"

namespace ztls::bpf {

const char* verdictReasonName(ztls_verdict_reason reason) noexcept {
  // No default: a new reason in abi.h must get a name here (-Wswitch).
  switch (reason) {
    case ZTLS_INBOUND_STEERED:
      return "inbound_steered";
    case ZTLS_INBOUND_NO_LISTENER:
      return "inbound_no_listener";
    case ZTLS_INBOUND_SELF:
      return "inbound_self";
    case ZTLS_INBOUND_LOOPBACK:
      return "inbound_loopback";
    case ZTLS_INBOUND_ASSIGN_FAILED:
      return "inbound_assign_failed";
    case ZTLS_INBOUND_NOT_TCP:
      return "inbound_not_tcp";
    case ZTLS_OUTBOUND_REDIRECTED:
      return "outbound_redirected";
    case ZTLS_OUTBOUND_NOT_ENROLLED:
      return "outbound_not_enrolled";
    case ZTLS_OUTBOUND_LOOPBACK:
      return "outbound_loopback";
    case ZTLS_OUTBOUND_NOT_TCP:
      return "outbound_not_tcp";
    case ZTLS_OUTBOUND_STATE_FULL:
      return "outbound_state_full";
    case ZTLS_ORIGDST_RECORDED:
      return "origdst_recorded";
    case ZTLS_ORIGDST_MISSING:
      return "origdst_missing";
    case ZTLS_VERDICT_REASON_COUNT:
      break;
  }
  return "unknown";
}

}  // namespace ztls::bpf
