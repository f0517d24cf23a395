// Starts processes the way a container runtime would for our lab pods: inside the
// pod's cgroup (joined first, so every child stays accounted to the pod), then its
// network namespace, then a private mount namespace where the pod's hosts file is
// bound over /etc/hosts. /sys is left alone, unlike `ip netns exec`, so cgroup and
// bpffs mounts stay visible.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ztls::lab {

struct LaunchSpec {
  std::vector<std::string> argv;
  std::filesystem::path netns;                  // /var/run/netns/NAME
  std::optional<std::filesystem::path> cgroup;  // joined before anything else
  std::optional<std::filesystem::path> hostsFile;
  std::vector<std::string> env;  // KEY=VALUE added to the lab's environment
  std::filesystem::path workingDirectory = "/";
};

// Detached (own session, stdio to logFile): returns the pid; the lab records it.
pid_t spawnDetached(const LaunchSpec& spec, const std::filesystem::path& logFile);

// Foreground with the caller's stdin/stdout/stderr; returns the command's exit status
// (128+signal when killed), as kubectl exec does.
int runAttached(const LaunchSpec& spec);

}  // namespace ztls::lab
