// What the running kernel offers for kernel TLS, probed once per test binary, and the
// assertion every VM test starts with.
#pragma once

#include <gtest/gtest.h>

#include "ztls/tls/kernel_tls.h"

namespace ztls::tls::test {

inline const KernelTlsSupport& kernel() {
  static const KernelTlsSupport support = probeKernelTls();
  return support;
}

}  // namespace ztls::tls::test

#define ASSERT_KERNEL_TLS()                                                   \
  ASSERT_TRUE(::ztls::tls::test::kernel().available())                        \
      << "this kernel has no TLS ULP; run these tests under scripts/vmtest: " \
      << ::ztls::tls::test::kernel().problem
