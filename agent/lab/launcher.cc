#include "lab/launcher.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ztls::lab {
namespace {

[[noreturn]] void fail(const char* step, const char* detail = "") {
  dprintf(STDERR_FILENO, "ztls-lab: cannot start the pod process: %s%s: %s\n", step, detail,
          strerror(errno));
  _exit(126);
}

// Child side, between fork and exec.
[[noreturn]] void enterPodAndExec(const LaunchSpec& spec, int netnsFd) {
  if (spec.cgroup) {
    const std::string procs = (*spec.cgroup / "cgroup.procs").string();
    const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0\n", 2) != 2) fail("joining cgroup ", procs.c_str());
    ::close(fd);
  }
  if (setns(netnsFd, CLONE_NEWNET) != 0) fail("setns");
  if (spec.hostsFile) {
    if (unshare(CLONE_NEWNS) != 0) fail("unshare mount namespace");
    // Keep our bind mount from propagating back into the host's mount namespace.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
      fail("mount --make-rslave /");
    if (mount(spec.hostsFile->c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0) {
      fail("bind-mounting the hosts file ", spec.hostsFile->c_str());
    }
  }
  if (chdir(spec.workingDirectory.c_str()) != 0) fail("chdir");
  for (const auto& assignment : spec.env) putenv(const_cast<char*>(assignment.c_str()));
  signal(SIGPIPE, SIG_DFL);
  std::vector<char*> args;
  for (const auto& arg : spec.argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  dprintf(STDERR_FILENO, "%s: %s\n", args[0], strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}

int openNetns(const LaunchSpec& spec) {
  if (spec.argv.empty()) throw std::runtime_error("no command to run");
  const int fd = ::open(spec.netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("network namespace {}: {}", spec.netns.string(), strerror(errno)));
  }
  return fd;
}

}  // namespace

pid_t spawnDetached(const LaunchSpec& spec, const std::filesystem::path& logFile) {
  const int netnsFd = openNetns(spec);
  const int logFd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logFd < 0) {
    ::close(netnsFd);
    throw std::runtime_error(fmt::format("{}: {}", logFile.string(), strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    setsid();
    const int devNull = ::open("/dev/null", O_RDONLY);
    dup2(devNull, STDIN_FILENO);
    dup2(logFd, STDOUT_FILENO);
    dup2(logFd, STDERR_FILENO);
    enterPodAndExec(spec, netnsFd);
  }
  ::close(netnsFd);
  ::close(logFd);
  return pid;
}

int runAttached(const LaunchSpec& spec) {
  const int netnsFd = openNetns(spec);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) enterPodAndExec(spec, netnsFd);
  ::close(netnsFd);
  // The child owns the terminal's signals; we only wait for its verdict.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace ztls::lab
