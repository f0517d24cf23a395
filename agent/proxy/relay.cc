#include "ztls/proxy/relay.h"

#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <span>

#include "ztls/proxy/socket_ends.h"

namespace ztls::proxy {

namespace {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr auto kRelaxed = std::memory_order_relaxed;

// Both sockets of one relayed connection. The first failure decides how the relay ends;
// whatever the other direction reports afterwards is a consequence of it.
class Connection {
 public:
  struct Failure {
    RelayEnd end;
    Side side;
    std::error_code error;
  };

  Connection(tcp::socket downstream, tcp::socket upstream)
      : downstream_(std::move(downstream)), upstream_(std::move(upstream)) {}

  tcp::socket& socket(Side side) { return side == Side::kUpstream ? upstream_ : downstream_; }
  const std::optional<Failure>& failure() const { return failure_; }

  // Resets both peers; closing the sockets also ends the other direction's pending I/O.
  void fail(Side side, const std::error_code& error) {
    if (failure_) return;
    const RelayEnd end = classifyEnd(error);
    failure_ = Failure{end, end == RelayEnd::kCancelled ? Side::kRelay : side, error};
    resetAndClose(downstream_);
    resetAndClose(upstream_);
  }

  // Only after both directions saw EOF: nothing is left unread, so close() sends no RST
  // and the kernel still delivers whatever is queued.
  void close() {
    std::error_code ignored;
    downstream_.close(ignored);
    upstream_.close(ignored);
  }

 private:
  tcp::socket downstream_;
  tcp::socket upstream_;
  std::optional<Failure> failure_;
};

struct Direction {
  Side from;
  Side to;
  std::span<std::byte> buffer;
  std::atomic<std::uint64_t>& counter;
  std::uint64_t& total;
};

asio::awaitable<void> pump(Connection& connection, Direction direction) {
  tcp::socket& from = connection.socket(direction.from);
  tcp::socket& to = connection.socket(direction.to);
  try {
    for (;;) {
      auto [readError, received] = co_await from.async_read_some(
          asio::buffer(direction.buffer.data(), direction.buffer.size()), kAsTuple);
      if (readError == asio::error::eof) {
        std::error_code shutdownError;
        to.shutdown(tcp::socket::shutdown_send, shutdownError);
        if (shutdownError) connection.fail(direction.to, shutdownError);
        co_return;
      }
      if (readError) {
        connection.fail(direction.from, readError);
        co_return;
      }
      // Reading again only after this write completes is the backpressure.
      auto [writeError, sent] =
          co_await asio::async_write(to, asio::buffer(direction.buffer.data(), received), kAsTuple);
      direction.total += sent;
      direction.counter.fetch_add(sent, kRelaxed);
      if (writeError) {
        connection.fail(direction.to, writeError);
        co_return;
      }
    }
  } catch (const std::system_error& error) {
    // Asio throws operation_aborted when an operation starts after cancellation.
    connection.fail(Side::kRelay, error.code());
  } catch (...) {
    // Only allocation failures are left to get here.
    connection.fail(Side::kRelay, std::make_error_code(std::errc::not_enough_memory));
  }
}

void setNoDelay(tcp::socket& socket) {
  // The endpoints already chose how to batch their writes; delaying the relay's copy
  // of them would only add latency.
  std::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
}

}  // namespace

std::string_view toString(RelayEnd end) {
  switch (end) {
    case RelayEnd::kClosed:
      return "closed";
    case RelayEnd::kReset:
      return "reset";
    case RelayEnd::kError:
      return "error";
    case RelayEnd::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string_view toString(Side side) {
  switch (side) {
    case Side::kDownstream:
      return "downstream";
    case Side::kUpstream:
      return "upstream";
    case Side::kRelay:
      return "relay";
  }
  return "unknown";
}

asio::awaitable<RelayResult> relay(tcp::socket downstream, tcp::socket upstream,
                                   RelayCounters& counters, RelayOptions options) {
  const auto started = std::chrono::steady_clock::now();
  countRelayStart(counters);
  RelayResult result;
  Connection connection(std::move(downstream), std::move(upstream));
  try {
    if (!connection.socket(Side::kDownstream).is_open()) {
      connection.fail(Side::kDownstream, asio::error::bad_descriptor);
    } else if (!connection.socket(Side::kUpstream).is_open()) {
      connection.fail(Side::kUpstream, asio::error::bad_descriptor);
    } else {
      setNoDelay(connection.socket(Side::kDownstream));
      setNoDelay(connection.socket(Side::kUpstream));
      const std::size_t size = std::max<std::size_t>(options.bufferSize, 1);
      const auto buffers = std::make_unique_for_overwrite<std::byte[]>(2 * size);
      co_await (pump(connection, {Side::kDownstream,
                                  Side::kUpstream,
                                  {buffers.get(), size},
                                  counters.bytesDownstreamToUpstream,
                                  result.bytesDownstreamToUpstream}) &&
                pump(connection, {Side::kUpstream,
                                  Side::kDownstream,
                                  {buffers.get() + size, size},
                                  counters.bytesUpstreamToDownstream,
                                  result.bytesUpstreamToDownstream}));
    }
  } catch (const std::system_error& error) {
    connection.fail(Side::kRelay, error.code());
  } catch (...) {
    connection.fail(Side::kRelay, std::make_error_code(std::errc::not_enough_memory));
  }
  if (const auto& failure = connection.failure()) {
    result.end = failure->end;
    result.side = failure->side;
    result.error = failure->error;
  } else {
    connection.close();
  }
  result.duration = std::chrono::steady_clock::now() - started;
  countRelayEnd(counters, result.end);
  co_return result;
}

}  // namespace ztls::proxy
