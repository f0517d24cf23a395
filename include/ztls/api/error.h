// The one exception type of the agent API, on both sides of the socket. A backend throws
// it to choose the status its caller sees; the client throws it so that callers such as
// the CNI plugin can tell "agent unreachable, try again" from "agent said no".
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ztls::api {

enum class ErrorKind : std::uint8_t {
  kUnavailable,         // agent not running, not listening, or shutting down
  kDeadlineExceeded,    // agent too slow to answer
  kInvalidArgument,     // request is malformed
  kNotFound,            // request names something the agent does not know
  kFailedPrecondition,  // agent cannot do it in its current state (e.g. not ready)
  kPermissionDenied,    // caller may not use the socket
  kInternal,            // anything else
};

const char* toString(ErrorKind kind);

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const { return kind_; }
  // Worth retrying the same call later without changing anything.
  bool transient() const {
    return kind_ == ErrorKind::kUnavailable || kind_ == ErrorKind::kDeadlineExceeded;
  }

 private:
  ErrorKind kind_;
};

}  // namespace ztls::api
