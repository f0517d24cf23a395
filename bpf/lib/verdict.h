#ifndef ZTLS_BPF_LIB_VERDICT_H
#define ZTLS_BPF_LIB_VERDICT_H

#include "lib/maps.h"

/* Atomic although the slot is per CPU: cgroup hooks run preemptible (only
 * migration is disabled), so two tasks on one CPU can interleave. */
static __always_inline void ztls_count(enum ztls_verdict_reason reason) {
  __u32 key = reason;
  __u64* slot = bpf_map_lookup_elem(&verdict_counters, &key);
  if (slot) __sync_fetch_and_add(slot, 1);
}

static __always_inline int ztls_verdict(enum ztls_verdict_reason reason, int action) {
  ztls_count(reason);
  return action;
}

#endif /* ZTLS_BPF_LIB_VERDICT_H */
