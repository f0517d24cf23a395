#include "socket_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "unix_socket.h"
#include "ztls/api/error.h"

namespace ztls::api {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw ApiError(ErrorKind::kFailedPrecondition,
                 "cannot serve the agent API at " + path + ": " + why);
}

}  // namespace

void claimSocketPath(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  if (error) fail(path, "cannot create its directory: " + error.message());

  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    fail(path, std::strerror(errno));
  }
  if (!S_ISSOCK(info.st_mode)) fail(path, "the path exists and is not a socket");
  const int probe = probeUnixSocket(path);
  if (probe == 0) fail(path, "another ztls agent is already serving there");
  if (probe != ECONNREFUSED) fail(path, describeConnectError(probe));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    fail(path, std::string("cannot remove the stale socket: ") + std::strerror(errno));
  }
}

FileIdentity restrictSocketFile(const std::string& path) {
  struct stat info {};
  if (::chmod(path.c_str(), S_IRUSR | S_IWUSR) != 0 || ::lstat(path.c_str(), &info) != 0) {
    fail(path, std::string("cannot restrict the socket to root: ") + std::strerror(errno));
  }
  return {.device = info.st_dev, .inode = info.st_ino};
}

void removeSocketFile(const std::string& path, FileIdentity identity) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0 && info.st_dev == identity.device &&
      info.st_ino == identity.inode) {
    ::unlink(path.c_str());
  }
}

ScopedUmask::ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
ScopedUmask::~ScopedUmask() { ::umask(previous_); }

}  // namespace ztls::api
