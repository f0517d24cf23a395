// ApiError <-> grpc::Status, so a backend's error kind survives the socket.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "ztls/api/error.h"

namespace ztls::api {

grpc::Status toGrpcStatus(const ApiError& error);
ErrorKind kindFromGrpc(grpc::StatusCode code);

}  // namespace ztls::api
