#include "client_hello.h"

#include <bitset>
#include <optional>

#include "alpn_list.h"
#include "byte_reader.h"

namespace ztls::tls::detail {

namespace {

constexpr std::uint16_t kServerNameExtension = 0;  // RFC 6066 §3
constexpr std::uint16_t kAlpnExtension = 16;       // RFC 7301 §3.1
constexpr std::uint8_t kHostNameType = 0;

// server_name_list<1..2^16-1> of {NameType name_type; opaque name<1..2^16-1>}. Every
// entry is read with a 2-byte length, the only layout ever defined; the first host_name
// is kept. Only the structure is checked: OpenSSL judges the content.
bool parseServerName(std::span<const std::uint8_t> extension, std::string& hostName) {
  ByteReader reader(extension);
  std::span<const std::uint8_t> list;
  if (!reader.readVector(2, 1, 0xffff, list) || !reader.empty()) return false;
  ByteReader entries(list);
  bool found = false;
  while (!entries.empty()) {
    std::uint8_t type = 0;
    std::span<const std::uint8_t> name;
    if (!entries.readU8(type) || !entries.readVector(2, 1, 0xffff, name)) return false;
    if (type == kHostNameType && !found) {
      hostName = printable({reinterpret_cast<const char*>(name.data()), name.size()});
      found = true;
    }
  }
  return true;
}

}  // namespace

ClientHelloSummary parseClientHello(std::span<const std::uint8_t> body) {
  ClientHelloSummary summary;
  ByteReader reader(body);
  std::span<const std::uint8_t> skipped;
  // legacy_version, random[32]; legacy_session_id<0..32>; cipher_suites<2..2^16-2>;
  // legacy_compression_methods<1..2^8-1>.
  if (!reader.readBytes(2 + 32, skipped)) {
    summary.problem = "truncated ClientHello";
    return summary;
  }
  if (!reader.readVector(1, 0, 32, skipped)) {
    summary.problem = "malformed session id";
    return summary;
  }
  if (!reader.readVector(2, 2, 0xfffe, skipped) || skipped.size() % 2 != 0) {
    summary.problem = "malformed cipher suites";
    return summary;
  }
  if (!reader.readVector(1, 1, 0xff, skipped)) {
    summary.problem = "malformed compression methods";
    return summary;
  }
  if (reader.empty()) {
    // Legal before TLS 1.2 (no extensions at all), but then there is no ALPN either.
    summary.problem = "no extensions";
    return summary;
  }
  std::span<const std::uint8_t> extensions;
  if (!reader.readVector(2, 0, 0xffff, extensions) || !reader.empty()) {
    summary.problem = "malformed extensions";
    return summary;
  }

  // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type".
  std::bitset<65536> seen;
  std::optional<std::vector<std::string_view>> alpn;
  ByteReader walk(extensions);
  while (!walk.empty()) {
    std::uint16_t type = 0;
    std::span<const std::uint8_t> data;
    if (!walk.readU16(type) || !walk.readVector(2, 0, 0xffff, data)) {
      summary.problem = "malformed extensions";
      return summary;
    }
    if (seen.test(type)) {
      summary.problem = "duplicate extension";
      return summary;
    }
    seen.set(type);
    if (type == kServerNameExtension && !parseServerName(data, summary.serverName)) {
      summary.problem = "malformed server_name extension";
      return summary;
    }
    if (type == kAlpnExtension) {
      alpn = parseAlpnList(data);
      if (!alpn) {
        summary.problem = "malformed ALPN extension";
        return summary;
      }
    }
  }
  if (alpn) {
    summary.offersMesh = offersMeshAlpn(*alpn);
    for (std::string_view protocol : *alpn) summary.alpn.push_back(printable(protocol));
  }
  return summary;
}

}  // namespace ztls::tls::detail
