// Errors of the BPF control path: errno plus what was being done to what.
#pragma once

#include <string>

namespace ztls::bpf::detail {

// `error` is a positive errno value; libbpf returns it negated.
[[noreturn]] void throwErrno(int error, const std::string& what);

}  // namespace ztls::bpf::detail
