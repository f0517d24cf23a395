// libFuzzer target for the inbound HTTP/1 rewriter that sets X-Forwarded-Client-Cert. It
// sees every byte a mutual-TLS client sends to the app, so arbitrary bytes must never
// crash it, and the promises the agent builds on must hold for every input:
//  - feeding the input in one piece, one byte at a time, or cut at places derived from
//    the input gives the same output, result, error and request count;
//  - error() is set exactly in kError; atRequestBoundary() only in kContinue;
//  - a stream passed through before any request was rewritten comes out unchanged, and
//    otherwise the output only ever grows by the header lines the rewriter adds;
//  - rewriting the output again changes nothing: each rewritten header block holds
//    exactly one X-Forwarded-Client-Cert line, the rewriter's own, just before the blank
//    line, so no client-supplied XFCC line (in any case, '_' for '-') survived in one;
//  - the same, checked without the rewriter's parser, for streams whose requests cannot
//    have a body (no Content-Length or Transfer-Encoding anywhere in the input).
// The limits are small for half of the inputs (chosen by a hash of the input), so that
// every limit is reachable within the fuzzer's input sizes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ztls/http/xfcc_rewriter.h"

namespace {

using ztls::http::RewriteLimits;
using ztls::http::RewriteResult;
using ztls::http::XfccRewriter;

constexpr std::string_view kValue =
    "By=spiffe://cluster.local/ns/foo/sa/httpbin;Hash=00ff;Subject=\"\";"
    "URI=spiffe://cluster.local/ns/foo/sa/sleep";

// abort() rather than assert(): the invariants must be checked in every build type.
void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "http1_fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

struct Outcome {
  std::string output;
  RewriteResult result = RewriteResult::kContinue;
  std::string error;
  std::uint64_t requests = 0;
  bool atBoundary = false;
  bool operator==(const Outcome&) const = default;
};

Outcome run(std::string_view input, const std::vector<std::size_t>& cuts, RewriteLimits limits) {
  XfccRewriter rewriter(kValue, limits);
  Outcome outcome;
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    outcome.result = rewriter.feed(input.substr(start, cut - start), outcome.output);
    require(outcome.result == rewriter.state(), "feed's result is not state()");
    start = cut;
  }
  outcome.result = rewriter.feed(input.substr(start), outcome.output);
  outcome.error = rewriter.error();
  outcome.requests = rewriter.requestsRewritten();
  outcome.atBoundary = rewriter.atRequestBoundary();
  return outcome;
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325u;
  for (const char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
  return hash;
}

// Cuts at pseudo-random places, 1 to 64 bytes apart, from a generator seeded by the input.
std::vector<std::size_t> cutsFrom(std::uint64_t seed, std::size_t size) {
  std::vector<std::size_t> cuts;
  std::uint64_t state = seed | 1;
  for (std::size_t at = 0;;) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    at += 1 + state % 64;
    if (at >= size) return cuts;
    cuts.push_back(at);
  }
}

std::vector<std::size_t> everyByte(std::size_t size) {
  std::vector<std::size_t> cuts;
  for (std::size_t at = 1; at < size; ++at) cuts.push_back(at);
  return cuts;
}

std::size_t countOccurrences(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

std::string foldedName(std::string_view line) {
  std::string name(line.substr(0, line.find(':')));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '_') c = '-';
  }
  return name;
}

bool mentionsFraming(std::string_view input) {
  std::string lower(input);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower.find("content-length") != std::string::npos ||
         lower.find("transfer-encoding") != std::string::npos;
}

// An oracle independent of the rewriter's parser, for streams whose requests cannot have a
// body: then everything emitted before any pass-through is header blocks, so every line
// named X-Forwarded-Client-Cert must be the rewriter's own.
void checkOnlyOwnXfccLines(std::string_view output, std::string_view xfccLine) {
  const std::string_view ownLine = xfccLine.substr(0, xfccLine.size() - 1);  // without LF
  for (std::size_t start = 0; start < output.size();) {
    const std::size_t newline = output.find('\n', start);
    const std::size_t end = newline == std::string_view::npos ? output.size() : newline;
    const std::string_view line = output.substr(start, end - start);
    if (foldedName(line) == "x-forwarded-client-cert") {
      require(line == ownLine, "a client-supplied X-Forwarded-Client-Cert line was emitted");
    }
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::uint64_t hash = fnv1a(input);
  const RewriteLimits limits = (hash & 1) != 0
                                   ? RewriteLimits{.maxHeaderBlockBytes = 96 + hash % 64,
                                                   .maxChunkLineBytes = 4 + (hash >> 8) % 16}
                                   : RewriteLimits{};
  const std::string xfccLine =
      std::string(ztls::http::kXfccHeaderName) + ": " + std::string(kValue) + "\r\n";

  const Outcome whole = run(input, {}, limits);
  require(run(input, everyByte(size), limits) == whole, "byte-at-a-time differs from one-shot");
  require(run(input, cutsFrom(hash >> 1, size), limits) == whole,
          "feeding in pieces differs from one-shot");

  require(whole.error.empty() == (whole.result != RewriteResult::kError),
          "error() set outside kError or empty in it");
  require(!whole.atBoundary || whole.result == RewriteResult::kContinue,
          "at a request boundary outside kContinue");
  if (whole.result == RewriteResult::kPassThrough && whole.requests == 0) {
    require(whole.output == input, "a stream passed through from the start was changed");
  }
  require(whole.output.size() <= size + whole.requests * xfccLine.size(),
          "output grew by more than the added header lines");
  require(countOccurrences(whole.output, xfccLine) >= whole.requests,
          "a rewritten request without the header line");

  if (whole.result != RewriteResult::kPassThrough && !mentionsFraming(input)) {
    checkOnlyOwnXfccLines(whole.output, xfccLine);
  }

  // Idempotence. The second pass needs room for the added line in each header block.
  const RewriteLimits roomier{.maxHeaderBlockBytes = limits.maxHeaderBlockBytes + xfccLine.size(),
                              .maxChunkLineBytes = limits.maxChunkLineBytes};
  const Outcome again = run(whole.output, {}, roomier);
  require(again.output == whole.output, "rewriting the output again changed it");
  require(again.requests == whole.requests, "rewriting the output again counted other requests");
  require(again.result ==
              (whole.result == RewriteResult::kError ? RewriteResult::kContinue : whole.result),
          "rewriting the output again ended differently");
  return 0;
}
