#include "ztls/netns/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace ztls::netns {

namespace {

std::optional<std::uint16_t> parsePortText(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// inet_pton wants a NUL-terminated string; an embedded NUL would truncate the input.
bool toCString(std::string_view text, char (&out)[INET6_ADDRSTRLEN]) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  if (text.find('\0') != std::string_view::npos) return false;
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return true;
}

}  // namespace

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
  const bool bracketed = !text.empty() && text.front() == '[';
  const std::size_t colon = bracketed ? text.find("]:") : text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view host = bracketed ? text.substr(1, colon - 1) : text.substr(0, colon);
  const auto port = parsePortText(text.substr(colon + (bracketed ? 2 : 1)));
  char hostText[INET6_ADDRSTRLEN];
  if (!port || !toCString(host, hostText)) return std::nullopt;

  SocketAddress result;
  if (bracketed) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage_);
    if (inet_pton(AF_INET6, hostText, &v6->sin6_addr) != 1) return std::nullopt;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(*port);
    return result;
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage_);
  if (inet_pton(AF_INET, hostText, &v4->sin_addr) != 1) return std::nullopt;
  v4->sin_family = AF_INET;
  v4->sin_port = htons(*port);
  return result;
}

std::optional<SocketAddress> SocketAddress::fromSockaddr(const sockaddr* address,
                                                         socklen_t length) {
  if (address == nullptr) return std::nullopt;
  SocketAddress result;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    std::memcpy(&result.storage_, address, sizeof(sockaddr_in));
    return result;
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    std::memcpy(&result.storage_, address, sizeof(sockaddr_in6));
    return result;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::fromStorage(const sockaddr_storage& storage) {
  return fromSockaddr(reinterpret_cast<const sockaddr*>(&storage), sizeof(storage));
}

std::uint16_t SocketAddress::port() const {
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(data())->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(data())->sin_port);
}

socklen_t SocketAddress::length() const {
  return family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::string SocketAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(data());
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    std::string result = "[";
    result += text;
    // A link-local address means nothing without its interface.
    if (v6->sin6_scope_id != 0) result += "%" + std::to_string(v6->sin6_scope_id);
    return result + "]:" + std::to_string(port());
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(data())->sin_addr, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(port());
}

bool SocketAddress::operator==(const SocketAddress& other) const {
  if (family() != other.family() || port() != other.port()) return false;
  if (family() == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(data());
    const auto* b = reinterpret_cast<const sockaddr_in6*>(other.data());
    return std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0 &&
           a->sin6_scope_id == b->sin6_scope_id;
  }
  return reinterpret_cast<const sockaddr_in*>(data())->sin_addr.s_addr ==
         reinterpret_cast<const sockaddr_in*>(other.data())->sin_addr.s_addr;
}

}  // namespace ztls::netns
