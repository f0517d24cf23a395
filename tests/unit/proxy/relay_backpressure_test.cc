// A reader that stops reading must stall its writer, not grow the relay.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <thread>
#include <vector>

#include "pattern.h"
#include "relay_harness.h"
#include "test_sockets.h"

namespace ztls::proxy::test {
namespace {

constexpr std::uint64_t kSeed = 7;
constexpr int kKernelBuffer = 64 * 1024;
// More than every buffer on the path together, many times over.
constexpr std::uint64_t kGiveUpAfter = 64 << 20;
constexpr std::uint64_t kTotal = 16 << 20;
// One send may overshoot a full send buffer by a segment; loopback segments are 64 KiB.
constexpr std::uint64_t kSlack = 256 * 1024;

int bufferSize(int fd, int option) {
  int size = 0;
  socklen_t length = sizeof(size);
  EXPECT_EQ(::getsockopt(fd, SOL_SOCKET, option, &size, &length), 0);
  return size;
}

// Writes without blocking until the socket has not become writable for a while, that is
// until everything between here and the stopped reader is full. Returns bytes written.
std::uint64_t writeUntilStalled(int fd) {
  std::vector<std::byte> chunk(64 * 1024);
  std::uint64_t written = 0;
  while (written < kGiveUpAfter) {
    fillPattern(kSeed, written, chunk);
    const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN) {
      ADD_FAILURE() << "send: " << errnoName(errno);
      return written;
    }
    pollfd writable{fd, POLLOUT, 0};
    if (::poll(&writable, 1, /*timeout ms=*/500) == 0) return written;
  }
  return written;
}

TEST(RelayBackpressure, StoppedReaderStallsTheWriterAndTheRelayHoldsOneBuffer) {
  Fd server = listenLoopback(kKernelBuffer);
  HarnessOptions options;
  options.kernelBuffer = kKernelBuffer;
  RelayHarness harness(loopback(localPort(server.get())), options);
  Fd client = connectLoopback(harness.port(), kKernelBuffer);
  Fd accepted = acceptOne(server.get());

  const std::uint64_t written = writeUntilStalled(client.get());
  const std::uint64_t forwarded = harness.counters.bytesDownstreamToUpstream.load();
  // What the kernel reports is already doubled; the relay's sockets got the same request.
  const std::uint64_t clientSend = bufferSize(client.get(), SO_SNDBUF);
  const std::uint64_t serverReceive = bufferSize(accepted.get(), SO_RCVBUF);
  const std::uint64_t relaySocket = 2 * kKernelBuffer;
  const std::uint64_t relayBuffer = options.relay.bufferSize;

  ASSERT_LT(written, kGiveUpAfter) << "the client was never stopped: the relay buffers freely";
  // Not read by the relay: the client's send buffer and the relay's receive buffer.
  EXPECT_LE(written - forwarded, clientSend + relaySocket + relayBuffer + kSlack)
      << "written " << written << ", forwarded " << forwarded;
  // Forwarded but not read by the server: the relay's send and the server's receive buffer.
  EXPECT_LE(forwarded, relaySocket + serverReceive + kSlack);
  std::printf("stalled after %llu bytes, %llu forwarded\n",
              static_cast<unsigned long long>(written), static_cast<unsigned long long>(forwarded));

  // The reader resumes: everything written before and after the stall arrives intact.
  Transfer received;
  std::thread reader([&] { received = receivePattern(accepted.get(), kSeed); });
  const Transfer rest = sendPattern(client.get(), kSeed, kTotal, written);
  reader.join();
  EXPECT_EQ(rest.error, 0) << errnoName(rest.error);
  EXPECT_EQ(received.error, 0) << errnoName(received.error);
  EXPECT_FALSE(received.mismatch) << "at byte " << received.mismatch.value_or(0);
  EXPECT_EQ(received.bytes, kTotal);
  accepted.reset();
  EXPECT_EQ(drainUntilClosed(client.get()), 0);
  EXPECT_EQ(harness.nextResult().end, RelayEnd::kClosed);
}

}  // namespace
}  // namespace ztls::proxy::test
