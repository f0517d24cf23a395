// Unix-socket facts the server and the client share. gRPC reports only "failed to
// connect" for every cause; a plain connect() tells a missing file from a dead agent from
// a permission problem, which is what an operator needs to read.
#pragma once

#include <string>

namespace ztls::api {

// Accepts "unix:/abs/path", "unix:///abs/path" and "/abs/path"; throws ApiError
// (kInvalidArgument) for anything else, including paths too long for sockaddr_un.
std::string socketPathFromTarget(const std::string& target);

// 0 when something accepts connections at `path`, otherwise the connect() errno.
int probeUnixSocket(const std::string& path);

// "connection refused", "no such socket file", ... for an errno from probeUnixSocket.
std::string describeConnectError(int error);

}  // namespace ztls::api
