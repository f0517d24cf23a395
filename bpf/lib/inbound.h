/* Inbound capture: sk_lookup runs in the pod's network namespace before the
 * kernel looks for a listener, so it can hand a SYN for any port of a pod
 * address to the agent's listener while getsockname() on the accepted
 * socket still reports the original destination. */
#ifndef ZTLS_BPF_LIB_INBOUND_H
#define ZTLS_BPF_LIB_INBOUND_H

#include "lib/addr.h"
#include "lib/verdict.h"

/* Fills key with the destination; returns the verdict when the connection
 * is not to be captured, or -1 to continue. */
static __always_inline int ztls_inbound_bypass(const struct bpf_sk_lookup* ctx,
                                               struct ztls_inbound_key* key) {
  key->family = ctx->family;
  if (ctx->family == ZTLS_AF_INET) {
    key->ip[0] = ctx->local_ip4;
    if (ztls_is_loopback4(key->ip[0])) return ztls_verdict(ZTLS_INBOUND_LOOPBACK, SK_PASS);
    /* The agent's upstream socket to the app is opened inside the pod with
     * the pod's own address as source. */
    if (ctx->remote_ip4 == key->ip[0]) return ztls_verdict(ZTLS_INBOUND_SELF, SK_PASS);
    return -1;
  }
  if (ctx->family != ZTLS_AF_INET6) return ztls_verdict(ZTLS_INBOUND_NOT_TCP, SK_PASS);
  __u32 source[4];
  ZTLS_CTX_IP6(key->ip, ctx, local_ip6);
  ZTLS_CTX_IP6(source, ctx, remote_ip6);
  if (ztls_is_loopback6(key->ip)) return ztls_verdict(ZTLS_INBOUND_LOOPBACK, SK_PASS);
  if (ztls_same_ip6(source, key->ip)) return ztls_verdict(ZTLS_INBOUND_SELF, SK_PASS);
  return -1;
}

static __always_inline int ztls_inbound(struct bpf_sk_lookup* ctx) {
  if (ctx->protocol != IPPROTO_TCP) return ztls_verdict(ZTLS_INBOUND_NOT_TCP, SK_PASS);

  struct ztls_inbound_key key = {};
  int bypass = ztls_inbound_bypass(ctx, &key);
  if (bypass >= 0) return bypass;

  /* Fail closed: no agent listener for an address of an enrolled pod means
   * the client gets a RST, never the app in clear text. */
  struct bpf_sock* listener = bpf_map_lookup_elem(&inbound_listeners, &key);
  if (!listener) return ztls_verdict(ZTLS_INBOUND_NO_LISTENER, SK_DROP);
  long err = bpf_sk_assign(ctx, listener, 0);
  bpf_sk_release(listener);
  if (err) return ztls_verdict(ZTLS_INBOUND_ASSIGN_FAILED, SK_DROP);
  return ztls_verdict(ZTLS_INBOUND_STEERED, SK_PASS);
}

#endif /* ZTLS_BPF_LIB_INBOUND_H */
