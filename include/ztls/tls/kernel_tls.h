// Kernel TLS (Linux kTLS, Documentation/networking/tls.rst): what the running kernel
// offers, handing an established mesh session's record layer to it, and relaying through
// it so that established bytes are encrypted and decrypted in the kernel.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ztls/proxy/asio.h"
#include "ztls/proxy/counters.h"
#include "ztls/proxy/relay.h"
#include "ztls/tls/context.h"
#include "ztls/tls/relay.h"
#include "ztls/tls/session.h"
#include "ztls/tls/traffic_keys.h"
#include "ztls/unique_fd.h"

namespace ztls::tls {

// Found once at start: for each mesh cipher, a loopback connection of its own gets the
// "tls" ULP and both TLS_TX and TLS_RX with throwaway keys.
struct KernelTlsSupport {
  std::vector<MeshCipher> ciphers;  // every cipher both directions accepted
  // Empty when every mesh cipher works; otherwise for people, e.g. "the kernel has no TLS
  // ULP (setsockopt TCP_ULP \"tls\": No such file or directory)".
  std::string problem;

  bool available() const { return !ciphers.empty(); }
  bool supports(MeshCipher cipher) const;
};

// Never throws. Runs in the caller's network namespace and needs its loopback up.
KernelTlsSupport probeKernelTls();

// Why a session stays with the userspace record layer (or, for kBroken, is lost).
enum class HandoffRefusal {
  kNone,
  kKernelUnsupported,    // the probe found no kernel TLS at all
  kCipherUnsupported,    // not for the negotiated cipher
  kSecretsNotCaptured,   // the context was made without kernelTlsHandoff
  kSequenceUnknown,      // a direction saw no Finished, or a KeyUpdate
  kBufferedInUserspace,  // OpenSSL holds bytes the kernel would never see
  kKernelRefused,        // a setsockopt failed before any key was installed
  kBroken,               // TLS_TX was installed, then TLS_RX refused: unusable either way
};

inline constexpr std::size_t kHandoffRefusalCount =
    static_cast<std::size_t>(HandoffRefusal::kBroken) + 1;

// For people: "kernel lacks the cipher".
std::string_view toString(HandoffRefusal refusal);
// For metric labels and status keys: "cipher_unsupported".
std::string_view reasonName(HandoffRefusal refusal);

// Everything that decides a hand-off, so the choice can be tested without a session.
struct HandoffFacts {
  std::optional<MeshCipher> cipher;  // nullopt: not a mesh cipher (never negotiated)
  bool secretsCaptured = false;
  bool sequencesKnown = false;
  bool atRecordBoundary = false;
};

// kNone when handOffToKernel should try the kernel, else the first reason not to.
HandoffRefusal planHandoff(const KernelTlsSupport& support, const HandoffFacts& facts);

// A TCP socket whose TLS 1.3 record layer is in the kernel: read() yields plaintext of
// application records, write() sends application records. OpenSSL no longer exists for it.
class KernelTlsSocket {
 public:
  KernelTlsSocket(asio::ip::tcp::socket socket, Role role, MeshCipher cipher)
      : socket_(std::move(socket)), role_(role), cipher_(cipher) {}

  asio::ip::tcp::socket& socket() { return socket_; }
  Role role() const { return role_; }
  MeshCipher cipher() const { return cipher_; }

 private:
  asio::ip::tcp::socket socket_;
  Role role_;
  MeshCipher cipher_;
};

struct HandoffResult {
  std::optional<KernelTlsSocket> kernel;  // set on success
  // Given back, unchanged and still usable, when the hand-off was refused before anything
  // was installed: relay it in userspace. Empty on success and on kBroken.
  std::optional<TlsSession> session;
  HandoffRefusal refusal = HandoffRefusal::kNone;
  std::error_code error;  // the setsockopt error for kKernelRefused and kBroken
};

// Derives both directions' keys from the captured secrets, installs the "tls" ULP, TLS_TX
// and TLS_RX at the tracked sequence numbers, then frees OpenSSL's state and wipes the
// secrets. Must run before anything reads ahead on the session (relayTls does). Never
// throws.
HandoffResult handOffToKernel(TlsSession session, const KernelTlsSupport& support);

// How bytes move between the plain socket and the kernel TLS socket.
enum class KernelRelayMode {
  kSplice,  // splice() through a pipe per direction: no copy to userspace
  kCopy,    // read()/write() through a userspace buffer (the kernel still does the crypto)
};

std::string_view toString(KernelRelayMode mode);

// A kernel TLS relay stopped between two moves with its connection intact. The kernel
// keeps each direction's keys and record sequence numbers with the socket, so whoever gets
// these descriptors (the next agent, through SCM_RIGHTS) carries on with resumeKernelTls:
// nothing is renegotiated and no byte is lost or repeated.
struct PausedKernelRelay {
  struct Direction {
    // Its end (close_notify or FIN) was passed on: nothing more to move this way.
    bool ended = false;
    // A rewriter was still at work (at a boundary): the resumed relay needs a new one.
    bool rewriting = false;
    // The splice pipe; it may hold bytes taken from the source and not yet written out.
    UniqueFd pipeRead;
    UniqueFd pipeWrite;
  };
  UniqueFd plain;
  UniqueFd tls;
  Role role = Role::kClient;
  MeshCipher cipher = MeshCipher::kAes128GcmSha256;
  Direction toTls;
  Direction fromTls;
};

// Lets a relay's owner stop a running kernel TLS relay without ending its connection, to
// hand it to another process. Use on the relay's executor only.
class KernelRelayPause {
 public:
  enum class State { kIdle, kRunning, kPausing, kPaused, kEnded };

  // True when the relay will stop at its next wait and leave its state in paused(); false
  // when it cannot stop cleanly now (a direction copies through userspace: a rewriter
  // still at work, no pipe, or a write in progress) or is not running.
  bool request() {
    if (state_ != State::kRunning || !request_ || !request_()) return false;
    state_ = State::kPausing;
    return true;
  }
  State state() const { return state_; }
  // Set once the relay has returned after an accepted request(); taken by the owner.
  std::optional<PausedKernelRelay>& paused() { return paused_; }

  // For the relay itself.
  void running(std::function<bool()> request) {
    request_ = std::move(request);
    state_ = State::kRunning;
  }
  void ended(std::optional<PausedKernelRelay> paused) {
    request_ = nullptr;
    paused_ = std::move(paused);
    state_ = paused_ ? State::kPaused : State::kEnded;
  }

 private:
  State state_ = State::kIdle;
  std::function<bool()> request_;
  std::optional<PausedKernelRelay> paused_;
};

struct KernelRelayOptions {
  proxy::RelayOptions relay;
  KernelRelayMode mode = KernelRelayMode::kSplice;
  // When set, the relay can be paused through it (see KernelRelayPause).
  std::shared_ptr<KernelRelayPause> pause;
};

// relayTls's contract (sides, close_notify then FIN, resets, counting, rewriter) over a
// kernel TLS socket. Records that are not application data are taken with recvmsg and
// TLS_GET_RECORD_TYPE: close_notify ends that direction, a NewSessionTicket to a client is
// skipped, a KeyUpdate (TlsErrc::kKeyUpdateRefused), any other alert
// (TlsErrc::kPeerAlert) or handshake message (kUnexpectedMessage) resets both peers, as
// does a record that fails to decrypt (EBADMSG).
//
// With a rewriter the TLS-to-plain direction copies through userspace until the rewriter
// passes through, then splices (in kSplice mode).
asio::awaitable<proxy::RelayResult> relayKernelTls(
    asio::ip::tcp::socket plain, KernelTlsSocket tls, proxy::RelayCounters& counters,
    KernelRelayOptions options = {}, std::unique_ptr<PlaintextRewriter> rewriter = {});

// Carries on a relay another process paused, on `executor`, splicing where it can. A
// paused relay ends in that process as RelayEnd::kClosed with the bytes it moved; the
// result here counts only what moved after the resume. `rewriter` replaces the one the
// TLS-to-plain direction had (paused.fromTls.rewriting); without it that relay resets
// both peers rather than pass unrewritten bytes.
asio::awaitable<proxy::RelayResult> resumeKernelTls(
    asio::any_io_executor executor, PausedKernelRelay paused, proxy::RelayCounters& counters,
    KernelRelayOptions options = {}, std::unique_ptr<PlaintextRewriter> rewriter = {});

}  // namespace ztls::tls
