#include "ztls/proxy/listener.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace ztls::proxy {

using asio::ip::tcp;

struct Listener::State {
  State(asio::any_io_executor io, Handler h, RelayCounters& c)
      : executor(std::move(io)),
        strand(asio::make_strand(executor)),
        acceptor(strand),
        handler(std::move(h)),
        counters(c) {}

  asio::any_io_executor executor;
  asio::strand<asio::any_io_executor> strand;
  tcp::acceptor acceptor;
  Handler handler;
  RelayCounters& counters;
};

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
// Long enough that a listener out of file descriptors does not spin, short enough that
// it resumes soon after some are freed.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

// Holding the state keeps the handler (and what a coroutine lambda captured) alive for
// as long as the connection runs, even after the listener is gone.
asio::awaitable<void> serve(std::shared_ptr<Listener::State> state, tcp::socket socket) {
  try {
    co_await state->handler(std::move(socket));
  } catch (const std::exception& error) {
    state->counters.handlerErrors.fetch_add(1, kRelaxed);
    spdlog::warn("proxy: connection handler failed: {}", error.what());
  } catch (...) {
    state->counters.handlerErrors.fetch_add(1, kRelaxed);
    spdlog::warn("proxy: connection handler failed with a non-standard exception");
  }
}

asio::awaitable<void> acceptLoop(std::shared_ptr<Listener::State> state) {
  asio::steady_timer backoff(state->strand);
  while (state->acceptor.is_open()) {
    std::error_code error;
    try {
      // Each connection gets its own strand, so its sockets are never used from two
      // threads at once even when the io_context runs on several.
      const asio::any_io_executor connectionExecutor = asio::make_strand(state->executor);
      auto [acceptError, socket] =
          co_await state->acceptor.async_accept(connectionExecutor, kAsTuple);
      if (!acceptError) {
        asio::co_spawn(connectionExecutor, serve(state, std::move(socket)), asio::detached);
        continue;
      }
      error = acceptError;
    } catch (const std::system_error& thrown) {
      error = thrown.code();
    } catch (...) {
      error = std::make_error_code(std::errc::not_enough_memory);
    }
    if (error == asio::error::operation_aborted || !state->acceptor.is_open()) break;
    state->counters.acceptErrors.fetch_add(1, kRelaxed);
    spdlog::warn("proxy: accept failed: {}", error.message());
    // A client that gave up before accept() is no reason to slow down.
    if (error == asio::error::connection_aborted) continue;
    backoff.expires_after(kAcceptBackoff);
    co_await backoff.async_wait(kAsTuple);
  }
}

std::error_code lastError() { return {errno, std::generic_category()}; }

std::error_code checkListening(int fd, tcp& protocol) {
  int listening = 0;
  socklen_t length = sizeof(listening);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0) return lastError();
  if (listening == 0) return std::make_error_code(std::errc::invalid_argument);
  sockaddr_storage address{};
  length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return lastError();
  if (address.ss_family == AF_INET) {
    protocol = tcp::v4();
  } else if (address.ss_family == AF_INET6) {
    protocol = tcp::v6();
  } else {
    return std::make_error_code(std::errc::address_family_not_supported);
  }
  return {};
}

}  // namespace

std::unique_ptr<Listener> Listener::adopt(asio::any_io_executor executor, int listeningFd,
                                          Handler handler, RelayCounters& counters,
                                          std::error_code& error) {
  tcp protocol = tcp::v4();
  error = checkListening(listeningFd, protocol);
  if (error) {
    ::close(listeningFd);
    return nullptr;
  }
  std::shared_ptr<State> state;
  try {
    state = std::make_shared<State>(std::move(executor), std::move(handler), counters);
  } catch (...) {
    ::close(listeningFd);
    error = std::make_error_code(std::errc::not_enough_memory);
    return nullptr;
  }
  state->acceptor.assign(protocol, listeningFd, error);
  if (error) {
    ::close(listeningFd);
    return nullptr;
  }
  // From here on the acceptor owns the fd and closes it with the state.
  const tcp::endpoint local = state->acceptor.local_endpoint(error);
  if (error) return nullptr;
  try {
    std::unique_ptr<Listener> listener(new Listener(state, local));
    const auto strand = state->strand;
    asio::co_spawn(strand, acceptLoop(std::move(state)), asio::detached);
    return listener;
  } catch (...) {
    error = std::make_error_code(std::errc::not_enough_memory);
    return nullptr;
  }
}

Listener::Listener(std::shared_ptr<State> state, tcp::endpoint localEndpoint)
    : state_(std::move(state)), localEndpoint_(localEndpoint) {}

Listener::~Listener() { stop(); }

void Listener::stop() {
  try {
    asio::dispatch(state_->strand, [state = state_] {
      std::error_code ignored;
      state->acceptor.close(ignored);
    });
  } catch (const std::exception& error) {
    spdlog::error("proxy: cannot stop a listener: {}", error.what());
  }
}

}  // namespace ztls::proxy
