// Kernel TLS on whatever kernel runs the tests: the probe tells the truth, the hand-off
// choice follows its facts, and a refused hand-off leaves a session that still works.
// What only a kTLS kernel can show lives in tests/vm.
#include "ztls/tls/kernel_tls.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "mesh_fixture.h"
#include "mesh_path.h"

namespace ztls::tls::test {
namespace {

bool kernelListsTlsUlp() {
  std::ifstream file("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string word;
  while (file >> word) {
    if (word == "tls") return true;
  }
  return false;
}

TEST(KernelTlsProbe, AgreesWithTheKernelsUlpList) {
  const KernelTlsSupport support = probeKernelTls();
  if (kernelListsTlsUlp()) {
    EXPECT_TRUE(support.available()) << support.problem;
    EXPECT_TRUE(support.supports(MeshCipher::kAes128GcmSha256)) << support.problem;
    EXPECT_TRUE(support.supports(MeshCipher::kAes256GcmSha384)) << support.problem;
  } else {
    // Without modules the ULP cannot appear on demand either.
    EXPECT_FALSE(support.available());
    EXPECT_NE(support.problem.find("no TLS ULP"), std::string::npos) << support.problem;
  }
}

KernelTlsSupport allCiphers() {
  return {.ciphers = {kMeshCiphers.begin(), kMeshCiphers.end()}, .problem = {}};
}

HandoffFacts goodFacts() {
  return {.cipher = MeshCipher::kAes128GcmSha256,
          .secretsCaptured = true,
          .sequencesKnown = true,
          .atRecordBoundary = true};
}

TEST(PlanHandoff, FallsBackForEachMissingFact) {
  struct Case {
    const char* what;
    KernelTlsSupport support;
    HandoffFacts facts;
    HandoffRefusal expected;
  };
  KernelTlsSupport aesOnly{.ciphers = {MeshCipher::kAes128GcmSha256}, .problem = "no chacha"};
  HandoffFacts chacha = goodFacts();
  chacha.cipher = MeshCipher::kChacha20Poly1305Sha256;
  HandoffFacts unknownCipher = goodFacts();
  unknownCipher.cipher.reset();
  HandoffFacts noSecrets = goodFacts();
  noSecrets.secretsCaptured = false;
  HandoffFacts noSequence = goodFacts();
  noSequence.sequencesKnown = false;
  HandoffFacts buffered = goodFacts();
  buffered.atRecordBoundary = false;
  const Case cases[] = {
      {"everything in place", allCiphers(), goodFacts(), HandoffRefusal::kNone},
      {"no kernel TLS", KernelTlsSupport{}, goodFacts(), HandoffRefusal::kKernelUnsupported},
      {"cipher the kernel lacks", aesOnly, chacha, HandoffRefusal::kCipherUnsupported},
      {"cipher the kernel has", aesOnly, goodFacts(), HandoffRefusal::kNone},
      {"not a mesh cipher", allCiphers(), unknownCipher, HandoffRefusal::kCipherUnsupported},
      {"secrets not captured", allCiphers(), noSecrets, HandoffRefusal::kSecretsNotCaptured},
      {"sequence unknown", allCiphers(), noSequence, HandoffRefusal::kSequenceUnknown},
      {"bytes buffered", allCiphers(), buffered, HandoffRefusal::kBufferedInUserspace},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(planHandoff(c.support, c.facts), c.expected)
        << c.what << ": got " << toString(planHandoff(c.support, c.facts));
  }
}

TEST(PlanHandoff, EveryRefusalHasItsOwnMetricName) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kHandoffRefusalCount; ++i) {
    const std::string_view name = reasonName(static_cast<HandoffRefusal>(i));
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos)
        << name;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

class Handoff : public MeshTest {};

TEST_F(Handoff, RefusedWithoutKernelSupportGivesTheSessionBackIntact) {
  auto [server, client] = handshake(serverContext({.kernelTlsHandoff = true}),
                                    clientContext({.kernelTlsHandoff = true}));
  ASSERT_TRUE(server.ok() && client.ok()) << describe(server) << " / " << describe(client);
  HandoffResult result = handOffToKernel(std::move(*client.session), KernelTlsSupport{});
  EXPECT_EQ(result.refusal, HandoffRefusal::kKernelUnsupported);
  EXPECT_FALSE(result.kernel.has_value());
  ASSERT_TRUE(result.session.has_value());
  EXPECT_TRUE(result.session->socket().is_open());
  EXPECT_EQ(result.session->peerId(), kServerId);
}

TEST_F(Handoff, RefusedWhenTheContextDidNotCaptureSecrets) {
  auto [server, client] = handshake(serverContext(), clientContext());
  ASSERT_TRUE(server.ok() && client.ok());
  // Even a kernel that offered everything gets nothing without the secrets.
  HandoffResult result = handOffToKernel(std::move(*server.session), allCiphers());
  EXPECT_EQ(result.refusal, HandoffRefusal::kSecretsNotCaptured);
  ASSERT_TRUE(result.session.has_value());
}

TEST_F(Handoff, AFallenBackPathStillRelaysInUserspace) {
  MeshPathOptions options;
  options.clientKernel = KernelTlsSupport{};
  options.serverKernel = KernelTlsSupport{};
  MeshPath path(serverContext({.kernelTlsHandoff = true}),
                clientContext({.kernelTlsHandoff = true}), kServerId, std::move(options));
  const std::string request = "ping over the fallback";
  proxy::test::sendAll(path.appClient().get(), std::as_bytes(std::span(request)));
  ::shutdown(path.appClient().get(), SHUT_WR);
  std::string received(request.size(), '\0');
  ASSERT_EQ(::recv(path.appServer().get(), received.data(), received.size(), MSG_WAITALL),
            static_cast<ssize_t>(request.size()));
  EXPECT_EQ(received, request);
  ::close(path.appServer().release());
  EXPECT_EQ(path.clientRelay().end, proxy::RelayEnd::kClosed);
  EXPECT_EQ(path.serverRelay().end, proxy::RelayEnd::kClosed);
  EXPECT_EQ(path.clientHandoff(), HandoffRefusal::kKernelUnsupported);
  EXPECT_EQ(path.serverHandoff(), HandoffRefusal::kKernelUnsupported);
}

}  // namespace
}  // namespace ztls::tls::test
