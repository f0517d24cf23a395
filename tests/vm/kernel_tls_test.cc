// Kernel TLS on a kernel that has it (Debian's 6.1 under scripts/vmtest): hand-offs in both
// roles with every mesh cipher, interoperating with OpenSSL in userspace, byte-exact bulk
// transfers, sequence numbers after userspace records, and the records that are not
// application data. On a kernel without kTLS every test fails and says so.
#include "ztls/tls/kernel_tls.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <string>
#include <thread>

#include "exchange.h"
#include "kernel_support.h"
#include "mesh_fixture.h"
#include "mesh_path.h"
#include "pattern.h"
#include "session_io.h"

namespace ztls::tls::test {
namespace {

using proxy::RelayEnd;

ContextOptions handoff() { return {.kernelTlsHandoff = true}; }

std::shared_ptr<const ClientContext> restrictTo(std::shared_ptr<const ClientContext> client,
                                                MeshCipher cipher) {
  const std::string name(toString(cipher));
  if (SSL_CTX_set_ciphersuites(client->native(), name.c_str()) != 1) {
    throw std::runtime_error("cannot restrict the client to " + name);
  }
  return client;
}

struct Variant {
  MeshCipher cipher;
  KernelRelayMode mode;
  bool clientInKernel;
  bool serverInKernel;
};

std::string nameOf(const Variant& v) {
  std::string name(toString(v.cipher));
  std::erase(name, '_');
  name += v.mode == KernelRelayMode::kSplice ? "_splice" : "_copy";
  name += v.clientInKernel ? "_kclient" : "_uclient";
  name += v.serverInKernel ? "_kserver" : "_userver";
  return name;
}

class KernelPaths : public MeshTest, public ::testing::WithParamInterface<Variant> {};

TEST_P(KernelPaths, CarryBothDirectionsExactlyAndCloseCleanly) {
  ASSERT_KERNEL_TLS();
  const Variant v = GetParam();
  ASSERT_TRUE(kernel().supports(v.cipher)) << kernel().problem;
  MeshPathOptions options;
  if (v.clientInKernel) options.clientKernel = kernel();
  if (v.serverInKernel) options.serverKernel = kernel();
  options.kernelMode = v.mode;
  MeshPath path(serverContext(handoff()), restrictTo(clientContext(handoff()), v.cipher), kServerId,
                std::move(options));
  constexpr std::uint64_t kBytes = 8 << 20;
  expectExact(exchange(path.appClient().get(), path.appServer().get(), kBytes), kBytes);
  const auto client = path.clientRelay();
  const auto server = path.serverRelay();
  EXPECT_EQ(client.end, RelayEnd::kClosed) << client.error.message();
  EXPECT_EQ(server.end, RelayEnd::kClosed) << server.error.message();
  EXPECT_EQ(client.bytesDownstreamToUpstream, kBytes);
  EXPECT_EQ(client.bytesUpstreamToDownstream, kBytes);
  EXPECT_EQ(path.clientHandoff(), HandoffRefusal::kNone) << toString(path.clientHandoff());
  EXPECT_EQ(path.serverHandoff(), HandoffRefusal::kNone) << toString(path.serverHandoff());
}

std::vector<Variant> variants() {
  std::vector<Variant> all;
  for (const MeshCipher cipher : kMeshCiphers) {
    all.push_back({cipher, KernelRelayMode::kSplice, true, true});
  }
  all.push_back({MeshCipher::kAes128GcmSha256, KernelRelayMode::kCopy, true, true});
  all.push_back({MeshCipher::kAes128GcmSha256, KernelRelayMode::kSplice, true, false});
  all.push_back({MeshCipher::kAes128GcmSha256, KernelRelayMode::kSplice, false, true});
  all.push_back({MeshCipher::kAes256GcmSha384, KernelRelayMode::kCopy, false, true});
  return all;
}

INSTANTIATE_TEST_SUITE_P(Kernel, KernelPaths, ::testing::ValuesIn(variants()),
                         [](const auto& param) { return nameOf(param.param); });

class KernelTls : public MeshTest {};

// For blocking test I/O on a handed-off socket; returns its descriptor.
int blocking(KernelTlsSocket& socket) {
  std::error_code ignored;
  socket.socket().non_blocking(false, ignored);
  proxy::test::setIoTimeouts(socket.socket().native_handle(), std::chrono::seconds(600));
  return socket.socket().native_handle();
}

// Both ends handed to the kernel, and the bytes written to and read from the kernel TLS
// sockets directly: the kernel encrypts and decrypts every byte of 1 GiB each way, at
// once. (The relays around such sockets carry 8 MiB each way per variant in KernelPaths:
// under emulation each extra loopback hop costs about as much as the crypto.)
TEST_F(KernelTls, OneGibibyteEachWayIsByteExact) {
  ASSERT_KERNEL_TLS();
  // No ticket this time: a plain recv() on a kernel TLS socket fails with EIO at a
  // handshake record. The relays skip the mesh's ticket (ClientSkipsTicketsFrom...).
  auto serverSide = serverContext(handoff());
  ASSERT_EQ(SSL_CTX_set_num_tickets(serverSide->native(), 0), 1);
  auto [server, client] = handshake(serverSide, clientContext(handoff()));
  ASSERT_TRUE(server.ok() && client.ok()) << describe(server) << " / " << describe(client);
  HandoffResult clientKernel = handOffToKernel(std::move(*client.session), kernel());
  HandoffResult serverKernel = handOffToKernel(std::move(*server.session), kernel());
  ASSERT_TRUE(clientKernel.kernel.has_value()) << toString(clientKernel.refusal);
  ASSERT_TRUE(serverKernel.kernel.has_value()) << toString(serverKernel.refusal);
  const int clientFd = blocking(*clientKernel.kernel);
  const int serverFd = blocking(*serverKernel.kernel);
  constexpr std::uint64_t kBytes = std::uint64_t{1} << 30;
  expectExact(exchange(clientFd, serverFd, kBytes), kBytes);
}

std::string kernelReadSome(KernelTlsSocket& socket) {
  char buffer[256];
  waitReadable(socket.socket().native_handle());
  const ssize_t got = ::recv(socket.socket().native_handle(), buffer, sizeof(buffer), 0);
  if (got <= 0) throw std::runtime_error("kernel TLS read failed: " + std::to_string(errno));
  return std::string(buffer, static_cast<std::size_t>(got));
}

void kernelWrite(KernelTlsSocket& socket, const std::string& text) {
  ASSERT_EQ(::send(socket.socket().native_handle(), text.data(), text.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(text.size()));
}

TEST_F(KernelTls, HandOffContinuesAfterRecordsExchangedInUserspace) {
  ASSERT_KERNEL_TLS();
  auto [server, client] = handshake(serverContext(handoff()), clientContext(handoff()));
  ASSERT_TRUE(server.ok() && client.ok()) << describe(server) << " / " << describe(client);
  // Three records one way and two (after the mesh's ticket) the other through OpenSSL
  // first.
  for (const char* text : {"u1", "u2", "u3"}) {
    ASSERT_EQ(SSL_write(client.session->nativeHandle(), text, 2), 2);
    EXPECT_EQ(sslReadSome(*server.session), text);
  }
  for (const char* text : {"d1", "d2"}) {
    ASSERT_EQ(SSL_write(server.session->nativeHandle(), text, 2), 2);
    EXPECT_EQ(sslReadSome(*client.session), text);
  }
  ASSERT_EQ(client.session->nextRecordSequence(RecordDirection::kSent), 3u);
  // The server's ticket, which OpenSSL read along with the first record, and two.
  ASSERT_EQ(client.session->nextRecordSequence(RecordDirection::kReceived), 3u);
  HandoffResult clientKernel = handOffToKernel(std::move(*client.session), kernel());
  HandoffResult serverKernel = handOffToKernel(std::move(*server.session), kernel());
  ASSERT_TRUE(clientKernel.kernel.has_value()) << toString(clientKernel.refusal);
  ASSERT_TRUE(serverKernel.kernel.has_value()) << toString(serverKernel.refusal);
  kernelWrite(*clientKernel.kernel, "kernel up");
  EXPECT_EQ(kernelReadSome(*serverKernel.kernel), "kernel up");
  kernelWrite(*serverKernel.kernel, "kernel down");
  EXPECT_EQ(kernelReadSome(*clientKernel.kernel), "kernel down");
}

TEST_F(KernelTls, ClientSkipsTicketsFromAServerThatSendsThem) {
  ASSERT_KERNEL_TLS();
  auto server = serverContext(handoff());
  SSL_CTX_clear_options(server->native(), SSL_OP_NO_TICKET);
  ASSERT_EQ(SSL_CTX_set_num_tickets(server->native(), 2), 1);
  MeshPathOptions options;
  options.clientKernel = kernel();  // the server stays in userspace and sends tickets
  MeshPath path(server, clientContext(handoff()), kServerId, std::move(options));
  constexpr std::uint64_t kBytes = 1 << 20;
  expectExact(exchange(path.appClient().get(), path.appServer().get(), kBytes), kBytes);
  EXPECT_EQ(path.clientRelay().end, RelayEnd::kClosed);
  EXPECT_EQ(path.serverRelay().end, RelayEnd::kClosed);
  EXPECT_EQ(path.clientHandoff(), HandoffRefusal::kNone);
}

TEST_F(KernelTls, KeyUpdateFromThePeerResetsTheConnection) {
  ASSERT_KERNEL_TLS();
  MeshPathOptions options;
  options.clientKernel = kernel();
  options.serverAction = [](TlsSession& session) {
    SSL* ssl = session.nativeHandle();
    if (SSL_key_update(ssl, SSL_KEY_UPDATE_NOT_REQUESTED) != 1) return;
    SSL_write(ssl, "after the update", 16);
  };
  MeshPath path(serverContext(handoff()), clientContext(handoff()), kServerId, std::move(options));
  const auto result = path.clientRelay();
  EXPECT_EQ(result.end, RelayEnd::kError);
  EXPECT_EQ(result.side, proxy::Side::kUpstream);
  EXPECT_EQ(result.error, make_error_code(TlsErrc::kKeyUpdateRefused)) << result.error.message();
  // The app got a reset, not the bytes after the update.
  char byte = 0;
  EXPECT_LT(::recv(path.appClient().get(), &byte, 1, 0), 1);
}

class Uppercase final : public PlaintextRewriter {
 public:
  Verdict rewrite(std::span<const std::byte> input, std::string& output) override {
    for (const std::byte b : input) output += static_cast<char>(std::toupper(static_cast<int>(b)));
    return Verdict::kPassThrough;
  }
};

TEST_F(KernelTls, RewriterSeesTheFirstBytesThenTheRestIsSpliced) {
  ASSERT_KERNEL_TLS();
  MeshPathOptions options;
  options.clientKernel = kernel();
  options.serverKernel = kernel();
  options.serverRewriter = [] { return std::make_unique<Uppercase>(); };
  MeshPath path(serverContext(handoff()), clientContext(handoff()), kServerId, std::move(options));
  const std::string first = "hello";
  proxy::test::sendAll(path.appClient().get(), std::as_bytes(std::span(first)));
  std::string got(first.size(), '\0');
  ASSERT_EQ(::recv(path.appServer().get(), got.data(), got.size(), MSG_WAITALL), 5);
  EXPECT_EQ(got, "HELLO");
  const std::string rest = "world";
  proxy::test::sendAll(path.appClient().get(), std::as_bytes(std::span(rest)));
  ASSERT_EQ(::recv(path.appServer().get(), got.data(), got.size(), MSG_WAITALL), 5);
  EXPECT_EQ(got, "world");
  EXPECT_EQ(path.serverHandoff(), HandoffRefusal::kNone);
}

}  // namespace
}  // namespace ztls::tls::test
