#include "errors.h"

#include <system_error>

namespace ztls::bpf::detail {

void throwErrno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

}  // namespace ztls::bpf::detail
