/* The contract between the eBPF programs in bpf/ and the agent.
 *
 * This one header is compiled by clang for the BPF target and by the C++
 * agent; never copy these structs elsewhere. The agent static_asserts their
 * layout (agent/bpf/abi_layout.cc) so that a change here that breaks the
 * pinned maps of a running node fails the build instead of corrupting state.
 *
 * Byte order: addresses and ports are stored in network byte order exactly
 * as the kernel hands them to the programs, so neither side converts.
 */
#ifndef ZTLS_BPF_ABI_H
#define ZTLS_BPF_ABI_H

#ifdef __bpf__
/* vmlinux.h provides the kernel types for the BPF side. */
#else
#include <linux/types.h>
#endif

/* Both address families share one shape; IPv4 uses ip[0] only and leaves
 * ip[1..3] zero. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is always
 * stored as IPv4 so both sides agree on one key for one connection. */
#define ZTLS_AF_INET 2
#define ZTLS_AF_INET6 10

/* Where connect() of an enrolled pod is sent: the agent's outbound listener
 * on loopback inside that pod's own network namespace. */
#define ZTLS_OUTBOUND_PORT 15001
/* 127.0.0.1 in network byte order, as stored by the kernel on little endian. */
#define ZTLS_LOOPBACK4_BE 0x0100007fU

struct ztls_addr {
  __u32 family; /* ZTLS_AF_INET or ZTLS_AF_INET6 */
  __u32 ip[4];  /* network byte order */
  __u16 port;   /* network byte order */
  __u16 pad;
};

/* enrolled_netns: key = network-namespace cookie (__u64). Present means the
 * pod living in that namespace is captured; its outbound connects are
 * redirected when flags has ZTLS_ENROLL_OUTBOUND. (Inbound capture is the
 * sk_lookup link attached to the namespace, not this entry.) */
struct ztls_enrollment {
  __u32 flags; /* ZTLS_ENROLL_* */
  __u16 outbound_port; /* host byte order; ZTLS_OUTBOUND_PORT unless overridden */
  __u16 pad;
};
#define ZTLS_ENROLL_OUTBOUND 0x1U

/* inbound_listeners (SOCKHASH): key = a pod address, value = the agent's
 * inbound listener socket created inside that pod's namespace. A missing
 * entry for an address whose namespace has the sk_lookup program attached
 * means "agent not there": the connection is dropped (fail-closed). */
struct ztls_inbound_key {
  __u32 family;
  __u32 ip[4];
};

/* orig_dst_by_flow: key = the redirected client socket as the agent sees the
 * peer of an accepted outbound connection, plus the namespace it lives in
 * (127.0.0.1 exists in every pod, so the 4-tuple alone is ambiguous). */
struct ztls_flow_key {
  __u64 netns_cookie;
  __u32 family;
  __u32 ip[4]; /* client (local) address of the redirected socket */
  __u16 port;  /* client port, network byte order */
  __u16 pad;
};
/* Hash keys are compared bytewise: the struct must have no implicit padding
 * (40 bytes with 4 unnamed tail bytes would make lookups miss at random). */

/* One reason enum from the kernel to the agent's metrics: every verdict a
 * program takes is counted in verdict_counters (PERCPU_ARRAY, __u64 each). */
enum ztls_verdict_reason {
  ZTLS_INBOUND_STEERED = 0,        /* sk_lookup: handed to the agent's inbound listener */
  ZTLS_INBOUND_NO_LISTENER = 1,    /* sk_lookup: enrolled but no agent socket: dropped */
  ZTLS_INBOUND_SELF = 2,           /* sk_lookup: the pod connecting to itself (the agent's own upstream) */
  ZTLS_INBOUND_LOOPBACK = 3,       /* sk_lookup: destination on loopback: not captured */
  ZTLS_INBOUND_ASSIGN_FAILED = 4,  /* sk_lookup: bpf_sk_assign refused: dropped */
  ZTLS_OUTBOUND_REDIRECTED = 5,    /* connect4/6: sent to the outbound listener */
  ZTLS_OUTBOUND_NOT_ENROLLED = 6,  /* connect4/6: namespace not enrolled: untouched */
  ZTLS_OUTBOUND_LOOPBACK = 7,      /* connect4/6: loopback destination: untouched */
  ZTLS_OUTBOUND_NOT_TCP = 8,       /* connect4/6: not a TCP socket: untouched */
  ZTLS_OUTBOUND_STATE_FULL = 9,    /* connect4/6: could not record the original destination: refused */
  ZTLS_ORIGDST_RECORDED = 10,      /* sockops: original destination keyed by flow */
  ZTLS_ORIGDST_MISSING = 11,       /* sockops: established redirect without a recorded destination */
  ZTLS_INBOUND_NOT_TCP = 12,       /* sk_lookup: not TCP (UDP...): passed untouched */
  ZTLS_VERDICT_REASON_COUNT = 13,
};

#endif /* ZTLS_BPF_ABI_H */
