// What a Capture holds: the loaded skeleton. Everything that must outlive
// the agent is pinned under pinDir instead.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "capture.skel.h"
#include "ztls/bpf/capture.h"

namespace ztls::bpf {

struct SkeletonCloser {
  void operator()(ztls_capture* skeleton) const noexcept { ztls_capture__destroy(skeleton); }
};

struct Capture::State {
  std::filesystem::path pinDir;
  std::unique_ptr<ztls_capture, SkeletonCloser> skeleton;
};

// Pins of one pod under pinDir.
std::filesystem::path podPinDir(const std::filesystem::path& pinDir, std::uint64_t netnsCookie);

}  // namespace ztls::bpf
