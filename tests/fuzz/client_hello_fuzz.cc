// libFuzzer target for the inbound ClientHello sniffer: arbitrary bytes must never crash
// it, and the promises callers build on must hold for every input:
//  - kNeedMore only for inputs shorter than kMaxSniffBytes (a caller never buffers more);
//  - a decision depends only on the bytes before it: appending bytes to a decided input
//    never changes it (the brief requires this for kMeshTls and kPlaintext; it holds for
//    kTls too), and a shorter prefix is either undecided or decided the same way;
//  - kMeshTls means the parsed ALPN list offers kMeshAlpn.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "ztls/tls/alpn.h"
#include "ztls/tls/sniff.h"

namespace {

using namespace ztls::tls;

// abort() rather than assert(): the invariants must be checked in every build type.
void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "client_hello_fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

void checkExtensions(std::span<const std::uint8_t> input, SniffKind kind) {
  std::vector<std::uint8_t> longer(input.begin(), input.end());
  // The input again (a second hello, or more of the same garbage), then bytes that would
  // complete any length field a truncated input left open.
  longer.insert(longer.end(), input.begin(), input.end());
  longer.insert(longer.end(), 64, 0xff);
  require(sniff(longer).kind == kind, "appending bytes changed a decision");
  longer.assign(input.begin(), input.end());
  longer.insert(longer.end(), kMaxSniffBytes, 0x00);
  require(sniff(longer).kind == kind, "appending zeros changed a decision");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const SniffResult result = sniff(input);

  if (result.kind == SniffKind::kNeedMore) {
    require(size < kMaxSniffBytes, "kNeedMore for an input of kMaxSniffBytes or more");
    require(result.reason.empty(), "kNeedMore with a reason");
    return 0;
  }
  if (result.kind == SniffKind::kMeshTls) {
    require(std::find(result.alpn.begin(), result.alpn.end(), std::string(kMeshAlpn)) !=
                result.alpn.end(),
            "kMeshTls without the mesh ALPN in the parsed list");
  } else {
    require(!result.reason.empty(), "a negative decision without a reason");
  }
  checkExtensions(input, result.kind);

  // The converse: a prefix decides nothing, or the same.
  for (const std::size_t length : {size - 1, size / 2}) {
    const SniffKind prefix = sniff(input.first(length)).kind;
    require(prefix == SniffKind::kNeedMore || prefix == result.kind,
            "a prefix was decided differently from the whole input");
  }
  return 0;
}
