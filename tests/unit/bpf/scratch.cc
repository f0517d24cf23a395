#include "scratch.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace ztls::bpf::test {
namespace {

// Not in glibc 2.36's headers; stable kernel ABI since 5.14.
constexpr int kSoNetnsCookie = 71;

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::string scratchName(std::string_view what) {
  return "ztls-t-" + std::to_string(::getpid()) + "-" + std::string(what);
}

void run(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("command failed (status " + std::to_string(status) + "): " + command);
}

std::string missingPrivileges() {
  constexpr const char* kWhy =
      "these tests load BPF programs and create namespaces, cgroups and bpffs pins: run them as "
      "root with CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN";
  if (::geteuid() != 0) return std::string(kWhy) + " (effective uid is not 0)";
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    const std::uint64_t effective = std::stoull(line.substr(7), nullptr, 16);
    const std::pair<int, const char*> needed[] = {
        {12, "CAP_NET_ADMIN"}, {21, "CAP_SYS_ADMIN"}, {39, "CAP_BPF"}};
    for (const auto& [bit, name] : needed)
      if ((effective & (std::uint64_t{1} << bit)) == 0)
        return std::string(kWhy) + " (" + name + " is missing)";
  }
  return {};
}

ScratchNetns::ScratchNetns(std::string_view what) : name_(scratchName(what)) {
  run("ip netns add " + name_);
  try {
    fd_ = UniqueFd(::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_) fail("opening /run/netns/" + name_);
    ip("link set lo up");
  } catch (...) {
    remove();
    throw;
  }
}

ScratchNetns::~ScratchNetns() { remove(); }

void ScratchNetns::remove() noexcept {
  fd_.reset();
  // Best effort: a destructor must not throw, and a leftover is visible.
  if (std::system(("ip netns del " + name_ + " 2>/dev/null").c_str()) != 0) {
  }
}

void ScratchNetns::ip(const std::string& args) const { run("ip -n " + name_ + " " + args); }

EnterNetns::EnterNetns(int netnsFd)
    : original_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
  if (!original_) fail("opening /proc/thread-self/ns/net");
  if (::setns(netnsFd, CLONE_NEWNET) != 0) fail("setns into a test network namespace");
}

EnterNetns::~EnterNetns() {
  if (::setns(original_.get(), CLONE_NEWNET) != 0) std::abort();  // later tests would run astray
}

std::uint64_t netnsCookieOf(int netnsFd) {
  EnterNetns inside(netnsFd);
  UniqueFd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe) fail("socket");
  std::uint64_t cookie = 0;
  socklen_t length = sizeof(cookie);
  if (::getsockopt(probe.get(), SOL_SOCKET, kSoNetnsCookie, &cookie, &length) != 0)
    fail("getsockopt(SO_NETNS_COOKIE)");
  return cookie;
}

std::filesystem::path cgroup2Mount() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point, field, fsType;
    fields >> id >> parent >> device >> root >> point;
    while (fields >> field && field != "-") {
    }
    if (fields >> fsType && fsType == "cgroup2") return point;
  }
  throw std::runtime_error("no cgroup2 file system in /proc/self/mountinfo");
}

ScratchCgroup::ScratchCgroup(std::string_view what) : path_(cgroup2Mount() / scratchName(what)) {
  if (::mkdir(path_.c_str(), 0755) != 0) fail("mkdir " + path_.string());
}

ScratchCgroup::~ScratchCgroup() { ::rmdir(path_.c_str()); }

}  // namespace ztls::bpf::test
