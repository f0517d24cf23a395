/* Attached per enrolled pod network namespace. */
#include "lib/inbound.h"

SEC("sk_lookup")
int ztls_inbound_lookup(struct bpf_sk_lookup* ctx) { return ztls_inbound(ctx); }
