#include "bpffs.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "errors.h"

namespace ztls::bpf::detail {
namespace {

constexpr const char* kBpffsMountPoint = "/sys/fs/bpf";

// /proc/self/mountinfo: "id parent dev root mountpoint opts [tags] - fstype src superopts".
bool bpffsMountedAt(const std::string& mountPoint) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  if (!mountinfo) throwErrno(errno, "reading /proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point, field;
    fields >> id >> parent >> device >> root >> point;
    if (point != mountPoint) continue;
    while (fields >> field && field != "-") {
    }
    std::string fsType;
    if (fields >> fsType && fsType == "bpf") return true;
  }
  return false;
}

}  // namespace

void ensureBpffsMounted() {
  if (bpffsMountedAt(kBpffsMountPoint)) return;
  std::error_code ignored;
  std::filesystem::create_directories(kBpffsMountPoint, ignored);
  if (::mount("bpf", kBpffsMountPoint, "bpf", 0, "mode=0700") != 0)
    throwErrno(errno, std::string("mounting bpffs on ") + kBpffsMountPoint);
}

void createPinDirectory(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw std::system_error(error, "creating BPF pin directory " + dir.string());
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) throwErrno(errno, "statfs " + dir.string());
  if (fs.f_type != BPF_FS_MAGIC)
    throw std::runtime_error("BPF pin directory " + dir.string() + " is not on a bpf filesystem");
}

}  // namespace ztls::bpf::detail
