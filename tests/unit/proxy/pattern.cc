#include "pattern.h"

#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <vector>

namespace ztls::proxy::test {

namespace {

constexpr std::size_t kChunk = 256 * 1024;
static_assert(std::endian::native == std::endian::little, "words are stored little-endian");

// A bijection of the word index (xor, odd multiply, xorshift), so no word repeats
// within a stream and a shifted stream never matches itself.
std::uint64_t word(std::uint64_t seed, std::uint64_t index) {
  const std::uint64_t x = (index ^ seed) * 0x9E3779B97F4A7C15ULL;
  return x ^ (x >> 31);
}

std::byte byteAt(std::uint64_t seed, std::uint64_t position) {
  return static_cast<std::byte>(word(seed, position / 8) >> (8 * (position % 8)));
}

}  // namespace

// Whole words go through fixed-size copies in tight loops: a call per word or per byte
// would make the generator, not the relay, the slow part of the bulk test.
void fillPattern(std::uint64_t seed, std::uint64_t offset, std::span<std::byte> out) {
  std::size_t i = 0;
  for (; i < out.size() && (offset + i) % 8 != 0; ++i) out[i] = byteAt(seed, offset + i);
  std::byte* const data = out.data();
  const std::size_t words = (out.size() - i) / 8;
  const std::uint64_t first = (offset + i) / 8;
  for (std::size_t w = 0; w < words; ++w) {
    const std::uint64_t value = word(seed, first + w);
    std::memcpy(data + i + 8 * w, &value, 8);
  }
  for (i += 8 * words; i < out.size(); ++i) out[i] = byteAt(seed, offset + i);
}

std::optional<std::uint64_t> findMismatch(std::uint64_t seed, std::uint64_t offset,
                                          std::span<const std::byte> data) {
  std::size_t i = 0;
  for (; i < data.size() && (offset + i) % 8 != 0; ++i) {
    if (data[i] != byteAt(seed, offset + i)) return offset + i;
  }
  const std::byte* const bytes = data.data();
  const std::size_t words = (data.size() - i) / 8;
  const std::uint64_t first = (offset + i) / 8;
  std::size_t w = 0;
  for (; w < words; ++w) {
    std::uint64_t value = 0;
    std::memcpy(&value, bytes + i + 8 * w, 8);
    if (value != word(seed, first + w)) break;
  }
  // From the first differing word (if any) on, byte by byte to name the exact offset.
  for (i += 8 * w; i < data.size(); ++i) {
    if (data[i] != byteAt(seed, offset + i)) return offset + i;
  }
  return std::nullopt;
}

Transfer sendPattern(int fd, std::uint64_t seed, std::uint64_t bytes, std::uint64_t from) {
  Transfer transfer;
  std::vector<std::byte> chunk(kChunk);
  while (from + transfer.bytes < bytes) {
    const std::uint64_t offset = from + transfer.bytes;
    const std::size_t size = std::min<std::uint64_t>(chunk.size(), bytes - offset);
    fillPattern(seed, offset, {chunk.data(), size});
    std::size_t sent = 0;
    while (sent < size) {
      const ssize_t n = ::send(fd, chunk.data() + sent, size - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        transfer.error = errno;
        return transfer;
      }
      sent += static_cast<std::size_t>(n);
      transfer.bytes += static_cast<std::uint64_t>(n);
    }
  }
  if (::shutdown(fd, SHUT_WR) != 0) transfer.error = errno;
  return transfer;
}

Transfer receivePattern(int fd, std::uint64_t seed) {
  Transfer transfer;
  std::vector<std::byte> chunk(kChunk);
  for (;;) {
    const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
    if (n == 0) return transfer;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      transfer.error = errno;
      return transfer;
    }
    transfer.mismatch =
        findMismatch(seed, transfer.bytes, {chunk.data(), static_cast<std::size_t>(n)});
    if (transfer.mismatch) return transfer;
    transfer.bytes += static_cast<std::uint64_t>(n);
  }
}

}  // namespace ztls::proxy::test
