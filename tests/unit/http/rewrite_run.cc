#include "rewrite_run.h"

#include <gtest/gtest.h>

namespace ztls::http::test {

std::string xfccLine() {
  return std::string(kXfccHeaderName) + ": " + std::string(kXfccValue) + "\r\n";
}

std::ostream& operator<<(std::ostream& out, const Outcome& outcome) {
  return out << toString(outcome.result) << " (" << outcome.error << "), " << outcome.requests
             << " requests, output [" << outcome.output << "]";
}

Outcome runInPieces(std::string_view input, const std::vector<std::size_t>& cuts,
                    RewriteLimits limits) {
  XfccRewriter rewriter(kXfccValue, limits);
  Outcome outcome;
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    outcome.result = rewriter.feed(input.substr(start, cut - start), outcome.output);
    start = cut;
  }
  outcome.result = rewriter.feed(input.substr(start), outcome.output);
  outcome.error = rewriter.error();
  outcome.requests = rewriter.requestsRewritten();
  outcome.atBoundary = rewriter.atRequestBoundary();
  return outcome;
}

Outcome runOneShot(std::string_view input, RewriteLimits limits) {
  return runInPieces(input, {}, limits);
}

Outcome runByteAtATime(std::string_view input, RewriteLimits limits) {
  std::vector<std::size_t> cuts;
  for (std::size_t cut = 1; cut < input.size(); ++cut) cuts.push_back(cut);
  return runInPieces(input, cuts, limits);
}

void expectSplitIndependent(std::string_view input, RewriteLimits limits) {
  const Outcome whole = runOneShot(input, limits);
  EXPECT_EQ(runByteAtATime(input, limits), whole) << "fed one byte at a time";
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    const Outcome split = runInPieces(input, {cut}, limits);
    ASSERT_EQ(split, whole) << "cut at " << cut;
  }
}

}  // namespace ztls::http::test
