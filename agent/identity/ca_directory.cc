#include "ca_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "pem_io.h"

namespace ztls::identity::detail {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void throwErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Held for the whole open-or-create; released when the descriptor closes. flock locks
// belong to the open file description, so two threads of one process exclude each other
// as two processes do.
Fd lockDirectory(const fs::path& dir) {
  fs::path path = dir / kLockFile;
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) throwErrno("cannot open lock file " + path.string());
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) throwErrno("cannot lock " + path.string());
  }
  return fd;
}

void makeDirectory(const fs::path& dir) {
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throwErrno("cannot create CA directory " + dir.string());
  }
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + " is not a directory");
}

std::string readFile(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throwErrno("cannot open " + path.string());
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throwErrno("cannot read " + path.string());
    if (n == 0) return content;
    content.append(buffer, static_cast<std::size_t>(n));
  }
}

// Writes `content` to a temporary file with exactly `mode` (whatever the umask), syncs
// it, and renames it over `path`: readers see the old file or the whole new one.
void writeFileAtomically(const fs::path& path, const std::string& content, mode_t mode) {
  std::string temporary = path.string() + ".tmp.XXXXXX";
  {
    Fd fd(::mkostemp(temporary.data(), O_CLOEXEC));  // created 0600, exclusively
    if (fd.get() < 0) throwErrno("cannot create a temporary file next to " + path.string());
    bool ok = ::fchmod(fd.get(), mode) == 0;
    for (std::size_t written = 0; ok && written < content.size();) {
      ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) written += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd.get()) == 0;
    if (!ok) {
      int saved = errno;
      ::unlink(temporary.c_str());
      errno = saved;
      throwErrno("cannot write " + temporary);
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    throwErrno("cannot rename " + temporary + " to " + path.string());
  }
}

void syncDirectory(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) throwErrno("cannot sync " + dir.string());
}

RootMaterial createRoot(const fs::path& dir, const fs::path& certificatePath,
                        const fs::path& keyPath, const std::string& trustDomain) {
  // The directory is about to hold the key: owner only, even if it existed before.
  if (::chmod(dir.c_str(), 0700) != 0) throwErrno("cannot make " + dir.string() + " mode 0700");
  RootMaterial root = makeRoot(trustDomain, std::chrono::system_clock::now());
  // Key first, certificate last: the certificate's presence marks a complete root.
  writeFileAtomically(keyPath, privateKeyToPem(root.key.get()), 0600);
  writeFileAtomically(certificatePath, certificateToPem(root.certificate.get()), 0644);
  syncDirectory(dir);
  return root;
}

}  // namespace

RootMaterial loadOrCreateRoot(const fs::path& dir, const std::string& trustDomain) {
  makeDirectory(dir);
  Fd lock = lockDirectory(dir);

  fs::path certificatePath = dir / kRootCertificateFile;
  fs::path keyPath = dir / kRootKeyFile;
  bool haveCertificate = fs::exists(certificatePath);
  bool haveKey = fs::exists(keyPath);
  if (!haveCertificate && !haveKey) {
    return createRoot(dir, certificatePath, keyPath, trustDomain);
  }
  // Making a new root here would give this agent a root its peers do not trust.
  if (!haveKey) {
    throw std::runtime_error("mesh root certificate " + certificatePath.string() +
                             " exists but its key " + keyPath.string() +
                             " is missing; restore it (or remove both files to start a new "
                             "mesh root, which every agent must then reload)");
  }
  if (!haveCertificate) {
    throw std::runtime_error("mesh root key " + keyPath.string() + " exists but its certificate " +
                             certificatePath.string() +
                             " is missing; restore it (or remove both files to start a new "
                             "mesh root, which every agent must then reload)");
  }
  RootMaterial root;
  root.certificate = certificateFromPem(readFile(certificatePath), certificatePath.string());
  root.key = privateKeyFromPem(readFile(keyPath), keyPath.string());
  checkRoot(root, certificatePath.string(), keyPath.string(), std::chrono::system_clock::now());
  return root;
}

}  // namespace ztls::identity::detail
