// Connected loopback TCP sockets for the TLS tests, Asio or raw, and running coroutines to
// completion on the test's io_context.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

#include "test_sockets.h"
#include "ztls/proxy/asio.h"

namespace ztls::tls::test {

using proxy::test::Fd;

class Loopback {
 public:
  Loopback();

  asio::io_context& io() { return io_; }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // The two ends of one connection, both on io().
  std::pair<asio::ip::tcp::socket, asio::ip::tcp::socket> asioPair();  // {client, server}
  // A blocking raw client (60 s socket timeouts) and the Asio server end.
  std::pair<Fd, asio::ip::tcp::socket> rawClientPair();
  // An Asio client end and a blocking raw server end.
  std::pair<asio::ip::tcp::socket, Fd> rawServerPair();

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
};

// Runs both coroutines concurrently on `io` (in this thread) until both finished.
template <class A, class B>
std::pair<A, B> runBoth(asio::io_context& io, asio::awaitable<A> a, asio::awaitable<B> b,
                        std::chrono::seconds timeout = std::chrono::seconds(30)) {
  std::optional<A> first;
  std::optional<B> second;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(a), [&](std::exception_ptr error, A value) {
    if (error) failure = error;
    first.emplace(std::move(value));
  });
  asio::co_spawn(io, std::move(b), [&](std::exception_ptr error, B value) {
    if (error) failure = error;
    second.emplace(std::move(value));
  });
  io.restart();
  io.run_for(timeout);
  if (failure) std::rethrow_exception(failure);
  if (!first || !second) throw std::runtime_error("coroutines did not finish within the timeout");
  return {std::move(*first), std::move(*second)};
}

template <class T>
T runOne(asio::io_context& io, asio::awaitable<T> coroutine,
         std::chrono::seconds timeout = std::chrono::seconds(30)) {
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr error, T value) {
    failure = error;
    result.emplace(std::move(value));
  });
  io.restart();
  io.run_for(timeout);
  if (failure) std::rethrow_exception(failure);
  if (!result) throw std::runtime_error("coroutine did not finish within the timeout");
  return std::move(*result);
}

}  // namespace ztls::tls::test
