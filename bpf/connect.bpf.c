/* Attached once to the node's pod cgroup subtree. */
#include "lib/outbound.h"

SEC("cgroup/connect4")
int ztls_outbound_connect4(struct bpf_sock_addr* ctx) { return ztls_connect4(ctx); }

SEC("cgroup/connect6")
int ztls_outbound_connect6(struct bpf_sock_addr* ctx) { return ztls_connect6(ctx); }
