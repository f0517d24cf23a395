#include "alpn_list.h"

#include <string>

#include "byte_reader.h"
#include "ztls/tls/alpn.h"

namespace ztls::tls::detail {

std::optional<std::vector<std::string_view>> parseAlpnList(
    std::span<const std::uint8_t> extension) {
  ByteReader reader(extension);
  std::span<const std::uint8_t> list;
  if (!reader.readVector(2, 2, 0xffff, list) || !reader.empty()) return std::nullopt;
  return parseProtocolNames(list);
}

std::optional<std::vector<std::string_view>> parseProtocolNames(
    std::span<const std::uint8_t> names) {
  if (names.empty()) return std::nullopt;
  std::vector<std::string_view> protocols;
  ByteReader reader(names);
  while (!reader.empty()) {
    std::span<const std::uint8_t> name;
    // RFC 7301 §3.1: "Empty strings MUST NOT be included".
    if (!reader.readVector(1, 1, 0xff, name)) return std::nullopt;
    protocols.emplace_back(reinterpret_cast<const char*>(name.data()), name.size());
  }
  return protocols;
}

bool offersMeshAlpn(const std::vector<std::string_view>& protocols) {
  for (std::string_view protocol : protocols) {
    if (protocol == kMeshAlpn) return true;
  }
  return false;
}

std::string printable(std::string_view bytes) {
  std::string out(bytes);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace ztls::tls::detail
