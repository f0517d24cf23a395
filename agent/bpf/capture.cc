#include "ztls/bpf/capture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "bpffs.h"
#include "capture_state.h"
#include "errors.h"
#include "pinned_link.h"
#include "ztls/unique_fd.h"

namespace ztls::bpf {
namespace {

using detail::throwErrno;

std::string loadHint(int error) {
  switch (error) {
    case EPERM:
    case EACCES:
      return " (needs root: CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)";
    default:
      return "";
  }
}

// libbpf would refuse it too, but only says "parameter mismatch" on stderr.
void checkPinnedShape(const bpf_map* map, const std::filesystem::path& pin) {
  const UniqueFd pinned(bpf_obj_get(pin.c_str()));
  if (!pinned) {
    if (errno == ENOENT) return;
    throwErrno(errno, "opening pinned BPF map " + pin.string());
  }
  bpf_map_info info{};
  __u32 length = sizeof(info);
  if (bpf_obj_get_info_by_fd(pinned.get(), &info, &length) != 0)
    throwErrno(errno, "reading BPF map info of " + pin.string());
  const auto shape = [](auto type, auto key, auto value, auto entries) {
    return "type " + std::to_string(type) + ", key " + std::to_string(key) + " B, value " +
           std::to_string(value) + " B, " + std::to_string(entries) + " entries";
  };
  const std::string found = shape(info.type, info.key_size, info.value_size, info.max_entries);
  const std::string wanted = shape(bpf_map__type(map), bpf_map__key_size(map),
                                   bpf_map__value_size(map), bpf_map__max_entries(map));
  if (found != wanted)
    throw std::runtime_error("BPF map pinned at " + pin.string() + " has " + found +
                             " but these programs need " + wanted +
                             ": it was created by an incompatible build (see abi.h); remove "
                             "the pins to start over");
}

// libbpf reuses a compatible map pinned at the path and pins new ones there
// at load, which is what keeps enrollments and listeners across restarts.
void pinMapsUnder(ztls_capture& skeleton, const std::filesystem::path& pinDir) {
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, skeleton.obj) {
    const std::filesystem::path pin = pinDir / bpf_map__name(map);
    checkPinnedShape(map, pin);
    if (int err = bpf_map__set_pin_path(map, pin.c_str()); err != 0)
      throwErrno(-err, "setting BPF map pin path " + pin.string());
  }
}

}  // namespace

std::filesystem::path podPinDir(const std::filesystem::path& pinDir, std::uint64_t netnsCookie) {
  return pinDir / "pods" / std::to_string(netnsCookie);
}

Capture Capture::open(const std::filesystem::path& pinDir) {
  detail::ensureBpffsMounted();
  detail::createPinDirectory(pinDir);

  auto state = std::make_unique<State>();
  state->pinDir = pinDir;
  errno = 0;
  state->skeleton.reset(ztls_capture__open());
  if (!state->skeleton) throwErrno(errno ? errno : ENOMEM, "opening the BPF capture object");
  pinMapsUnder(*state->skeleton, pinDir);
  if (int err = ztls_capture__load(state->skeleton.get()); err != 0)
    throwErrno(-err, "loading the BPF capture programs with maps pinned in " + pinDir.string() +
                         loadHint(-err));
  return Capture(std::move(state));
}

Capture::Capture(std::unique_ptr<State> state) : state_(std::move(state)) {}
Capture::Capture(Capture&&) noexcept = default;
Capture& Capture::operator=(Capture&&) noexcept = default;
Capture::~Capture() = default;

const std::filesystem::path& Capture::pinDir() const noexcept { return state_->pinDir; }

VerdictCounters Capture::verdictCounters() const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) throwErrno(-cpus, "counting possible CPUs");
  std::vector<__u64> perCpu(static_cast<std::size_t>(cpus));
  const int fd = bpf_map__fd(state_->skeleton->maps.verdict_counters);
  VerdictCounters totals{};
  for (__u32 reason = 0; reason < totals.size(); ++reason) {
    if (bpf_map_lookup_elem(fd, &reason, perCpu.data()) != 0)
      throwErrno(errno, "reading verdict_counters[" + std::to_string(reason) + "]");
    for (__u64 count : perCpu) totals[reason] += count;
  }
  return totals;
}

void Capture::removePins(const std::filesystem::path& pinDir) {
  std::error_code error;
  if (!std::filesystem::exists(pinDir, error)) return;
  std::vector<std::filesystem::path> pins;
  for (auto it = std::filesystem::recursive_directory_iterator(pinDir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error))
    if (!it->is_directory()) pins.push_back(it->path());
  if (error) throw std::system_error(error, "listing BPF pins under " + pinDir.string());
  for (const auto& pin : pins) detail::unpinLink(pin);
  std::filesystem::remove_all(pinDir, error);
  if (error) throw std::system_error(error, "removing BPF pins under " + pinDir.string());
}

}  // namespace ztls::bpf
