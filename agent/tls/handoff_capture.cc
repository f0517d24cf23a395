#include "handoff_capture.h"

#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace ztls::tls::detail {

namespace {

int exDataIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::optional<int> hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

SecretBytes fromHex(std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0) return {};
  std::vector<std::uint8_t> bytes(hex.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto high = hexDigit(hex[2 * i]);
    const auto low = hexDigit(hex[2 * i + 1]);
    if (!high || !low) return {};
    bytes[i] = static_cast<std::uint8_t>(*high << 4 | *low);
  }
  SecretBytes secret(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return secret;
}

}  // namespace

bool HandoffCapture::attachTo(SSL* ssl) {
  return exDataIndex() >= 0 && SSL_set_ex_data(ssl, exDataIndex(), this) == 1;
}

HandoffCapture* HandoffCapture::of(const SSL* ssl) {
  if (ssl == nullptr || exDataIndex() < 0) return nullptr;
  return static_cast<HandoffCapture*>(SSL_get_ex_data(ssl, exDataIndex()));
}

void HandoffCapture::keylogLine(std::string_view line) {
  const auto labelEnd = line.find(' ');
  if (labelEnd == std::string_view::npos) return;
  const std::string_view label = line.substr(0, labelEnd);
  const auto randomEnd = line.find(' ', labelEnd + 1);
  if (randomEnd == std::string_view::npos) return;
  const std::string_view secret = line.substr(randomEnd + 1);
  if (label == "CLIENT_TRAFFIC_SECRET_0") {
    clientSecret = fromHex(secret);
  } else if (label == "SERVER_TRAFFIC_SECRET_0") {
    serverSecret = fromHex(secret);
  }
}

void HandoffCapture::wipe() {
  clientSecret.wipe();
  serverSecret.wipe();
}

}  // namespace ztls::tls::detail
