#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <stdexcept>

#include "capture_state.h"
#include "errors.h"
#include "pinned_link.h"
#include "ztls/unique_fd.h"

namespace ztls::bpf {
namespace {

using detail::throwErrno;

// On cgroup v2 the directory's inode number is the cgroup id that link info
// reports.
std::uint64_t cgroupIdOf(int cgroupFd, const std::filesystem::path& dir) {
  struct statfs fs {};
  if (::fstatfs(cgroupFd, &fs) != 0) throwErrno(errno, "statfs " + dir.string());
  // On hybrid hosts /sys/fs/cgroup is a tmpfs of v1 hierarchies and the v2
  // one is mounted elsewhere (/sys/fs/cgroup/unified).
  if (fs.f_type != CGROUP2_SUPER_MAGIC)
    throw std::runtime_error(dir.string() + " is not a cgroup v2 directory");
  struct stat st {};
  if (::fstat(cgroupFd, &st) != 0) throwErrno(errno, "stat " + dir.string());
  return st.st_ino;
}

}  // namespace

void Capture::attachCgroup(const std::filesystem::path& cgroupDir) {
  UniqueFd cgroup(::open(cgroupDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) throwErrno(errno, "opening cgroup " + cgroupDir.string());
  const std::uint64_t cgroupId = cgroupIdOf(cgroup.get(), cgroupDir);

  const detail::LinkTarget target{
      .description = "cgroup " + cgroupDir.string(),
      .attach = [fd = cgroup.get()](
                    bpf_program* program) { return bpf_program__attach_cgroup(program, fd); },
      .matches =
          [cgroupId](const bpf_link_info& info) {
            return info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id == cgroupId;
          },
  };
  const auto& progs = state_->skeleton->progs;
  detail::ensurePinnedLink(state_->pinDir / "connect4", progs.ztls_outbound_connect4, target);
  detail::ensurePinnedLink(state_->pinDir / "connect6", progs.ztls_outbound_connect6, target);
  detail::ensurePinnedLink(state_->pinDir / "sockops", progs.ztls_sockops, target);
}

}  // namespace ztls::bpf
