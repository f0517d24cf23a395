#include "status_mapping.h"

namespace ztls::api {

grpc::Status toGrpcStatus(const ApiError& error) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (error.kind()) {
    case ErrorKind::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case ErrorKind::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case ErrorKind::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case ErrorKind::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case ErrorKind::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case ErrorKind::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case ErrorKind::kInternal:
      break;
  }
  return {code, error.what()};
}

ErrorKind kindFromGrpc(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:  // the server went away mid-call
      return ErrorKind::kUnavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return ErrorKind::kDeadlineExceeded;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return ErrorKind::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND:
      return ErrorKind::kNotFound;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return ErrorKind::kFailedPrecondition;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return ErrorKind::kPermissionDenied;
    default:
      return ErrorKind::kInternal;
  }
}

}  // namespace ztls::api
