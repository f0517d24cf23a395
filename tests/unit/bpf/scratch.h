// Kernel objects a test creates for itself and always removes: network
// namespaces, cgroups, a bpffs pin directory. Names start with ztls-t- and
// carry the pid so concurrent test processes never share one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "ztls/unique_fd.h"

namespace ztls::bpf::test {

// "ztls-t-<pid>-<what>"
std::string scratchName(std::string_view what);

// Runs a shell command; throws std::runtime_error naming it if it fails.
void run(const std::string& command);

// Why a test cannot run (not root, ...), or empty. Tests FAIL on it.
std::string missingPrivileges();

class ScratchNetns {
 public:
  explicit ScratchNetns(std::string_view what);  // ip netns add
  ~ScratchNetns();                               // ip netns del
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  const std::string& name() const { return name_; }
  int fd() const { return fd_.get(); }
  // Runs `ip -n <name> <args>`.
  void ip(const std::string& args) const;

 private:
  void remove() noexcept;

  std::string name_;
  UniqueFd fd_;
};

// Switches the calling thread into a network namespace for its lifetime.
class EnterNetns {
 public:
  explicit EnterNetns(int netnsFd);
  ~EnterNetns();
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;

 private:
  UniqueFd original_;
};

// What the agent's netns component computes: SO_NETNS_COOKIE of a socket
// created inside the namespace.
std::uint64_t netnsCookieOf(int netnsFd);

// The cgroup v2 mount point (found in /proc/self/mountinfo; on hybrid hosts
// it is /sys/fs/cgroup/unified, not /sys/fs/cgroup).
std::filesystem::path cgroup2Mount();

class ScratchCgroup {
 public:
  explicit ScratchCgroup(std::string_view what);  // mkdir under cgroup2Mount()
  ~ScratchCgroup();                               // rmdir; its processes must have exited
  ScratchCgroup(const ScratchCgroup&) = delete;
  ScratchCgroup& operator=(const ScratchCgroup&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ztls::bpf::test
