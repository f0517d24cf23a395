#include "ztls/api/error.h"

namespace ztls::api {

const char* toString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kDeadlineExceeded:
      return "deadline exceeded";
    case ErrorKind::kInvalidArgument:
      return "invalid argument";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kFailedPrecondition:
      return "failed precondition";
    case ErrorKind::kPermissionDenied:
      return "permission denied";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace ztls::api
