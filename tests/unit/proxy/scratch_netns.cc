#include "scratch_netns.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;

namespace ztls::proxy::test {

namespace {

// Exit status of `ip args...`; throws when `ip` cannot be run at all.
int runIp(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int error = ::posix_spawnp(&pid, "ip", nullptr, nullptr, argv.data(), environ);
  if (error != 0) {
    throw std::runtime_error(
        "cannot run `ip` (iproute2) from PATH: " + std::generic_category().message(error) +
        "; the namespace tests need it (apt-get install iproute2)");
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) throw std::runtime_error("waitpid for `ip` failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

ScratchNetns::ScratchNetns(const std::string& tag)
    : name_("ztls-t-" + std::to_string(::getpid()) + "-" + tag) {
  if (::geteuid() != 0) {
    throw std::runtime_error(
        "the namespace tests must run as root: they create network namespaces with "
        "`ip netns add` (euid is " +
        std::to_string(::geteuid()) + ")");
  }
  if (runIp({"netns", "add", name_}) != 0) {
    // Left behind by an earlier run whose process had the same pid: start afresh.
    runIp({"netns", "del", name_});
    if (runIp({"netns", "add", name_}) != 0) {
      throw std::runtime_error("`ip netns add " + name_ + "` failed (see its message above)");
    }
  }
  if (runIp({"-n", name_, "link", "set", "lo", "up"}) != 0) {
    runIp({"netns", "del", name_});
    throw std::runtime_error("`ip -n " + name_ + " link set lo up` failed");
  }
}

ScratchNetns::~ScratchNetns() {
  try {
    if (runIp({"netns", "del", name_}) != 0) {
      std::fprintf(stderr, "warning: `ip netns del %s` failed\n", name_.c_str());
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "warning: cannot delete namespace %s: %s\n", name_.c_str(), error.what());
  }
}

}  // namespace ztls::proxy::test
