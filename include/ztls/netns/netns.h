// Network namespaces: a handle on one, and running code inside one.
//
// A socket belongs to the namespace that was current for the creating thread when it was
// created, for its whole life. So the agent enters a pod's namespace only to create
// sockets (see sockets.h), never to do I/O, and leaves it right away.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <utility>

namespace ztls::netns {

class Netns {
 public:
  // A bind-mounted namespace (/var/run/netns/NAME) or a process's (/proc/PID/ns/net).
  // Throws std::system_error naming the path, or std::invalid_argument when the file is
  // not a network namespace. Reading the cookie enters the namespace (CAP_SYS_ADMIN).
  static Netns open(const std::filesystem::path& path);
  // The calling thread's namespace (threads may have entered different ones).
  static Netns current();

  Netns(Netns&& other) noexcept;
  Netns& operator=(Netns&& other) noexcept;
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  ~Netns();

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  // The kernel's id for the namespace (SO_NETNS_COOKIE), the same value the eBPF programs
  // see through bpf_get_netns_cookie(). Read once when the handle is made.
  std::uint64_t cookie() const { return cookie_; }

 private:
  Netns(int fd, std::filesystem::path path);

  int fd_ = -1;
  std::filesystem::path path_;
  std::uint64_t cookie_ = 0;
};

namespace detail {

// Moves the calling thread into a namespace for the lifetime of the object. Failing to
// move back terminates the process: a thread left in a pod's namespace would silently
// create the agent's later sockets there and misroute traffic.
class NetnsScope {
 public:
  explicit NetnsScope(const Netns& target);  // throws std::system_error
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  int original_ = -1;
  const Netns& target_;
};

}  // namespace detail

// Runs f with the calling thread inside ns and returns its result; the thread's own
// namespace is restored afterwards, also when f throws.
template <class F>
decltype(auto) runIn(const Netns& ns, F&& f) {
  detail::NetnsScope scope(ns);
  return std::invoke(std::forward<F>(f));
}

}  // namespace ztls::netns
