// Runs an XfccRewriter over a whole input, fed in chosen pieces, and collects what a
// caller would see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ztls/http/xfcc_rewriter.h"

namespace ztls::http::test {

// Istio's walkthrough value for sleep calling httpbin in namespace foo.
inline constexpr std::string_view kXfccValue =
    "By=spiffe://cluster.local/ns/foo/sa/httpbin;"
    "Hash=4b69f5cb0e7b1a9c3d2e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c;Subject=\"\";"
    "URI=spiffe://cluster.local/ns/foo/sa/sleep";

// The line the rewriter adds with kXfccValue.
std::string xfccLine();

struct Outcome {
  std::string output;
  RewriteResult result = RewriteResult::kContinue;
  std::string error;
  std::uint64_t requests = 0;
  bool atBoundary = false;

  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Outcome& outcome);

// Feeds `input` cut at `cuts` (ascending offsets), feeding on after kPassThrough and
// kError as a caller that ignores the result would.
Outcome runInPieces(std::string_view input, const std::vector<std::size_t>& cuts,
                    RewriteLimits limits = {});
Outcome runOneShot(std::string_view input, RewriteLimits limits = {});
Outcome runByteAtATime(std::string_view input, RewriteLimits limits = {});

// Expects every way of feeding `input` in one piece, one byte at a time, or in two
// pieces cut anywhere to give the one-shot outcome.
void expectSplitIndependent(std::string_view input, RewriteLimits limits = {});

}  // namespace ztls::http::test
