#include "ztls/netns/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>

#include "ztls/unique_fd.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71  // Linux 5.14; older libc headers lack it
#endif

namespace ztls::netns {

namespace {

// Per thread: after a setns() this thread's namespace differs from the process's.
constexpr const char* kThreadNetns = "/proc/thread-self/ns/net";

// Reads errno before building the message: allocating could change it.
std::system_error systemError(const char* what, const std::filesystem::path& subject = {}) {
  const int error = errno;
  std::string message = what;
  if (!subject.empty()) message += " " + subject.string();
  return std::system_error(error, std::generic_category(), message);
}

UniqueFd openNamespaceFile(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw systemError("cannot open network namespace", path);
  return fd;
}

// An AF_UNIX socket works in every namespace, even one where IPv4 is not configured.
std::uint64_t cookieOfCurrentNamespace() {
  UniqueFd probe(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe) throw systemError("cannot create a socket to read the netns cookie");
  std::uint64_t cookie = 0;
  socklen_t length = sizeof(cookie);
  if (::getsockopt(probe.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &length) != 0) {
    throw systemError("cannot read SO_NETNS_COOKIE (needs Linux 5.14 or later)");
  }
  return cookie;
}

}  // namespace

Netns::Netns(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}

Netns Netns::open(const std::filesystem::path& path) {
  UniqueFd fd = openNamespaceFile(path);
  const int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type < 0) {
    const int error = errno;
    throw std::invalid_argument(
        path.string() + " is not a namespace file: " + std::generic_category().message(error));
  }
  if (type != CLONE_NEWNET) {
    throw std::invalid_argument(path.string() + " is a namespace, but not a network namespace");
  }
  Netns ns(fd.release(), path);
  ns.cookie_ = runIn(ns, cookieOfCurrentNamespace);
  return ns;
}

Netns Netns::current() {
  UniqueFd fd = openNamespaceFile(kThreadNetns);
  Netns ns(fd.release(), kThreadNetns);
  ns.cookie_ = cookieOfCurrentNamespace();
  return ns;
}

Netns::Netns(Netns&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      cookie_(std::exchange(other.cookie_, 0)) {}

Netns& Netns::operator=(Netns&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    cookie_ = std::exchange(other.cookie_, 0);
  }
  return *this;
}

Netns::~Netns() {
  if (fd_ >= 0) ::close(fd_);
}

namespace detail {

NetnsScope::NetnsScope(const Netns& target) : target_(target) {
  UniqueFd original = openNamespaceFile(kThreadNetns);
  // Already there (say, the host namespace for host listeners): no setns(), which also
  // spares the CAP_SYS_ADMIN check.
  struct stat here = {};
  struct stat there = {};
  if (::fstat(original.get(), &here) == 0 && ::fstat(target.fd(), &there) == 0 &&
      here.st_dev == there.st_dev && here.st_ino == there.st_ino) {
    return;
  }
  if (::setns(target.fd(), CLONE_NEWNET) != 0) {
    throw systemError("cannot enter network namespace", target.path());
  }
  original_ = original.release();
}

NetnsScope::~NetnsScope() {
  if (original_ < 0) return;
  if (::setns(original_, CLONE_NEWNET) != 0) {
    const int error = errno;
    std::fprintf(stderr,
                 "ztls: fatal: cannot return from network namespace %s to the thread's own "
                 "namespace: %s; stopping rather than creating sockets in the wrong "
                 "namespace\n",
                 target_.path().c_str(), std::generic_category().message(error).c_str());
    std::terminate();
  }
  ::close(original_);
}

}  // namespace detail

}  // namespace ztls::netns
