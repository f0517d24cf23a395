#include "pod_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ztls::bpf::test {
namespace {

// Child side: only plain syscalls, then _exit (no gtest, no destructors).
[[noreturn]] void childMain(const std::filesystem::path& cgroup, int netnsFd,
                            const std::function<int()>& body, int results, int release) {
  int result = 0;
  const std::string pid = std::to_string(::getpid());
  const int procs = ::open((cgroup / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (procs < 0 || ::write(procs, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size()))
    result = 1000 + errno;
  else if (::setns(netnsFd, CLONE_NEWNET) != 0)
    result = 2000 + errno;
  else
    result = body();
  if (::write(results, &result, sizeof(result)) != sizeof(result)) ::_exit(3);
  char ignored = 0;
  while (::read(release, &ignored, 1) > 0) {
  }
  ::_exit(0);
}

}  // namespace

PodProcess::PodProcess(const std::filesystem::path& cgroup, int netnsFd,
                       const std::function<int()>& body) {
  int results[2];
  int release[2];
  if (::pipe2(results, O_CLOEXEC) != 0 || ::pipe2(release, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  pid_ = ::fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    ::close(results[0]);
    ::close(release[1]);
    childMain(cgroup, netnsFd, body, results[1], release[0]);
  }
  ::close(results[1]);
  ::close(release[0]);
  results_ = UniqueFd(results[0]);
  release_ = UniqueFd(release[1]);
}

PodProcess::~PodProcess() {
  release_.reset();
  int status = 0;
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
    ::usleep(20'000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
}

int PodProcess::result(int timeoutMs) {
  pollfd waiting{.fd = results_.get(), .events = POLLIN, .revents = 0};
  int result = 0;
  if (::poll(&waiting, 1, timeoutMs) != 1 ||
      ::read(results_.get(), &result, sizeof(result)) != sizeof(result))
    throw std::runtime_error("the pod process did not report within " + std::to_string(timeoutMs) +
                             " ms");
  return result;
}

}  // namespace ztls::bpf::test
