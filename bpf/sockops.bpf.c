/* Attached next to the connect hooks, on the same cgroup. */
#include "lib/origdst.h"

/* The license lives in this one entry file: the linked object must carry
 * exactly one. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("sockops")
int ztls_sockops(struct bpf_sock_ops* skops) {
  ztls_origdst(skops);
  return 1;
}
