// A deterministic byte stream for end-to-end checks: any byte lost, duplicated, reordered
// or altered shows up, without keeping the stream in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace ztls::proxy::test {

// Bytes [offset, offset + out.size()) of the stream named by seed.
void fillPattern(std::uint64_t seed, std::uint64_t offset, std::span<std::byte> out);
// Stream offset of the first byte of data that differs from the stream at offset.
std::optional<std::uint64_t> findMismatch(std::uint64_t seed, std::uint64_t offset,
                                          std::span<const std::byte> data);

struct Transfer {
  std::uint64_t bytes = 0;
  int error = 0;                          // errno of a failed send/recv, 0 otherwise
  std::optional<std::uint64_t> mismatch;  // receiving only
};

// Sends bytes [from, bytes) of the stream, then shuts down the write side. The result
// counts what this call sent.
Transfer sendPattern(int fd, std::uint64_t seed, std::uint64_t bytes, std::uint64_t from = 0);
// Receives until EOF (or an error, or the first mismatch), checking every byte.
Transfer receivePattern(int fd, std::uint64_t seed);

}  // namespace ztls::proxy::test
