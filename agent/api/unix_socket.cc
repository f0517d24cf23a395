#include "unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ztls/api/error.h"

namespace ztls::api {

std::string socketPathFromTarget(const std::string& target) {
  std::string path = target;
  for (const std::string prefix : {"unix://", "unix:"}) {
    if (path.starts_with(prefix)) {
      path.erase(0, prefix.size());
      break;
    }
  }
  if (path.empty() || path.front() != '/') {
    throw ApiError(
        ErrorKind::kInvalidArgument,
        "agent socket \"" + target + "\" must be an absolute path, optionally prefixed with unix:");
  }
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw ApiError(ErrorKind::kInvalidArgument,
                   "agent socket path " + path + " is longer than the " +
                       std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                       " bytes a Unix socket path may have");
  }
  return path;
}

int probeUnixSocket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  int error = 0;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    error = errno;
  }
  ::close(fd);
  return error;
}

std::string describeConnectError(int error) {
  switch (error) {
    case ENOENT:
      return "no such socket file";
    case ECONNREFUSED:
      return "connection refused";
    case EACCES:
    case EPERM:
      return "permission denied (the socket is root only)";
    case ENOTDIR:
      return "a parent of the path is not a directory";
    default:
      return std::strerror(error);
  }
}

}  // namespace ztls::api
