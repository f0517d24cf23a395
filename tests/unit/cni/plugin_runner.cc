#include "plugin_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

extern char** environ;

namespace ztls::test {
namespace {

// A file per stream: the plugin can write any amount to stdout and stderr without the
// two of us deadlocking on full pipes.
class TempFile {
 public:
  TempFile() : fd_(::mkostemp(path_, O_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("mkostemp failed");
  }
  ~TempFile() {
    ::close(fd_);
    ::unlink(path_);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  void write(const std::string& text) {
    if (::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      throw std::runtime_error("cannot write the plugin's stdin");
    }
  }
  std::string read() const {
    std::string text;
    char buffer[4096];
    off_t offset = 0;
    for (ssize_t n; (n = ::pread(fd_, buffer, sizeof(buffer), offset)) > 0; offset += n) {
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

 private:
  char path_[32] = "/tmp/ztls-cni-io-XXXXXX";
  int fd_;
};

}  // namespace

PluginRun runCniPlugin(const std::map<std::string, std::string>& vars, const std::string& input) {
  TempFile in, out, err;
  in.write(input);

  std::vector<std::string> envStrings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string(*entry).rfind("CNI_", 0) != 0) envStrings.emplace_back(*entry);
  }
  for (const auto& [key, value] : vars) envStrings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (std::string& entry : envStrings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  std::string program = ZTLS_CNI_PATH;
  char* argv[] = {program.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.fd(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fd(), STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw std::runtime_error("cannot start " + program);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  PluginRun run;
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = out.read();
  run.err = err.read();
  return run;
}

}  // namespace ztls::test
