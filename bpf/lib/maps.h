/* The state shared by every capture program and the agent.
 *
 * Each entry file includes this header, so each object carries its own copy
 * of every definition; they are weak so that `bpftool gen object` merges the
 * copies into one map per name when it links the entry files into the single
 * object the agent loads. The agent pins these maps by name: renaming one or
 * changing its key/value type makes a restarted agent refuse the pinned map
 * of the running node instead of silently starting empty.
 */
#ifndef ZTLS_BPF_LIB_MAPS_H
#define ZTLS_BPF_LIB_MAPS_H

#include "vmlinux.h"
/* libbpf's BPF-side headers and abi.h use the kernel types: after vmlinux.h. */
#include <bpf/bpf_helpers.h>
#include <ztls/bpf/abi.h>

/* Pods per node are far fewer; the rest is headroom for addresses per pod. */
#define ZTLS_MAX_ENROLLED_NETNS 4096
#define ZTLS_MAX_INBOUND_ADDRESSES 8192
/* In-flight and not-yet-accepted redirected connections, node wide. */
#define ZTLS_MAX_PENDING_CONNECTS 65536
#define ZTLS_MAX_PENDING_FLOWS 65536

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, ZTLS_MAX_ENROLLED_NETNS);
  __type(key, __u64); /* network-namespace cookie */
  __type(value, struct ztls_enrollment);
} enrolled_netns SEC(".maps") __weak;

/* A listener leaves this map by itself when the agent closes it, which is
 * what makes an agent crash fail closed. The value is the socket's fd on
 * update and its cookie on lookup from userspace. */
struct {
  __uint(type, BPF_MAP_TYPE_SOCKHASH);
  __uint(max_entries, ZTLS_MAX_INBOUND_ADDRESSES);
  __type(key, struct ztls_inbound_key);
  __type(value, __u64);
} inbound_listeners SEC(".maps") __weak;

/* LRU rather than HASH: a connect that fails before TCP_CONNECT_CB leaves
 * its entry behind, and a full HASH would then refuse every redirect of the
 * node for good (the map outlives the agent). Evicting the oldest pending
 * entry instead costs at worst one ZTLS_ORIGDST_MISSING connection. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, ZTLS_MAX_PENDING_CONNECTS);
  __type(key, __u64); /* socket cookie of the client socket */
  __type(value, struct ztls_addr);
} orig_dst_by_cookie SEC(".maps") __weak;

/* Taken (lookup + delete) by the agent when it accepts; entries of flows
 * it never accepts age out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, ZTLS_MAX_PENDING_FLOWS);
  __type(key, struct ztls_flow_key);
  __type(value, struct ztls_addr);
} orig_dst_by_flow SEC(".maps") __weak;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, ZTLS_VERDICT_REASON_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} verdict_counters SEC(".maps") __weak;

#endif /* ZTLS_BPF_LIB_MAPS_H */
