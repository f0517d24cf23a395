// An independent TLS 1.3 record decryptor (RFC 8446 §5.2, §5.3) over OpenSSL's EVP AEADs:
// checks that derived keys and tracked sequence numbers are the ones the peer used, which
// is exactly what the kernel will be given.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ztls/tls/traffic_keys.h"

namespace ztls::tls::test {

struct OpenedRecord {
  std::uint8_t type = 0;  // the inner content type (23 application data, 22 handshake, ...)
  std::string content;
};

// `record` is one whole TLSCiphertext: 5-byte header, then the encrypted body with its tag.
std::optional<OpenedRecord> openRecord(MeshCipher cipher, const TrafficKeys& keys,
                                       std::uint64_t sequence,
                                       std::span<const std::uint8_t> record);

// Splits a byte stream into whole records (a trailing partial record is dropped).
std::vector<std::vector<std::uint8_t>> splitRecords(std::span<const std::uint8_t> stream);

}  // namespace ztls::tls::test
