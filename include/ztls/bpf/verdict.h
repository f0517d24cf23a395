// The kernel's capture verdicts as the agent exports them (metrics, ztlsctl).
#pragma once

#include <array>
#include <cstdint>

#include "ztls/bpf/abi.h"

namespace ztls::bpf {

// Indexed by ztls_verdict_reason; each a node-wide total since the counters
// map was first pinned (it survives agent restarts).
using VerdictCounters = std::array<std::uint64_t, ZTLS_VERDICT_REASON_COUNT>;

// Stable snake_case name ("inbound_steered"), usable as a metric label.
// "unknown" for values outside the enum.
const char* verdictReasonName(ztls_verdict_reason reason) noexcept;

}  // namespace ztls::bpf
