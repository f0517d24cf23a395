#include <bpf/bpf.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "capture_state.h"
#include "errors.h"
#include "pinned_link.h"

namespace ztls::bpf {
namespace {

using detail::throwErrno;

std::filesystem::path skLookupPin(const std::filesystem::path& pinDir, std::uint64_t cookie) {
  return podPinDir(pinDir, cookie) / "sk_lookup";
}

void attachSkLookup(const Capture::State& state, std::uint64_t cookie, int netnsFd) {
  struct stat netns {};
  if (::fstat(netnsFd, &netns) != 0)
    throwErrno(errno, "stat of the network namespace fd of netns " + std::to_string(cookie));
  std::error_code error;
  std::filesystem::create_directories(podPinDir(state.pinDir, cookie), error);
  if (error) throw std::system_error(error, "creating " + podPinDir(state.pinDir, cookie).string());

  const detail::LinkTarget target{
      .description = "network namespace " + std::to_string(cookie),
      .attach =
          [netnsFd](bpf_program* program) { return bpf_program__attach_netns(program, netnsFd); },
      // A namespace that died leaves its link defunct with inode 0.
      .matches =
          [ino = netns.st_ino](const bpf_link_info& info) {
            return info.type == BPF_LINK_TYPE_NETNS && info.netns.netns_ino == ino;
          },
  };
  detail::ensurePinnedLink(skLookupPin(state.pinDir, cookie),
                           state.skeleton->progs.ztls_inbound_lookup, target);
}

}  // namespace

void Capture::enrollNetns(std::uint64_t netnsCookie, int netnsFd, std::uint16_t outboundPort) {
  attachSkLookup(*state_, netnsCookie, netnsFd);
  const __u64 key = netnsCookie;
  const ztls_enrollment enrollment{
      .flags = ZTLS_ENROLL_OUTBOUND, .outbound_port = outboundPort, .pad = 0};
  const int fd = bpf_map__fd(state_->skeleton->maps.enrolled_netns);
  if (bpf_map_update_elem(fd, &key, &enrollment, BPF_ANY) != 0) {
    const int error = errno;
    // All or nothing: a pod captured inbound only would look enrolled.
    try {
      releaseNetns(netnsCookie);
    } catch (const std::exception&) {
      // The insert failure is the error worth reporting.
    }
    throwErrno(error, "adding netns " + std::to_string(netnsCookie) + " to enrolled_netns");
  }
}

void Capture::releaseNetns(std::uint64_t netnsCookie) {
  const __u64 key = netnsCookie;
  const int fd = bpf_map__fd(state_->skeleton->maps.enrolled_netns);
  if (bpf_map_delete_elem(fd, &key) != 0 && errno != ENOENT)
    throwErrno(errno, "removing netns " + std::to_string(netnsCookie) + " from enrolled_netns");
  detail::unpinLink(skLookupPin(state_->pinDir, netnsCookie));
  std::error_code error;
  std::filesystem::remove(podPinDir(state_->pinDir, netnsCookie), error);
  if (error)
    throw std::system_error(error, "removing " + podPinDir(state_->pinDir, netnsCookie).string());
}

std::vector<std::uint64_t> Capture::enrolledNetns() const {
  const int fd = bpf_map__fd(state_->skeleton->maps.enrolled_netns);
  std::vector<std::uint64_t> cookies;
  __u64 key = 0;
  const __u64* previous = nullptr;
  while (bpf_map_get_next_key(fd, previous, &key) == 0) {
    cookies.push_back(key);
    previous = &key;
  }
  if (errno != ENOENT) throwErrno(errno, "listing enrolled_netns");
  return cookies;
}

}  // namespace ztls::bpf
