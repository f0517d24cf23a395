#include "pinned_link.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>

#include "errors.h"

namespace ztls::bpf::detail {
namespace {

LinkPtr attachNew(bpf_program* program, const LinkTarget& target) {
  errno = 0;
  LinkPtr link(target.attach(program));
  if (!link)
    throwErrno(errno ? errno : EINVAL, std::string("attaching BPF program ") +
                                           bpf_program__name(program) + " to " +
                                           target.description);
  return link;
}

void pinNew(bpf_link* link, const std::filesystem::path& pin) {
  if (int err = bpf_link__pin(link, pin.c_str()); err != 0)
    throwErrno(-err, "pinning BPF link at " + pin.string());
}

bpf_link_info infoOf(bpf_link* link, const std::filesystem::path& pin) {
  bpf_link_info info{};
  __u32 length = sizeof(info);
  if (bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &length) != 0)
    throwErrno(errno, "reading BPF link info of " + pin.string());
  return info;
}

}  // namespace

void ensurePinnedLink(const std::filesystem::path& pin, bpf_program* program,
                      const LinkTarget& target) {
  // Checked first because libbpf logs a warning for a missing pin.
  if (::access(pin.c_str(), F_OK) != 0) {
    if (errno != ENOENT) throwErrno(errno, "looking for pinned BPF link " + pin.string());
    LinkPtr fresh = attachNew(program, target);
    pinNew(fresh.get(), pin);
    return;
  }
  errno = 0;
  LinkPtr pinned(bpf_link__open(pin.c_str()));
  if (!pinned) throwErrno(errno ? errno : EINVAL, "opening pinned BPF link " + pin.string());
  if (target.matches(infoOf(pinned.get(), pin))) {
    if (int err = bpf_link__update_program(pinned.get(), program); err != 0)
      throwErrno(-err, "switching pinned BPF link " + pin.string() + " to program " +
                           bpf_program__name(program));
    return;
  }
  LinkPtr fresh = attachNew(program, target);
  // The stale link may still hold its target (another cgroup): detach it
  // explicitly rather than wait for the last reference to go.
  unpinLink(pin);
  pinNew(fresh.get(), pin);
}

void unpinLink(const std::filesystem::path& pin) {
  // Dropping the last reference frees a link from a kernel workqueue, so the
  // program would keep running for a moment after unlink(); an explicit
  // detach takes effect before we return.
  const int fd = bpf_obj_get(pin.c_str());
  if (fd < 0) {
    if (errno == ENOENT) return;
    throwErrno(errno, "opening BPF link pin " + pin.string());
  }
  const int detached = bpf_link_detach(fd);
  const int detachError = errno;
  ::close(fd);
  // EINVAL: not a link (a map or program pin): removing it is all there is.
  if (detached != 0 && detachError != EINVAL)
    throwErrno(detachError, "detaching BPF link " + pin.string());
  if (::unlink(pin.c_str()) != 0 && errno != ENOENT)
    throwErrno(errno, "removing BPF link pin " + pin.string());
}

}  // namespace ztls::bpf::detail
