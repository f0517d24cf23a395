// The BPF filesystem that holds the pins.
#pragma once

#include <filesystem>

namespace ztls::bpf::detail {

// Nodes do not always mount bpffs; without it nothing can be pinned.
void ensureBpffsMounted();

// Creates dir and its parents, and checks that it is on bpffs (a path
// elsewhere would fail later with an obscure error from libbpf).
void createPinDirectory(const std::filesystem::path& dir);

}  // namespace ztls::bpf::detail
