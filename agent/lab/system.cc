#include "lab/system.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ztls::lab {
namespace {

std::string errnoText(int error) { return std::strerror(error); }

std::string joinArgv(const std::vector<std::string>& argv) {
  std::string joined;
  for (const auto& arg : argv) {
    if (!joined.empty()) joined += ' ';
    joined += arg;
  }
  return joined;
}

// Runs in the forked child only: async-signal-safe calls, then exec.
[[noreturn]] void execChild(const std::vector<std::string>& argv, int netnsFd,
                            const std::vector<std::string>& extraEnv) {
  if (netnsFd >= 0 && setns(netnsFd, CLONE_NEWNET) != 0) {
    dprintf(STDERR_FILENO, "setns: %s\n", strerror(errno));
    _exit(126);
  }
  for (const auto& assignment : extraEnv) putenv(const_cast<char*>(assignment.c_str()));
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  dprintf(STDERR_FILENO, "%s: %s\n", args[0], strerror(errno));
  _exit(127);
}

}  // namespace

std::filesystem::path netnsPath(const std::string& netnsName) {
  return std::filesystem::path("/var/run/netns") / netnsName;
}

bool netnsExists(const std::string& netnsName) {
  return std::filesystem::exists(netnsPath(netnsName));
}

std::vector<std::string> listNetns() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/var/run/netns", error)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

CommandResult runCommand(const std::vector<std::string>& argv, const std::string& input,
                         const std::optional<std::string>& netnsName,
                         const std::vector<std::string>& extraEnv) {
  int netnsFd = -1;
  if (netnsName) {
    netnsFd = ::open(netnsPath(*netnsName).c_str(), O_RDONLY | O_CLOEXEC);
    if (netnsFd < 0) {
      throw std::runtime_error(
          fmt::format("network namespace {}: {}", *netnsName, errnoText(errno)));
    }
  }
  int inPipe[2];
  int outPipe[2];
  int errPipe[2];
  if (pipe2(inPipe, O_CLOEXEC) != 0 || pipe2(outPipe, O_CLOEXEC) != 0 ||
      pipe2(errPipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe: " + errnoText(errno));
  }
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + errnoText(errno));
  if (pid == 0) {
    dup2(inPipe[0], STDIN_FILENO);
    dup2(outPipe[1], STDOUT_FILENO);
    dup2(errPipe[1], STDERR_FILENO);
    execChild(argv, netnsFd, extraEnv);
  }
  if (netnsFd >= 0) ::close(netnsFd);
  ::close(inPipe[0]);
  ::close(outPipe[1]);
  ::close(errPipe[1]);

  CommandResult result;
  std::size_t written = 0;
  int inFd = inPipe[1];
  if (input.empty()) {
    ::close(inFd);
    inFd = -1;
  } else {
    fcntl(inFd, F_SETFL, O_NONBLOCK);
  }
  bool outOpen = true;
  bool errOpen = true;
  char buffer[16384];
  while (outOpen || errOpen || inFd >= 0) {
    pollfd fds[3] = {{outOpen ? outPipe[0] : -1, POLLIN, 0},
                     {errOpen ? errPipe[0] : -1, POLLIN, 0},
                     {inFd, POLLOUT, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        (i == 0 ? outOpen : errOpen) = false;
      }
    }
    if (inFd >= 0 && fds[2].revents != 0) {
      const ssize_t n = ::write(inFd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
      if (written == input.size()) {
        ::close(inFd);
        inFd = -1;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string runChecked(const std::vector<std::string>& argv, const std::string& input,
                       const std::optional<std::string>& netnsName) {
  CommandResult result = runCommand(argv, input, netnsName);
  if (result.exitCode != 0) {
    std::string where = netnsName ? " (in network namespace " + *netnsName + ")" : "";
    throw std::runtime_error(fmt::format("`{}`{} failed with exit code {}: {}", joinArgv(argv),
                                         where, result.exitCode, result.err));
  }
  return result.out;
}

void writeFileAtomic(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, path);
}

void writeFileInPlace(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.flush();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::filesystem::path cgroup2Mount() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    // "... mount-point options - fstype source super-options"
    const auto separator = line.find(" - ");
    if (separator == std::string::npos) continue;
    std::istringstream tail(line.substr(separator + 3));
    std::string fsType;
    tail >> fsType;
    if (fsType != "cgroup2") continue;
    std::istringstream head(line.substr(0, separator));
    std::string field;
    for (int i = 0; i < 5 && head >> field; ++i) {
    }
    return field;
  }
  throw std::runtime_error(
      "no cgroup v2 mount found in /proc/self/mountinfo; the lab needs cgroup2 for pods");
}

void moveToCgroup(const std::filesystem::path& cgroupDir, pid_t pid) {
  std::ofstream procs(cgroupDir / "cgroup.procs");
  procs << pid << '\n';
  procs.flush();
  if (!procs) {
    throw std::runtime_error(fmt::format("cannot move pid {} into {}", pid, cgroupDir.string()));
  }
}

void destroyCgroupTree(const std::filesystem::path& cgroupDir) {
  if (!std::filesystem::exists(cgroupDir)) return;
  {
    std::ofstream kill(cgroupDir / "cgroup.kill");
    kill << "1\n";
  }
  // Children first; a cgroup can be removed only once its processes are gone.
  std::vector<std::filesystem::path> directories;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(cgroupDir)) {
    if (entry.is_directory()) directories.push_back(entry.path());
  }
  directories.push_back(cgroupDir);
  std::sort(directories.begin(), directories.end(),
            [](const auto& a, const auto& b) { return a.string().size() > b.string().size(); });
  for (const auto& directory : directories) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (::rmdir(directory.c_str()) == 0 || errno == ENOENT) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (std::filesystem::exists(cgroupDir)) {
    throw std::runtime_error("cannot remove cgroup " + cgroupDir.string() +
                             ": processes are still in it");
  }
}

bool processAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0) return false;
  // A zombie of ours counts as gone.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  std::getline(stat, content);
  const auto close = content.rfind(')');
  return close == std::string::npos || content.size() < close + 3 || content[close + 2] != 'Z';
}

void stopProcess(pid_t pid, int graceMs) {
  if (!processAlive(pid)) return;
  ::kill(pid, SIGTERM);
  for (int waited = 0; waited < graceMs; waited += 20) {
    waitpid(pid, nullptr, WNOHANG);
    if (!processAlive(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && processAlive(pid); ++i) {
    waitpid(pid, nullptr, WNOHANG);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace ztls::lab
