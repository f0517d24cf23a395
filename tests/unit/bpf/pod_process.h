// A forked process placed like a pod's: in a cgroup, then in a network
// namespace. The order matters: joining the cgroup goes through the cgroup
// file system, which is reachable from the test's mount namespace only.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>

#include "ztls/unique_fd.h"

namespace ztls::bpf::test {

class PodProcess {
 public:
  // `body` runs in the child and returns an errno-style result; the child
  // then stays alive (keeping its sockets open) until this object goes.
  PodProcess(const std::filesystem::path& cgroup, int netnsFd, const std::function<int()>& body);
  ~PodProcess();
  PodProcess(const PodProcess&) = delete;
  PodProcess& operator=(const PodProcess&) = delete;

  // The body's result; throws if the child did not report in time.
  int result(int timeoutMs = 5000);

 private:
  pid_t pid_ = -1;
  UniqueFd results_;  // child -> parent
  UniqueFd release_;  // parent -> child; closing it lets the child exit
};

}  // namespace ztls::bpf::test
