// Runs one coroutine to completion on an io_context, in the calling thread.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>

#include "ztls/proxy/asio.h"

namespace ztls::proxy::test {

template <class T>
T runCoroutine(asio::io_context& io, asio::awaitable<T> coroutine,
               std::chrono::seconds timeout = std::chrono::seconds(30)) {
  // A plain callback rather than use_future: that one completes on another executor,
  // so the future may not be ready yet when run_for() returns.
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr error, T value) {
    failure = error;
    result.emplace(std::move(value));
  });
  io.run_for(timeout);
  if (failure) std::rethrow_exception(failure);
  if (!result) throw std::runtime_error("coroutine did not finish within the timeout");
  return std::move(*result);
}

}  // namespace ztls::proxy::test
