// Thin, checked wrappers over the host facilities the lab drives: child processes,
// files written so that concurrent readers never see half of them, and cgroup v2.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ztls::lab {

struct CommandResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

// Runs argv (PATH lookup) with `input` on stdin, optionally inside a named network
// namespace (setns only: the mount namespace and /sys stay the host's).
CommandResult runCommand(const std::vector<std::string>& argv, const std::string& input = {},
                         const std::optional<std::string>& netnsName = std::nullopt,
                         const std::vector<std::string>& extraEnv = {});
// Same, but a non-zero exit is an error naming the command and its stderr.
std::string runChecked(const std::vector<std::string>& argv, const std::string& input = {},
                       const std::optional<std::string>& netnsName = std::nullopt);

std::filesystem::path netnsPath(const std::string& netnsName);
bool netnsExists(const std::string& netnsName);
std::vector<std::string> listNetns();

// Readers (the agents) watch these files: write a sibling and rename over.
void writeFileAtomic(const std::filesystem::path& path, const std::string& content);
// Bind-mounted files (pod hosts files) must keep their inode: rewrite in place.
void writeFileInPlace(const std::filesystem::path& path, const std::string& content);
std::string readFile(const std::filesystem::path& path);

// The cgroup v2 mount point, read from /proc/self/mountinfo (it is not always
// /sys/fs/cgroup: hybrid hosts mount it at /sys/fs/cgroup/unified).
std::filesystem::path cgroup2Mount();
void moveToCgroup(const std::filesystem::path& cgroupDir, pid_t pid);
// Kills every process in the subtree (cgroup.kill) and removes the directories.
void destroyCgroupTree(const std::filesystem::path& cgroupDir);

bool processAlive(pid_t pid);
// SIGTERM, then SIGKILL after `graceMs`; only for processes the lab started itself.
void stopProcess(pid_t pid, int graceMs = 3000);

}  // namespace ztls::lab
