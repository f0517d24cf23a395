// A BPF link that lives in a bpffs pin rather than in the agent: the pin
// keeps the program attached across agent restarts. The agent never keeps
// link fds open, so the pin is the only reference.
#pragma once

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace ztls::bpf::detail {

struct LinkCloser {
  // Closes our handle only: a pinned link stays attached.
  void operator()(bpf_link* link) const noexcept { bpf_link__destroy(link); }
};
using LinkPtr = std::unique_ptr<bpf_link, LinkCloser>;

struct LinkTarget {
  std::string description;  // for error messages: "cgroup /sys/fs/cgroup/unified/pods"
  // Creates a new link of the program to the target; nullptr + errno on failure.
  std::function<bpf_link*(bpf_program*)> attach;
  // Whether an existing link is attached to this very target.
  std::function<bool(const bpf_link_info&)> matches;
};

// Makes the link pinned at `pin` run `program` on `target`. A link already
// pinned there for the same target is switched to `program` atomically, so
// an agent restart never opens a window without capture; one pinned for
// another target (a namespace that died, a different cgroup) is replaced.
void ensurePinnedLink(const std::filesystem::path& pin, bpf_program* program,
                      const LinkTarget& target);

// Detaches the link pinned there (now, not when the kernel gets to free it)
// and removes the pin; a pin that is not there is fine. Pins of other BPF
// objects are just removed.
void unpinLink(const std::filesystem::path& pin);

}  // namespace ztls::bpf::detail
