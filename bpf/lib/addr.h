/* Address tests on network-order words as the kernel hands them over. */
#ifndef ZTLS_BPF_LIB_ADDR_H
#define ZTLS_BPF_LIB_ADDR_H

#include "vmlinux.h"
/* libbpf's BPF-side headers use the kernel types: after vmlinux.h. */
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

static __always_inline int ztls_is_loopback4(__u32 ip) { return (bpf_ntohl(ip) >> 24) == 127; }

static __always_inline int ztls_is_loopback6(const __u32 ip[4]) {
  return ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == bpf_htonl(1);
}

/* ::ffff:a.b.c.d, which a dual-stack AF_INET6 socket uses to reach IPv4. */
static __always_inline int ztls_is_v4mapped(const __u32 ip[4]) {
  return ip[0] == 0 && ip[1] == 0 && ip[2] == bpf_htonl(0xffff);
}

/* Reads a 4-word address field of a program context. The verifier only
 * accepts context loads at a constant offset from the unmodified context
 * pointer, but clang likes to compute ctx+offsetof(field) once and index
 * from it ("dereference of modified ctx ptr"); barrier_var() makes the
 * pointer opaque between loads so each one stays ctx+constant. */
#define ZTLS_CTX_IP6(dst, ctx, field) \
  do {                                \
    (dst)[0] = (ctx)->field[0];       \
    barrier_var(ctx);                 \
    (dst)[1] = (ctx)->field[1];       \
    barrier_var(ctx);                 \
    (dst)[2] = (ctx)->field[2];       \
    barrier_var(ctx);                 \
    (dst)[3] = (ctx)->field[3];       \
  } while (0)

static __always_inline void ztls_copy_ip6(__u32 dst[4], const __u32 src[4]) {
  dst[0] = src[0];
  dst[1] = src[1];
  dst[2] = src[2];
  dst[3] = src[3];
}

static __always_inline int ztls_same_ip6(const __u32 a[4], const __u32 b[4]) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

#endif /* ZTLS_BPF_LIB_ADDR_H */
