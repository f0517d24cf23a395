// Probing kernel TLS and handing a session's record layer to it.
#include "ztls/tls/kernel_tls.h"

#include <arpa/inet.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "session_state.h"
#include "ztls/tls/kernel_crypto_info.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

namespace ztls::tls {

namespace {

constexpr std::string_view kUlp = "tls";

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::error_code lastError() { return {errno, std::system_category()}; }

int installUlp(int fd) {
  return ::setsockopt(fd, SOL_TCP, TCP_ULP, kUlp.data(), static_cast<socklen_t>(kUlp.size()));
}

int installKeys(int fd, int direction, const KernelCryptoInfo& info) {
  return ::setsockopt(fd, SOL_TLS, direction, info.data(), info.size());
}

// A connected loopback pair: the ULP attaches only to an established socket.
struct LoopbackPair {
  Fd client;
  Fd server;
  std::string problem;
};

LoopbackPair connectLoopback() {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) return {Fd(), Fd(), errnoText("socket")};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return {Fd(), Fd(), errnoText("listening on loopback")};
  }
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (client.get() < 0 ||
      ::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return {Fd(), Fd(), errnoText("connecting on loopback")};
  }
  Fd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (server.get() < 0) return {Fd(), Fd(), errnoText("accepting on loopback")};
  return {std::move(client), std::move(server), {}};
}

// Throwaway keys: the probe never sends a byte.
std::optional<KernelCryptoInfo> probeInfo(MeshCipher cipher) {
  TrafficKeys keys;
  const std::vector<std::uint8_t> key(keyLength(cipher), 0x5a);
  const std::vector<std::uint8_t> iv(kTrafficIvLength, 0xa5);
  keys.key = SecretBytes(key);
  keys.iv = SecretBytes(iv);
  return KernelCryptoInfo::make(cipher, keys, 0);
}

// Empty when the cipher works both ways; otherwise why not.
std::string probeCipher(MeshCipher cipher, bool& ulpMissing) {
  LoopbackPair pair = connectLoopback();
  if (!pair.problem.empty()) return pair.problem;
  if (installUlp(pair.client.get()) != 0) {
    ulpMissing = errno == ENOENT;
    return errnoText("setsockopt TCP_ULP \"tls\"");
  }
  const auto info = probeInfo(cipher);
  if (!info) return "building the crypto info failed";
  if (installKeys(pair.client.get(), TLS_TX, *info) != 0) {
    return std::string(toString(cipher)) + ": " + errnoText("setsockopt TLS_TX");
  }
  if (installKeys(pair.client.get(), TLS_RX, *info) != 0) {
    return std::string(toString(cipher)) + ": " + errnoText("setsockopt TLS_RX");
  }
  return {};
}

}  // namespace

bool KernelTlsSupport::supports(MeshCipher cipher) const {
  return std::find(ciphers.begin(), ciphers.end(), cipher) != ciphers.end();
}

KernelTlsSupport probeKernelTls() {
  KernelTlsSupport support;
  try {
    for (const MeshCipher cipher : kMeshCiphers) {
      bool ulpMissing = false;
      const std::string problem = probeCipher(cipher, ulpMissing);
      if (problem.empty()) {
        support.ciphers.push_back(cipher);
        continue;
      }
      if (ulpMissing) {
        support.problem = "the kernel has no TLS ULP (" + problem + ")";
        break;
      }
      if (!support.problem.empty()) support.problem += "; ";
      support.problem += problem;
    }
  } catch (...) {
    support.problem = "probing kernel TLS failed: out of memory";
  }
  return support;
}

std::string_view toString(HandoffRefusal refusal) {
  switch (refusal) {
    case HandoffRefusal::kNone:
      return "none";
    case HandoffRefusal::kKernelUnsupported:
      return "kernel has no TLS";
    case HandoffRefusal::kCipherUnsupported:
      return "kernel lacks the cipher";
    case HandoffRefusal::kSecretsNotCaptured:
      return "secrets not captured";
    case HandoffRefusal::kSequenceUnknown:
      return "record sequence unknown";
    case HandoffRefusal::kBufferedInUserspace:
      return "bytes buffered in userspace";
    case HandoffRefusal::kKernelRefused:
      return "kernel refused the keys";
    case HandoffRefusal::kBroken:
      return "kernel refused the receive keys after the send keys";
  }
  return "unknown";
}

std::string_view reasonName(HandoffRefusal refusal) {
  switch (refusal) {
    case HandoffRefusal::kNone:
      return "none";
    case HandoffRefusal::kKernelUnsupported:
      return "kernel_unsupported";
    case HandoffRefusal::kCipherUnsupported:
      return "cipher_unsupported";
    case HandoffRefusal::kSecretsNotCaptured:
      return "secrets_not_captured";
    case HandoffRefusal::kSequenceUnknown:
      return "sequence_unknown";
    case HandoffRefusal::kBufferedInUserspace:
      return "buffered_in_userspace";
    case HandoffRefusal::kKernelRefused:
      return "kernel_refused";
    case HandoffRefusal::kBroken:
      return "broken";
  }
  return "unknown";
}

std::string_view toString(KernelRelayMode mode) {
  return mode == KernelRelayMode::kSplice ? "splice" : "copy";
}

HandoffRefusal planHandoff(const KernelTlsSupport& support, const HandoffFacts& facts) {
  if (!support.available()) return HandoffRefusal::kKernelUnsupported;
  if (!facts.cipher || !support.supports(*facts.cipher)) return HandoffRefusal::kCipherUnsupported;
  if (!facts.secretsCaptured) return HandoffRefusal::kSecretsNotCaptured;
  if (!facts.sequencesKnown) return HandoffRefusal::kSequenceUnknown;
  if (!facts.atRecordBoundary) return HandoffRefusal::kBufferedInUserspace;
  return HandoffRefusal::kNone;
}

HandoffResult handOffToKernel(TlsSession session, const KernelTlsSupport& support) {
  HandoffResult result;
  detail::SessionState& state = session.state();
  const detail::HandoffCapture* capture = detail::HandoffCapture::of(state.ssl.get());
  const SSL_CIPHER* negotiated = SSL_get_current_cipher(state.ssl.get());
  HandoffFacts facts;
  if (negotiated != nullptr) facts.cipher = meshCipherNamed(SSL_CIPHER_get_name(negotiated));
  const auto sent =
      capture != nullptr ? capture->sequence.next(RecordDirection::kSent) : std::nullopt;
  const auto received =
      capture != nullptr ? capture->sequence.next(RecordDirection::kReceived) : std::nullopt;
  facts.secretsCaptured =
      capture != nullptr && !capture->clientSecret.empty() && !capture->serverSecret.empty();
  facts.sequencesKnown = sent.has_value() && received.has_value();
  facts.atRecordBoundary = session.atRecordBoundary();
  result.refusal = planHandoff(support, facts);

  std::optional<KernelCryptoInfo> transmit;
  std::optional<KernelCryptoInfo> receive;
  if (result.refusal == HandoffRefusal::kNone) {
    const bool client = session.role() == Role::kClient;
    const SecretBytes& ownSecret = client ? capture->clientSecret : capture->serverSecret;
    const SecretBytes& peerSecret = client ? capture->serverSecret : capture->clientSecret;
    const auto ownKeys = deriveTrafficKeys(*facts.cipher, ownSecret.bytes());
    const auto peerKeys = deriveTrafficKeys(*facts.cipher, peerSecret.bytes());
    if (ownKeys) transmit = KernelCryptoInfo::make(*facts.cipher, *ownKeys, *sent);
    if (peerKeys) receive = KernelCryptoInfo::make(*facts.cipher, *peerKeys, *received);
    if (!transmit || !receive) result.refusal = HandoffRefusal::kSecretsNotCaptured;
  }
  if (result.refusal != HandoffRefusal::kNone) {
    result.session.emplace(std::move(session));
    return result;
  }

  const int fd = state.socket.native_handle();
  // The ULP alone, and the ULP with TLS_TX refused, leave a socket that still carries
  // OpenSSL's records unchanged, so the session can go back to userspace.
  if (installUlp(fd) != 0 || installKeys(fd, TLS_TX, *transmit) != 0) {
    result.refusal = HandoffRefusal::kKernelRefused;
    result.error = lastError();
    result.session.emplace(std::move(session));
    return result;
  }
  if (installKeys(fd, TLS_RX, *receive) != 0) {
    result.refusal = HandoffRefusal::kBroken;
    result.error = lastError();
    return result;  // the session (and its socket) closes here
  }
  // OpenSSL must never touch the socket again: free it first, then take the socket.
  state.handoff.wipe();
  state.ssl.reset();
  result.kernel.emplace(std::move(state.socket), session.role(), *facts.cipher);
  return result;
}

}  // namespace ztls::tls
