// The sk_lookup program alone, through BPF_PROG_TEST_RUN: one row per
// verdict. The skeleton is loaded without pins, so nothing here touches the
// node's state; bpf_sk_assign works under test_run and reports the chosen
// socket's cookie back in ctx_out.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <vector>

#include "capture.skel.h"
#include "scratch.h"
#include "sockets.h"
#include "ztls/bpf/address.h"
#include "ztls/bpf/verdict.h"

namespace ztls::bpf::test {
namespace {

enum class InMap { Nothing, TcpListener, UdpSocket };

struct LookupCase {
  const char* name;
  int protocol;
  const char* source;
  const char* destination;
  InMap inMap;  // what inbound_listeners holds for the destination
  int action;   // SK_PASS or SK_DROP
  ztls_verdict_reason reason;
};

void PrintTo(const LookupCase& c, std::ostream* out) { *out << c.name; }

struct SkeletonCloser {
  void operator()(ztls_capture* skeleton) const noexcept { ztls_capture__destroy(skeleton); }
};

class SkLookupTestRun : public ::testing::TestWithParam<LookupCase> {
 protected:
  void SetUp() override {
    const std::string missing = missingPrivileges();
    ASSERT_TRUE(missing.empty()) << missing;
    skeleton_.reset(ztls_capture__open_and_load());
    ASSERT_TRUE(skeleton_) << "loading the capture programs: " << std::strerror(errno);
  }

  VerdictCounters counters() const {
    const int cpus = libbpf_num_possible_cpus();
    std::vector<__u64> perCpu(static_cast<std::size_t>(cpus));
    VerdictCounters totals{};
    for (__u32 reason = 0; reason < totals.size(); ++reason) {
      if (bpf_map_lookup_elem(bpf_map__fd(skeleton_->maps.verdict_counters), &reason,
                              perCpu.data()) != 0)
        ADD_FAILURE() << "reading verdict_counters: " << std::strerror(errno);
      for (__u64 count : perCpu) totals[reason] += count;
    }
    return totals;
  }

  std::unique_ptr<ztls_capture, SkeletonCloser> skeleton_;
};

bpf_sk_lookup lookupContext(const LookupCase& c) {
  const sockaddr_storage source = socketAddress(c.source, 40000);
  const sockaddr_storage destination = socketAddress(c.destination, 80);
  bpf_sk_lookup ctx{};
  ctx.family = destination.ss_family;
  ctx.protocol = c.protocol;
  ctx.remote_port = htons(40000);
  ctx.local_port = 80;  // host order, unlike remote_port
  if (ctx.family == AF_INET) {
    ctx.remote_ip4 = reinterpret_cast<const sockaddr_in&>(source).sin_addr.s_addr;
    ctx.local_ip4 = reinterpret_cast<const sockaddr_in&>(destination).sin_addr.s_addr;
  } else {
    std::memcpy(ctx.remote_ip6, &reinterpret_cast<const sockaddr_in6&>(source).sin6_addr, 16);
    std::memcpy(ctx.local_ip6, &reinterpret_cast<const sockaddr_in6&>(destination).sin6_addr, 16);
  }
  return ctx;
}

// A socket of the destination's family, in this process's namespace.
UniqueFd socketFor(const LookupCase& c) {
  const int family = socketAddress(c.destination, 0).ss_family;
  const char* any = family == AF_INET ? "127.0.0.1" : "::1";
  if (c.inMap == InMap::TcpListener) return listenOn(socketAddress(any, 0));
  UniqueFd udp(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const sockaddr_storage address = socketAddress(any, 0);
  const socklen_t length = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (!udp || ::bind(udp.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0)
    throw std::runtime_error("binding a UDP socket");
  return udp;
}

TEST_P(SkLookupTestRun, VerdictAndCounter) {
  const LookupCase& c = GetParam();
  UniqueFd socket;
  if (c.inMap != InMap::Nothing) {
    socket = socketFor(c);
    const ztls_inbound_key key = *inboundKeyOf(socketAddress(c.destination, 0));
    const __u64 value = static_cast<__u64>(socket.get());
    ASSERT_EQ(
        bpf_map_update_elem(bpf_map__fd(skeleton_->maps.inbound_listeners), &key, &value, BPF_ANY),
        0)
        << std::strerror(errno);
  }
  const VerdictCounters before = counters();

  bpf_sk_lookup ctx = lookupContext(c);
  bpf_sk_lookup out{};
  bpf_test_run_opts run{};
  run.sz = sizeof(run);
  run.ctx_in = &ctx;
  run.ctx_size_in = sizeof(ctx);
  run.ctx_out = &out;
  run.ctx_size_out = sizeof(out);
  ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(skeleton_->progs.ztls_inbound_lookup), &run), 0)
      << "BPF_PROG_TEST_RUN: " << std::strerror(errno);

  EXPECT_EQ(static_cast<int>(run.retval), c.action);
  const VerdictCounters after = counters();
  for (std::size_t reason = 0; reason < after.size(); ++reason)
    EXPECT_EQ(after[reason] - before[reason], reason == c.reason ? 1u : 0u)
        << verdictReasonName(static_cast<ztls_verdict_reason>(reason));
  if (c.reason == ZTLS_INBOUND_STEERED)
    EXPECT_EQ(out.cookie, socketCookieOf(socket.get())) << "another socket was selected";
  else
    EXPECT_EQ(out.cookie, 0u) << "a socket was selected";
}

constexpr int kTcp = IPPROTO_TCP;
constexpr int kUdp = IPPROTO_UDP;

INSTANTIATE_TEST_SUITE_P(
    Verdicts, SkLookupTestRun,
    ::testing::Values(LookupCase{"Ipv4LoopbackPasses", kTcp, "10.0.0.9", "127.0.0.1",
                                 InMap::TcpListener, SK_PASS, ZTLS_INBOUND_LOOPBACK},
                      LookupCase{"Ipv4WholeLoopbackNetPasses", kTcp, "127.0.0.1", "127.8.9.10",
                                 InMap::Nothing, SK_PASS, ZTLS_INBOUND_LOOPBACK},
                      LookupCase{"Ipv4SelfPasses", kTcp, "10.0.0.5", "10.0.0.5", InMap::TcpListener,
                                 SK_PASS, ZTLS_INBOUND_SELF},
                      LookupCase{"Ipv4NoListenerDrops", kTcp, "10.0.0.9", "10.0.0.5",
                                 InMap::Nothing, SK_DROP, ZTLS_INBOUND_NO_LISTENER},
                      LookupCase{"Ipv4ListenerSteers", kTcp, "10.0.0.9", "10.0.0.5",
                                 InMap::TcpListener, SK_PASS, ZTLS_INBOUND_STEERED},
                      LookupCase{"Ipv4UdpPasses", kUdp, "10.0.0.9", "10.0.0.5", InMap::Nothing,
                                 SK_PASS, ZTLS_INBOUND_NOT_TCP},
                      LookupCase{"Ipv4UdpSocketInMapDrops", kTcp, "10.0.0.9", "10.0.0.5",
                                 InMap::UdpSocket, SK_DROP, ZTLS_INBOUND_ASSIGN_FAILED},
                      LookupCase{"Ipv6LoopbackPasses", kTcp, "fd00::9", "::1", InMap::TcpListener,
                                 SK_PASS, ZTLS_INBOUND_LOOPBACK},
                      LookupCase{"Ipv6SelfPasses", kTcp, "fd00::5", "fd00::5", InMap::TcpListener,
                                 SK_PASS, ZTLS_INBOUND_SELF},
                      LookupCase{"Ipv6NoListenerDrops", kTcp, "fd00::9", "fd00::5", InMap::Nothing,
                                 SK_DROP, ZTLS_INBOUND_NO_LISTENER},
                      LookupCase{"Ipv6ListenerSteers", kTcp, "fd00::9", "fd00::5",
                                 InMap::TcpListener, SK_PASS, ZTLS_INBOUND_STEERED},
                      LookupCase{"Ipv6UdpPasses", kUdp, "fd00::9", "fd00::5", InMap::Nothing,
                                 SK_PASS, ZTLS_INBOUND_NOT_TCP}),
    [](const auto& instance) { return std::string(instance.param.name); });

}  // namespace
}  // namespace ztls::bpf::test
