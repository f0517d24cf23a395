/* Original destination hand-over: the connect hook only knows the client
 * socket's cookie, the agent only knows the peer address of the connection
 * it accepted. Once the client socket is established its local address and
 * port are fixed, so sockops re-keys the entry by them plus the namespace
 * (127.0.0.1 exists in every pod).
 *
 * Ordering: ACTIVE_ESTABLISHED_CB runs when the client processes the
 * SYN-ACK, before it sends the ACK that puts the connection in the agent's
 * accept queue, so the entry is always there when the agent accepts. */
#ifndef ZTLS_BPF_LIB_ORIGDST_H
#define ZTLS_BPF_LIB_ORIGDST_H

#include "lib/addr.h"
#include "lib/verdict.h"

/* sockops quirks: local_port is in host order, remote_port is in network
 * order in the upper 16 bits. */
static __always_inline __u16 ztls_remote_port(const struct bpf_sock_ops* skops) {
  return (__u16)bpf_ntohl(skops->remote_port);
}

static __always_inline void ztls_flow_local(const struct bpf_sock_ops* skops,
                                            struct ztls_flow_key* key) {
  key->port = bpf_htons((__u16)skops->local_port);
  if (skops->family == ZTLS_AF_INET) {
    key->family = ZTLS_AF_INET;
    key->ip[0] = skops->local_ip4;
    return;
  }
  __u32 ip[4];
  ZTLS_CTX_IP6(ip, skops, local_ip6);
  if (ztls_is_v4mapped(ip)) {
    key->family = ZTLS_AF_INET;
    key->ip[0] = ip[3];
    return;
  }
  key->family = ZTLS_AF_INET6;
  ztls_copy_ip6(key->ip, ip);
}

/* Only redirected sockets need the close notification that frees a parked
 * entry whose connect failed (agent not listening). */
static __always_inline void ztls_origdst_on_connect(struct bpf_sock_ops* skops) {
  __u64 cookie = bpf_get_socket_cookie(skops);
  if (!bpf_map_lookup_elem(&orig_dst_by_cookie, &cookie)) return;
  bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
}

static __always_inline void ztls_origdst_on_close(struct bpf_sock_ops* skops) {
  if (skops->args[1] != BPF_TCP_CLOSE) return;
  __u64 cookie = bpf_get_socket_cookie(skops);
  bpf_map_delete_elem(&orig_dst_by_cookie, &cookie);
}

/* A connection to the outbound port on loopback from an enrolled namespace
 * that has no parked entry was redirected but lost its destination (LRU
 * eviction under pressure); the agent will have to refuse it. */
static __always_inline int ztls_looks_redirected(struct bpf_sock_ops* skops, __u64 netns) {
  const struct ztls_enrollment* enrollment = bpf_map_lookup_elem(&enrolled_netns, &netns);
  if (!enrollment || ztls_remote_port(skops) != enrollment->outbound_port) return 0;
  if (skops->family == ZTLS_AF_INET) return skops->remote_ip4 == ZTLS_LOOPBACK4_BE;
  __u32 ip[4];
  ZTLS_CTX_IP6(ip, skops, remote_ip6);
  return ztls_is_loopback6(ip) || (ztls_is_v4mapped(ip) && ip[3] == ZTLS_LOOPBACK4_BE);
}

static __always_inline void ztls_origdst_on_established(struct bpf_sock_ops* skops) {
  __u64 cookie = bpf_get_socket_cookie(skops);
  __u64 netns = bpf_get_netns_cookie(skops);
  const struct ztls_addr* parked = bpf_map_lookup_elem(&orig_dst_by_cookie, &cookie);
  if (!parked) {
    if (ztls_looks_redirected(skops, netns)) ztls_count(ZTLS_ORIGDST_MISSING);
    return;
  }
  struct ztls_addr original = *parked;
  struct ztls_flow_key key = {.netns_cookie = netns};
  ztls_flow_local(skops, &key);
  if (bpf_map_update_elem(&orig_dst_by_flow, &key, &original, BPF_ANY))
    ztls_count(ZTLS_ORIGDST_MISSING);
  else
    ztls_count(ZTLS_ORIGDST_RECORDED);
  bpf_map_delete_elem(&orig_dst_by_cookie, &cookie);
  bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags & ~BPF_SOCK_OPS_STATE_CB_FLAG);
}

static __always_inline void ztls_origdst(struct bpf_sock_ops* skops) {
  switch (skops->op) {
    case BPF_SOCK_OPS_TCP_CONNECT_CB:
      ztls_origdst_on_connect(skops);
      break;
    case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
      ztls_origdst_on_established(skops);
      break;
    case BPF_SOCK_OPS_STATE_CB:
      ztls_origdst_on_close(skops);
      break;
    default:
      break;
  }
}

#endif /* ZTLS_BPF_LIB_ORIGDST_H */
