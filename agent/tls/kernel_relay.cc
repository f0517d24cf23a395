// The kernel TLS relay strategy: the kernel encrypts and decrypts; this process only moves
// plaintext between the two sockets, with splice() through a pipe (no copy to userspace)
// or, where it must see the bytes (a rewriter) or has no pipe, through a buffer.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "kernel_records.h"
#include "relay_ending.h"
#include "ztls/proxy/socket_ends.h"
#include "ztls/tls/kernel_tls.h"

namespace ztls::tls {

namespace {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using proxy::kAsTuple;
using proxy::RelayEnd;
using proxy::Side;

std::error_code lastError() { return {errno, std::system_category()}; }

bool wouldBlock(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// The plain socket and the kernel TLS socket of one relayed connection. The first failure
// decides how the relay ends.
class KernelConnection {
 public:
  struct Failure {
    RelayEnd end;
    Side side;
    std::error_code error;
  };

  KernelConnection(tcp::socket plain, KernelTlsSocket tls)
      : plain_(std::move(plain)),
        tls_(std::move(tls)),
        tlsSide_(tls_.role() == Role::kClient ? Side::kUpstream : Side::kDownstream),
        plainSide_(tlsSide_ == Side::kUpstream ? Side::kDownstream : Side::kUpstream) {}

  tcp::socket& plain() { return plain_; }
  tcp::socket& tls() { return tls_.socket(); }
  Role role() const { return tls_.role(); }
  MeshCipher cipher() const { return tls_.cipher(); }
  Side tlsSide() const { return tlsSide_; }
  Side plainSide() const { return plainSide_; }
  const std::optional<Failure>& failure() const { return failure_; }
  bool pausing() const { return pausing_; }

  // Every wait ends now; each direction stops at its next pausable point.
  void pause() {
    pausing_ = true;
    std::error_code ignored;
    plain_.cancel(ignored);
    tls_.socket().cancel(ignored);
  }

  // For a paused relay: the descriptors leave with their connection still open.
  std::pair<UniqueFd, UniqueFd> release() {
    return {UniqueFd(plain_.release()), UniqueFd(tls_.socket().release())};
  }

  // Resets both peers; closing also ends the other direction's waits.
  void fail(Side side, const std::error_code& error) {
    if (failure_) return;
    const RelayEnd end = proxy::classifyEnd(error);
    failure_ = Failure{end, end == RelayEnd::kCancelled ? Side::kRelay : side, error};
    proxy::resetAndClose(plain_);
    proxy::resetAndClose(tls_.socket());
  }

  void close() {
    std::error_code ignored;
    plain_.close(ignored);
    tls_.socket().close(ignored);
  }

 private:
  tcp::socket plain_;
  KernelTlsSocket tls_;
  Side tlsSide_;
  Side plainSide_;
  std::optional<Failure> failure_;
  bool pausing_ = false;
};

// One direction's pipe for splice(): what went in and has not come out yet is `pending`.
class Pipe {
 public:
  static std::optional<Pipe> open(std::size_t capacity) {
    int ends[2];
    if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
    // Best effort: a pipe as large as the relay's buffer, so one splice moves a full chunk.
    ::fcntl(ends[1], F_SETPIPE_SZ, static_cast<int>(capacity));
    return Pipe(ends[0], ends[1]);
  }
  // A pipe another relay filled: what it holds is still to be written out.
  static Pipe adopt(UniqueFd readEnd, UniqueFd writeEnd) {
    Pipe pipe(readEnd.release(), writeEnd.release());
    int queued = 0;
    if (::ioctl(pipe.readEnd_, FIONREAD, &queued) == 0 && queued > 0) {
      pipe.pending = static_cast<std::size_t>(queued);
    }
    return pipe;
  }
  Pipe(Pipe&& other) noexcept
      : readEnd_(std::exchange(other.readEnd_, -1)),
        writeEnd_(std::exchange(other.writeEnd_, -1)),
        pending(other.pending) {}
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  Pipe& operator=(Pipe&& other) noexcept {
    std::swap(readEnd_, other.readEnd_);
    std::swap(writeEnd_, other.writeEnd_);
    std::swap(pending, other.pending);
    return *this;
  }
  ~Pipe() {
    if (readEnd_ >= 0) ::close(readEnd_);
    if (writeEnd_ >= 0) ::close(writeEnd_);
  }
  int readEnd() const { return readEnd_; }
  int writeEnd() const { return writeEnd_; }
  std::pair<UniqueFd, UniqueFd> release() {
    return {UniqueFd(std::exchange(readEnd_, -1)), UniqueFd(std::exchange(writeEnd_, -1))};
  }

 private:
  Pipe(int readEnd, int writeEnd) : readEnd_(readEnd), writeEnd_(writeEnd) {}
  int readEnd_;
  int writeEnd_;

 public:
  std::size_t pending = 0;
};

using detail::Tally;

// What a pause request needs to know of a direction while its coroutine is suspended.
// Userspace holds none of its bytes unless a write is in flight or the rewriter is in the
// middle of a message.
struct DirectionStatus {
  bool ended = false;    // finish() passed the end on
  bool writing = false;  // an asynchronous write is in flight
  const PlaintextRewriter* rewriter = nullptr;

  bool pausable() const {
    return ended || (!writing && (rewriter == nullptr || rewriter->atBoundary()));
  }
};

// One direction: bytes come from `from` and go to `to`.
struct Direction {
  KernelConnection& connection;
  tcp::socket& from;
  Side fromSide;
  tcp::socket& to;
  Side toSide;
  bool fromIsTls;
  std::size_t chunk;  // bytes per read or splice
  Pipe* pipe;         // null: copy through buffer()
  PlaintextRewriter* rewriter;
  Tally tally;
  DirectionStatus& status;
  // Allocated on first use: a spliced direction may never need it (only for records that
  // are not application data), which keeps idle kernel TLS connections small.
  std::unique_ptr<std::byte[]> storage;

  std::span<std::byte> buffer() {
    if (!storage) storage = std::make_unique_for_overwrite<std::byte[]>(chunk);
    return {storage.get(), chunk};
  }
};

// Waits until `socket` is ready; false when the relay failed meanwhile (or the wait did),
// or, at a pausable wait, when the relay is pausing. A wait that is not pausable (in the
// middle of passing an end on) outlasts the pause's cancellation.
asio::awaitable<bool> ready(Direction& d, tcp::socket& socket, tcp::socket::wait_type wait,
                            Side side, bool pausable = true) {
  for (;;) {
    auto [error] = co_await socket.async_wait(wait, kAsTuple);
    if (d.connection.failure()) co_return false;
    if (d.connection.pausing()) {
      if (pausable) co_return false;
      if (error == asio::error::operation_aborted) continue;
    }
    if (error) {
      d.connection.fail(side, error);
      co_return false;
    }
    co_return true;
  }
}

// The source ended its direction (close_notify, or TCP EOF): pass the end on. Towards TLS
// that is close_notify, then the FIN (RFC 8446 §6.1); the other direction keeps flowing.
asio::awaitable<void> finish(Direction& d) {
  if (!d.fromIsTls) {
    for (;;) {
      const std::error_code error = detail::sendCloseNotify(d.to.native_handle());
      if (!error) break;
      if (!wouldBlock(error.value())) {
        d.connection.fail(d.toSide, error);
        co_return;
      }
      if (!co_await ready(d, d.to, tcp::socket::wait_write, d.toSide, false)) co_return;
    }
  }
  std::error_code error;
  d.to.shutdown(tcp::socket::shutdown_send, error);
  if (error) {
    d.connection.fail(d.toSide, error);
  } else {
    d.status.ended = true;
  }
}

// splice() the pipe's pending bytes out; false when the direction is over.
asio::awaitable<bool> drainPipe(Direction& d) {
  while (d.pipe->pending > 0) {
    const ssize_t moved = ::splice(d.pipe->readEnd(), nullptr, d.to.native_handle(), nullptr,
                                   d.pipe->pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (moved > 0) {
      d.pipe->pending -= static_cast<std::size_t>(moved);
      d.tally.add(static_cast<std::size_t>(moved));
      continue;
    }
    if (moved < 0 && wouldBlock(errno)) {
      if (!co_await ready(d, d.to, tcp::socket::wait_write, d.toSide)) co_return false;
      continue;
    }
    d.connection.fail(d.toSide,
                      moved == 0 ? std::make_error_code(std::errc::broken_pipe) : lastError());
    co_return false;
  }
  co_return true;
}

enum class Step { kMoved, kRetry, kDone };

// splice() from the source into the pipe. A record that is not application data makes
// splice() fail with EINVAL on a kernel TLS socket (it leaves the record queued):
// kRetry with `controlRecord` set tells the caller to take it with recvmsg.
asio::awaitable<Step> spliceIn(Direction& d, bool& controlRecord) {
  const ssize_t moved = ::splice(d.from.native_handle(), nullptr, d.pipe->writeEnd(), nullptr,
                                 d.chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (moved > 0) {
    d.pipe->pending += static_cast<std::size_t>(moved);
    co_return Step::kMoved;
  }
  if (moved == 0) {
    co_await finish(d);
    co_return Step::kDone;
  }
  if (wouldBlock(errno)) {
    co_return co_await ready(d, d.from, tcp::socket::wait_read, d.fromSide) ? Step::kRetry
                                                                            : Step::kDone;
  }
  if (d.fromIsTls && errno == EINVAL) {
    controlRecord = true;
    co_return Step::kRetry;
  }
  d.connection.fail(d.fromSide, lastError());
  co_return Step::kDone;
}

// Reads into the buffer: plaintext of whatever the source sends. nullopt when the
// direction is over; 0 when there was nothing to relay this time.
asio::awaitable<std::optional<std::size_t>> readIn(Direction& d) {
  if (d.fromIsTls) {
    const detail::ControlRead read =
        detail::readRecord(d.from.native_handle(), d.connection.role(), d.buffer());
    switch (read.kind) {
      case detail::ControlRecord::kData:
        co_return read.bytes;
      case detail::ControlRecord::kSkipped:
        co_return 0;
      case detail::ControlRecord::kWouldBlock:
        if (!co_await ready(d, d.from, tcp::socket::wait_read, d.fromSide)) co_return std::nullopt;
        co_return 0;
      case detail::ControlRecord::kCloseNotify:
      case detail::ControlRecord::kEof:
        co_await finish(d);
        co_return std::nullopt;
      case detail::ControlRecord::kFailed:
        d.connection.fail(d.fromSide, read.error);
        co_return std::nullopt;
    }
  }
  const ssize_t received = ::recv(d.from.native_handle(), d.buffer().data(), d.chunk, MSG_DONTWAIT);
  if (received > 0) co_return static_cast<std::size_t>(received);
  if (received == 0) {
    co_await finish(d);
    co_return std::nullopt;
  }
  if (wouldBlock(errno)) {
    if (!co_await ready(d, d.from, tcp::socket::wait_read, d.fromSide)) co_return std::nullopt;
    co_return 0;
  }
  d.connection.fail(d.fromSide, lastError());
  co_return std::nullopt;
}

// Writes what readIn got (through the rewriter, if any); false when the direction is over.
asio::awaitable<bool> writeOut(Direction& d, std::size_t bytes, std::string& rewritten) {
  asio::const_buffer out(d.buffer().data(), bytes);
  if (d.rewriter != nullptr) {
    rewritten.clear();
    const auto verdict = d.rewriter->rewrite(d.buffer().first(bytes), rewritten);
    if (verdict == PlaintextRewriter::Verdict::kReset) {
      d.connection.fail(d.fromSide, std::make_error_code(std::errc::protocol_error));
      co_return false;
    }
    if (verdict == PlaintextRewriter::Verdict::kPassThrough) d.rewriter = nullptr;
    out = asio::buffer(rewritten);
  }
  d.status.writing = true;
  auto [error, sent] = co_await asio::async_write(d.to, out, kAsTuple);
  d.status.writing = false;
  // Counted as the peer sent them: rewriting is this agent's business.
  d.tally.add(sent == out.size() ? bytes : std::min(sent, bytes));
  if (error) {
    d.connection.fail(d.toSide, error);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> carry(Direction d) {
  std::string rewritten;
  try {
    for (;;) {
      if (d.connection.failure() || d.connection.pausing()) co_return;
      d.status.rewriter = d.rewriter;
      bool controlRecord = false;
      if (d.pipe != nullptr && d.rewriter == nullptr) {
        if (!co_await drainPipe(d)) co_return;
        const Step step = co_await spliceIn(d, controlRecord);
        if (step == Step::kDone) co_return;
        if (!controlRecord) continue;
      }
      const std::optional<std::size_t> got = co_await readIn(d);
      if (!got) co_return;
      if (*got == 0) continue;
      if (!co_await writeOut(d, *got, rewritten)) co_return;
    }
  } catch (const std::system_error& error) {
    d.connection.fail(Side::kRelay, error.code());
  } catch (...) {
    d.connection.fail(Side::kRelay, std::make_error_code(std::errc::not_enough_memory));
  }
}

// Where a relay starts: a fresh connection, or one another process paused.
struct RelayStart {
  std::optional<Pipe> toTls;
  std::optional<Pipe> fromTls;
  bool toTlsEnded = false;
  bool fromTlsEnded = false;
};

// Moves both directions until they end, fail or pause. With `pause`, a paused relay leaves
// its descriptors there and is counted as closed here.
asio::awaitable<void> runRelay(KernelConnection& connection, RelayStart start,
                               proxy::RelayCounters& counters, proxy::RelayResult& result,
                               std::size_t size, PlaintextRewriter* rewriter,
                               KernelRelayPause* pause) {
  std::error_code ignored;
  connection.plain().set_option(tcp::no_delay(true), ignored);
  connection.tls().set_option(tcp::no_delay(true), ignored);
  // splice() on a TCP socket blocks unless the socket itself is non-blocking.
  connection.plain().non_blocking(true, ignored);
  connection.tls().non_blocking(true, ignored);
  const bool plainIsDownstream = connection.plainSide() == Side::kDownstream;
  Tally upstreamBound{counters.bytesDownstreamToUpstream, result.bytesDownstreamToUpstream};
  Tally downstreamBound{counters.bytesUpstreamToDownstream, result.bytesUpstreamToDownstream};
  DirectionStatus toTlsStatus{start.toTlsEnded, false, nullptr};
  DirectionStatus fromTlsStatus{start.fromTlsEnded, false, rewriter};
  Direction plainToTls{connection,
                       connection.plain(),
                       connection.plainSide(),
                       connection.tls(),
                       connection.tlsSide(),
                       false,
                       size,
                       start.toTls ? &*start.toTls : nullptr,
                       nullptr,
                       plainIsDownstream ? upstreamBound : downstreamBound,
                       toTlsStatus,
                       {}};
  Direction tlsToPlain{connection,
                       connection.tls(),
                       connection.tlsSide(),
                       connection.plain(),
                       connection.plainSide(),
                       true,
                       size,
                       start.fromTls ? &*start.fromTls : nullptr,
                       rewriter,
                       plainIsDownstream ? downstreamBound : upstreamBound,
                       fromTlsStatus,
                       {}};
  if (pause != nullptr) {
    pause->running([&connection, &toTlsStatus, &fromTlsStatus] {
      if (connection.failure() || connection.pausing()) return false;
      if (toTlsStatus.ended && fromTlsStatus.ended) return false;  // about to close
      if (!toTlsStatus.pausable() || !fromTlsStatus.pausable()) return false;
      connection.pause();
      return true;
    });
  }
  if (!toTlsStatus.ended && !fromTlsStatus.ended) {
    co_await (carry(std::move(plainToTls)) && carry(std::move(tlsToPlain)));
  } else if (!toTlsStatus.ended) {
    co_await carry(std::move(plainToTls));
  } else if (!fromTlsStatus.ended) {
    co_await carry(std::move(tlsToPlain));
  }
  if (pause == nullptr) co_return;
  if (!connection.pausing() || connection.failure()) {
    pause->ended(std::nullopt);
    co_return;
  }
  PausedKernelRelay paused;
  std::tie(paused.plain, paused.tls) = connection.release();
  paused.role = connection.role();
  paused.cipher = connection.cipher();
  paused.toTls.ended = toTlsStatus.ended;
  paused.fromTls.ended = fromTlsStatus.ended;
  paused.fromTls.rewriting = !fromTlsStatus.ended && fromTlsStatus.rewriter != nullptr;
  if (start.toTls) std::tie(paused.toTls.pipeRead, paused.toTls.pipeWrite) = start.toTls->release();
  if (start.fromTls) {
    std::tie(paused.fromTls.pipeRead, paused.fromTls.pipeWrite) = start.fromTls->release();
  }
  pause->ended(std::move(paused));
}

// Runs a relay on `connection` (null when it could not be built) and completes its result.
asio::awaitable<proxy::RelayResult> relayOn(std::optional<KernelConnection>& connection,
                                            RelayStart start, proxy::RelayCounters& counters,
                                            const KernelRelayOptions& options,
                                            PlaintextRewriter* rewriter) {
  const auto started = std::chrono::steady_clock::now();
  proxy::countRelayStart(counters);
  proxy::RelayResult result;
  try {
    if (!connection) {
      // Reported by finishRelay below.
    } else if (!connection->plain().is_open()) {
      connection->fail(connection->plainSide(), asio::error::bad_descriptor);
    } else if (!connection->tls().is_open()) {
      connection->fail(connection->tlsSide(), asio::error::bad_descriptor);
    } else {
      const std::size_t size = std::max<std::size_t>(options.relay.bufferSize, 1);
      co_await runRelay(*connection, std::move(start), counters, result, size, rewriter,
                        options.pause.get());
    }
  } catch (const std::system_error& error) {
    if (connection) connection->fail(Side::kRelay, error.code());
  } catch (...) {
    if (connection) {
      connection->fail(Side::kRelay, std::make_error_code(std::errc::not_enough_memory));
    }
  }
  if (options.pause && options.pause->state() == KernelRelayPause::State::kPaused) {
    // The connection lives on elsewhere: nothing to close or reset here.
    result.duration = std::chrono::steady_clock::now() - started;
    proxy::countRelayEnd(counters, proxy::RelayEnd::kClosed);
    co_return result;
  }
  if (options.pause && options.pause->state() != KernelRelayPause::State::kEnded) {
    options.pause->ended(std::nullopt);
  }
  detail::finishRelay(result, connection ? &*connection : nullptr, started, counters);
  co_return result;
}

tcp::socket adoptSocket(const asio::any_io_executor& executor, UniqueFd fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::system_error(lastError(), "getsockname");
  }
  tcp::socket socket(executor);
  socket.assign(address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd.get());
  fd.release();
  return socket;
}

}  // namespace

asio::awaitable<proxy::RelayResult> relayKernelTls(tcp::socket plain, KernelTlsSocket tls,
                                                   proxy::RelayCounters& counters,
                                                   KernelRelayOptions options,
                                                   std::unique_ptr<PlaintextRewriter> rewriter) {
  std::optional<KernelConnection> connection;
  RelayStart start;
  try {
    connection.emplace(std::move(plain), std::move(tls));
    if (options.mode == KernelRelayMode::kSplice) {
      const std::size_t size = std::max<std::size_t>(options.relay.bufferSize, 1);
      start.toTls = Pipe::open(size);
      start.fromTls = Pipe::open(size);
    }
  } catch (...) {
    // relayOn reports a connection that could not be built.
  }
  co_return co_await relayOn(connection, std::move(start), counters, options, rewriter.get());
}

// The paused direction's pipe (it may hold bytes), or a new one.
std::optional<Pipe> pipeFor(PausedKernelRelay::Direction& direction, std::size_t size) {
  if (direction.pipeRead && direction.pipeWrite) {
    return Pipe::adopt(std::move(direction.pipeRead), std::move(direction.pipeWrite));
  }
  return Pipe::open(size);
}

asio::awaitable<proxy::RelayResult> resumeKernelTls(asio::any_io_executor executor,
                                                    PausedKernelRelay paused,
                                                    proxy::RelayCounters& counters,
                                                    KernelRelayOptions options,
                                                    std::unique_ptr<PlaintextRewriter> rewriter) {
  std::optional<KernelConnection> connection;
  RelayStart start;
  start.toTlsEnded = paused.toTls.ended;
  start.fromTlsEnded = paused.fromTls.ended;
  if (!paused.fromTls.rewriting) rewriter.reset();
  try {
    tcp::socket plain = adoptSocket(executor, std::move(paused.plain));
    tcp::socket tls = adoptSocket(executor, std::move(paused.tls));
    connection.emplace(std::move(plain),
                       KernelTlsSocket(std::move(tls), paused.role, paused.cipher));
    const std::size_t size = std::max<std::size_t>(options.relay.bufferSize, 1);
    start.toTls = pipeFor(paused.toTls, size);
    start.fromTls = pipeFor(paused.fromTls, size);
  } catch (...) {
    // relayOn reports a connection that could not be built.
  }
  if (connection && paused.fromTls.rewriting && !rewriter) {
    // Relaying on without the rewriter would pass the peer's bytes unchecked.
    connection->fail(Side::kRelay, std::make_error_code(std::errc::invalid_argument));
  }
  co_return co_await relayOn(connection, std::move(start), counters, options, rewriter.get());
}

}  // namespace ztls::tls
