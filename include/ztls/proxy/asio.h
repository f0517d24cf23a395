// The one place the proxy includes Asio, so every user gets the same configuration
// (ASIO_STANDALONE and friends come from the ztls_asio CMake target).
#pragma once

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

namespace ztls::proxy {

// Completion token for data-path operations: errors come back as values, never as
// exceptions, so every failure is handled (and counted) where it happens.
inline constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace ztls::proxy
