// The API socket's file on disk: who may connect is decided by its mode alone, so its
// creation, replacement and removal are handled deliberately rather than left to gRPC.
#pragma once

#include <sys/types.h>

#include <string>

namespace ztls::api {

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
};

// Makes `path` ready to bind: creates missing parent directories and removes a socket
// file that nobody listens on any more (an agent that crashed). Throws ApiError when a
// live agent already serves there or when the path holds something other than a socket.
void claimSocketPath(const std::string& path);

// Sets mode 0600 and remembers which file this is, for removeSocketFile.
FileIdentity restrictSocketFile(const std::string& path);

// Removes `path` only if it is still the file we created; a successor agent may already
// have replaced it with its own.
void removeSocketFile(const std::string& path, FileIdentity identity);

// umask is process-wide, so this briefly narrows the mode of any file another thread
// creates too; that errs on the safe side and lasts only while the socket is bound.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask);
  ~ScopedUmask();
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t previous_;
};

}  // namespace ztls::api
