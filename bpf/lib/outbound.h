/* Outbound capture: the cgroup connect hooks run in the connecting task's
 * context before the route lookup, so rewriting the destination sends an
 * enrolled pod's connection to the agent's listener on loopback inside the
 * pod's own namespace. The original destination is parked under the socket
 * cookie until sockops can key it by the flow the agent will see. */
#ifndef ZTLS_BPF_LIB_OUTBOUND_H
#define ZTLS_BPF_LIB_OUTBOUND_H

#include "lib/addr.h"
#include "lib/verdict.h"

static __always_inline int ztls_is_tcp(const struct bpf_sock_addr* ctx) {
  /* MPTCP needs no case of its own: the hook sees its TCP subflow. */
  return ctx->type == SOCK_STREAM && ctx->protocol == IPPROTO_TCP;
}

static __always_inline const struct ztls_enrollment* ztls_outbound_enrollment(
    struct bpf_sock_addr* ctx) {
  __u64 netns = bpf_get_netns_cookie(ctx);
  const struct ztls_enrollment* enrollment = bpf_map_lookup_elem(&enrolled_netns, &netns);
  if (!enrollment || !(enrollment->flags & ZTLS_ENROLL_OUTBOUND)) return 0;
  return enrollment;
}

/* Returns the connect() verdict: 1 lets it proceed (rewritten or not), 0
 * refuses it with EPERM. Refusing is the only safe answer when the original
 * destination cannot be recorded: letting the connect through unrewritten
 * would be a bypass, rewriting it would leave the agent unable to forward. */
static __always_inline int ztls_outbound_park(struct bpf_sock_addr* ctx,
                                              const struct ztls_addr* original) {
  __u64 cookie = bpf_get_socket_cookie(ctx);
  if (bpf_map_update_elem(&orig_dst_by_cookie, &cookie, original, BPF_ANY)) {
    ztls_count(ZTLS_OUTBOUND_STATE_FULL);
    return 0;
  }
  ztls_count(ZTLS_OUTBOUND_REDIRECTED);
  return 1;
}

static __always_inline int ztls_connect4(struct bpf_sock_addr* ctx) {
  if (!ztls_is_tcp(ctx)) return ztls_verdict(ZTLS_OUTBOUND_NOT_TCP, 1);
  __u32 ip = ctx->user_ip4;
  if (ztls_is_loopback4(ip)) return ztls_verdict(ZTLS_OUTBOUND_LOOPBACK, 1);
  const struct ztls_enrollment* enrollment = ztls_outbound_enrollment(ctx);
  if (!enrollment) return ztls_verdict(ZTLS_OUTBOUND_NOT_ENROLLED, 1);
  __u16 port = enrollment->outbound_port;

  struct ztls_addr original = {.family = ZTLS_AF_INET, .port = (__u16)ctx->user_port};
  original.ip[0] = ip;
  if (!ztls_outbound_park(ctx, &original)) return 0;
  ctx->user_ip4 = ZTLS_LOOPBACK4_BE;
  ctx->user_port = bpf_htons(port);
  return 1;
}

static __always_inline int ztls_connect6(struct bpf_sock_addr* ctx) {
  if (!ztls_is_tcp(ctx)) return ztls_verdict(ZTLS_OUTBOUND_NOT_TCP, 1);
  __u32 ip[4];
  ZTLS_CTX_IP6(ip, ctx, user_ip6);
  int mapped = ztls_is_v4mapped(ip);
  if (ztls_is_loopback6(ip) || (mapped && ztls_is_loopback4(ip[3])))
    return ztls_verdict(ZTLS_OUTBOUND_LOOPBACK, 1);
  const struct ztls_enrollment* enrollment = ztls_outbound_enrollment(ctx);
  if (!enrollment) return ztls_verdict(ZTLS_OUTBOUND_NOT_ENROLLED, 1);
  __u16 port = enrollment->outbound_port;

  struct ztls_addr original = {.port = (__u16)ctx->user_port};
  if (mapped) {
    /* A dual-stack socket reaching IPv4: the connection is IPv4 on the wire
     * and the agent's IPv4 listener receives it, so record and key it as
     * IPv4 (::ffff:127.0.0.1 reaches 127.0.0.1). */
    original.family = ZTLS_AF_INET;
    original.ip[0] = ip[3];
  } else {
    original.family = ZTLS_AF_INET6;
    ztls_copy_ip6(original.ip, ip);
  }
  if (!ztls_outbound_park(ctx, &original)) return 0;
  if (mapped) {
    ctx->user_ip6[3] = ZTLS_LOOPBACK4_BE;
  } else {
    ctx->user_ip6[0] = 0;
    ctx->user_ip6[1] = 0;
    ctx->user_ip6[2] = 0;
    ctx->user_ip6[3] = bpf_htonl(1);
  }
  ctx->user_port = bpf_htons(port);
  return 1;
}

#endif /* ZTLS_BPF_LIB_OUTBOUND_H */
