// The maps pinned on a node outlive the agent binary that created them:
// any change to these layouts must be deliberate (and comes with a new pin
// directory or a migration), so it has to break the build first.
#include <netinet/in.h>
#include <sys/socket.h>

#include <bit>
#include <cstddef>

#include "ztls/bpf/abi.h"

namespace {

static_assert(ZTLS_AF_INET == AF_INET && ZTLS_AF_INET6 == AF_INET6);
// ZTLS_LOOPBACK4_BE is spelled for a little-endian host.
static_assert(std::endian::native == std::endian::little);
static_assert(ZTLS_LOOPBACK4_BE == 0x0100007fU);

static_assert(sizeof(ztls_addr) == 24);
static_assert(offsetof(ztls_addr, family) == 0);
static_assert(offsetof(ztls_addr, ip) == 4);
static_assert(offsetof(ztls_addr, port) == 20);
static_assert(offsetof(ztls_addr, pad) == 22);

static_assert(sizeof(ztls_enrollment) == 8);
static_assert(offsetof(ztls_enrollment, flags) == 0);
static_assert(offsetof(ztls_enrollment, outbound_port) == 4);

static_assert(sizeof(ztls_inbound_key) == 20);
static_assert(offsetof(ztls_inbound_key, family) == 0);
static_assert(offsetof(ztls_inbound_key, ip) == 4);

// A hash key must not have implicit padding: its bytes are the key.
static_assert(sizeof(ztls_flow_key) == 32);
static_assert(offsetof(ztls_flow_key, netns_cookie) == 0);
static_assert(offsetof(ztls_flow_key, family) == 8);
static_assert(offsetof(ztls_flow_key, ip) == 12);
static_assert(offsetof(ztls_flow_key, port) == 28);
static_assert(offsetof(ztls_flow_key, pad) == 30);

static_assert(ZTLS_VERDICT_REASON_COUNT == 13);

}  // namespace
