// Streaming behaviour: bodies are relayed as they arrive, limits, the states after
// kPassThrough and kError, the header value, and random splits of a long mixed stream.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rewrite_run.h"
#include "ztls/http/xfcc_rewriter.h"

namespace ztls::http::test {
namespace {

using namespace std::string_literals;

TEST(XfccRewriterStreaming, ContentLengthBodyIsRelayedAsItArrives) {
  constexpr std::size_t kBodyBytes = 1 << 20;
  constexpr std::size_t kPiece = 4096;
  XfccRewriter rewriter(kXfccValue);
  std::string output;
  const std::string head =
      "PUT /upload HTTP/1.1\r\nContent-Length: " + std::to_string(kBodyBytes) + "\r\n\r\n";
  ASSERT_EQ(rewriter.feed(head, output), RewriteResult::kContinue);
  const std::size_t headBytes = output.size();
  EXPECT_EQ(headBytes, head.size() + xfccLine().size());
  const std::string piece(kPiece, 'b');
  for (std::size_t fed = kPiece; fed <= kBodyBytes; fed += kPiece) {
    output.clear();
    ASSERT_EQ(rewriter.feed(piece, output), RewriteResult::kContinue);
    ASSERT_EQ(output, piece) << "after " << fed << " body bytes";
    EXPECT_EQ(rewriter.atRequestBoundary(), fed == kBodyBytes);
  }
}

TEST(XfccRewriterStreaming, ChunkDataIsRelayedAsItArrives) {
  XfccRewriter rewriter(kXfccValue);
  std::string output;
  ASSERT_EQ(
      rewriter.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n"s, output),
      RewriteResult::kContinue);
  output.clear();
  ASSERT_EQ(rewriter.feed(std::string(0x100000 - 1, 'c'), output), RewriteResult::kContinue);
  EXPECT_EQ(output.size(), 0x100000u - 1);
  output.clear();
  ASSERT_EQ(rewriter.feed("c\r", output), RewriteResult::kContinue);
  EXPECT_EQ(output, "c") << "the CR after chunk data is held until its LF";
  output.clear();
  ASSERT_EQ(rewriter.feed("\n0\r\n\r\n", output), RewriteResult::kContinue);
  EXPECT_EQ(output, "\r\n0\r\n\r\n");
  EXPECT_TRUE(rewriter.atRequestBoundary());
}

// A hand-over at a request boundary gives the stream a new rewriter. Told the stream is
// HTTP/1 already, it holds later request lines to the strict rules as the first one did:
// bytes that are not a request are an error, not a pass-through past the rewriting.
TEST(XfccRewriterStreaming, ARewriterContinuingAnHttp1StreamRefusesWhatIsNotARequest) {
  const std::string notARequest = "\x16\x03\x01 binary\r\n";
  XfccRewriter fresh(kXfccValue);
  std::string output;
  EXPECT_EQ(fresh.feed(notARequest, output), RewriteResult::kPassThrough);

  XfccRewriter continuing(kXfccValue);
  continuing.continueHttp1Stream();
  output.clear();
  EXPECT_EQ(continuing.feed(notARequest, output), RewriteResult::kError);
  EXPECT_TRUE(output.empty());

  XfccRewriter next(kXfccValue);
  next.continueHttp1Stream();
  output.clear();
  ASSERT_EQ(next.feed("GET /headers HTTP/1.1\r\nHost: b\r\n\r\n", output),
            RewriteResult::kContinue);
  EXPECT_NE(output.find(xfccLine()), std::string::npos);
  EXPECT_TRUE(next.atRequestBoundary());
}

TEST(XfccRewriterStreaming, HeaderBlockLimit) {
  const std::string start = "GET / HTTP/1.1\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  const std::string exactly = start + std::string(65536 - start.size() - end.size(), 'p') + end;
  ASSERT_EQ(exactly.size(), 65536u);
  EXPECT_EQ(runOneShot(exactly).result, RewriteResult::kContinue);
  const std::string over = start + std::string(65537 - start.size() - end.size(), 'p') + end;
  for (const Outcome& outcome : {runOneShot(over), runByteAtATime(over)}) {
    EXPECT_EQ(outcome.result, RewriteResult::kError);
    EXPECT_EQ(outcome.error, "request header block over 65536 bytes");
    EXPECT_EQ(outcome.output, "");
  }
  // A huge single feed is refused without being copied whole.
  EXPECT_EQ(runOneShot("GET /" + std::string(10 << 20, 'a')).error,
            "request header block over 65536 bytes");
}

TEST(XfccRewriterStreaming, SmallLimitsApplyToEachElement) {
  const RewriteLimits limits{.maxHeaderBlockBytes = 64, .maxChunkLineBytes = 8};
  const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";  // 47 bytes
  EXPECT_EQ(runOneShot(head + "1;a=bc\r\nx\r\n0\r\n\r\n", limits).result, RewriteResult::kContinue);
  const Outcome longChunkLine = runOneShot(head + "1;a=bcd\r\nx\r\n", limits);
  EXPECT_EQ(longChunkLine.error, "chunk line over 8 bytes");
  const Outcome longTrailers =
      runOneShot(head + "0\r\nX-Trailer: " + std::string(50, 't') + "\r\n\r\n", limits);
  EXPECT_EQ(longTrailers.error, "trailer section over 64 bytes");
  expectSplitIndependent(head + "1;a=bcd\r\nx\r\n", limits);
}

TEST(XfccRewriterStreaming, ExtremeLimits) {
  const RewriteLimits none{.maxHeaderBlockBytes = 0, .maxChunkLineBytes = 0};
  EXPECT_EQ(runOneShot("GET / HTTP/1.1\r\n\r\n", none).error, "request header block over 0 bytes");
  const RewriteLimits unbounded{.maxHeaderBlockBytes = SIZE_MAX, .maxChunkLineBytes = SIZE_MAX};
  EXPECT_EQ(runOneShot("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", unbounded)
                .result,
            RewriteResult::kContinue);
}

// Every pair of cut positions, on the stream with every chunked element in it.
TEST(XfccRewriterStreaming, ChunkedBodyCutAtEveryPairOfPositions) {
  const std::string stream =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;a=\"\\\"\";b\r\nwiki\r\n0;z\r\nT: 1\r\nX-Forwarded-Client-Cert: t\r\n\r\n"
      "GET / HTTP/1.1\r\n\r\n";
  const Outcome whole = runOneShot(stream);
  ASSERT_EQ(whole.result, RewriteResult::kContinue) << whole.error;
  ASSERT_EQ(whole.requests, 2u);
  for (std::size_t first = 0; first <= stream.size(); ++first) {
    for (std::size_t second = first; second <= stream.size(); ++second) {
      ASSERT_EQ(runInPieces(stream, {first, second}), whole) << "cuts " << first << ", " << second;
    }
  }
}

TEST(XfccRewriterStreaming, ResultNames) {
  EXPECT_EQ(toString(RewriteResult::kContinue), "continue");
  EXPECT_EQ(toString(RewriteResult::kPassThrough), "pass-through");
  EXPECT_EQ(toString(RewriteResult::kError), "error");
}

TEST(XfccRewriterStreaming, LongTokenAtStreamStartIsHeldToTheLimitThenRefused) {
  // It could still become a request line ("AAAA... / HTTP/1.1"), so it is neither passed
  // through nor emitted; at the limit it is refused like an over-long header block.
  const Outcome outcome = runOneShot(std::string(70000, 'A'));
  EXPECT_EQ(outcome.result, RewriteResult::kError);
  EXPECT_EQ(outcome.output, "");
}

TEST(XfccRewriterStreaming, PassThroughKeepsRelayingUnchanged) {
  XfccRewriter rewriter(kXfccValue);
  std::string output;
  EXPECT_EQ(rewriter.feed("PRI * HTTP/2.0\r\n", output), RewriteResult::kPassThrough);
  EXPECT_EQ(rewriter.feed("\r\nSM\r\n\r\n", output), RewriteResult::kPassThrough);
  EXPECT_EQ(rewriter.feed("GET / HTTP/1.1\r\nX-Forwarded-Client-Cert: x\r\n\r\n", output),
            RewriteResult::kPassThrough);
  EXPECT_EQ(output,
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nGET / HTTP/1.1\r\nX-Forwarded-Client-Cert: x\r\n\r\n");
  EXPECT_EQ(rewriter.state(), RewriteResult::kPassThrough);
  EXPECT_EQ(rewriter.error(), "");
  EXPECT_EQ(rewriter.requestsRewritten(), 0u);
  EXPECT_FALSE(rewriter.atRequestBoundary());
}

TEST(XfccRewriterStreaming, UndecidedFirstBytesAreHeldBack) {
  XfccRewriter rewriter(kXfccValue);
  std::string output;
  EXPECT_EQ(rewriter.feed("PI", output), RewriteResult::kContinue);
  EXPECT_EQ(output, "");
  EXPECT_FALSE(rewriter.atRequestBoundary());
  EXPECT_EQ(rewriter.feed("NG\r\n", output), RewriteResult::kPassThrough);
  EXPECT_EQ(output, "PING\r\n");
}

TEST(XfccRewriterStreaming, ErrorIsFinal) {
  XfccRewriter rewriter(kXfccValue);
  std::string output;
  EXPECT_EQ(rewriter.feed("GET / HTTP/1.1\r\n\r\nGET / HTTP/9.9\r\n\r\n", output),
            RewriteResult::kError);
  const std::string emitted = output;
  EXPECT_EQ(rewriter.feed("GET / HTTP/1.1\r\n\r\n", output), RewriteResult::kError);
  EXPECT_EQ(output, emitted);
  EXPECT_EQ(rewriter.state(), RewriteResult::kError);
  EXPECT_EQ(rewriter.error(), "request head: not an HTTP/1.0 or HTTP/1.1 request");
  EXPECT_EQ(rewriter.requestsRewritten(), 1u);
}

TEST(XfccRewriterStreaming, EmptyFeedChangesNothing) {
  XfccRewriter rewriter(kXfccValue);
  std::string output;
  EXPECT_EQ(rewriter.feed("", output), RewriteResult::kContinue);
  EXPECT_TRUE(rewriter.atRequestBoundary());
  EXPECT_EQ(output, "");
}

TEST(XfccRewriterValue, IstioFormatIsWrittenAsGiven) {
  XfccRewriter rewriter(kXfccValue);
  std::string output;
  rewriter.feed("GET /headers HTTP/1.1\r\n\r\n", output);
  EXPECT_EQ(output,
            "GET /headers HTTP/1.1\r\nX-Forwarded-Client-Cert: "
            "By=spiffe://cluster.local/ns/foo/sa/httpbin;"
            "Hash=4b69f5cb0e7b1a9c3d2e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c;Subject=\"\";"
            "URI=spiffe://cluster.local/ns/foo/sa/sleep\r\n\r\n");
}

TEST(XfccRewriterValue, ValidAndInvalidValues) {
  for (const std::string& value : {""s, "By=a;URI=b"s, "a\tb c"s, "\xc3\xa9"s}) {
    EXPECT_TRUE(XfccRewriter::isValidHeaderValue(value)) << value;
  }
  for (const std::string& value : {"a\r\nX-Evil: 1"s, "a\nb"s, "a\0b"s, " a"s, "a\t"s, "\x7f"s}) {
    EXPECT_FALSE(XfccRewriter::isValidHeaderValue(value)) << value;
    XfccRewriter rewriter(value);
    std::string output;
    EXPECT_EQ(rewriter.state(), RewriteResult::kError);
    EXPECT_EQ(rewriter.feed("GET / HTTP/1.1\r\n\r\n", output), RewriteResult::kError);
    EXPECT_EQ(output, "");
    EXPECT_EQ(rewriter.error(), "X-Forwarded-Client-Cert value is not a valid field value");
  }
}

// Many requests of every framing in one stream, cut at random places many times.
TEST(XfccRewriterStreaming, RandomSplitsOfAMixedStream) {
  std::string stream;
  for (int i = 0; i < 20; ++i) {
    stream += "GET /get?i=" + std::to_string(i) +
              " HTTP/1.1\r\nHost: h\r\nx-forwarded-client-cert: forged\r\n\r\n";
    stream += "POST /post HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world";
    stream +=
        "POST /post HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3;x=\"y\"\r\nabc\r\n1\r\n\n\r\n0\r\nT: 1\r\n\r\n";
  }
  stream += "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\x81\x00"s;
  const Outcome whole = runOneShot(stream);
  ASSERT_EQ(whole.result, RewriteResult::kPassThrough) << whole.error;
  EXPECT_EQ(whole.requests, 61u);
  EXPECT_EQ(whole.output.find("forged"), std::string::npos);

  std::mt19937 random(20240611);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0;;) {
      at += 1 + random() % 97;
      if (at >= stream.size()) break;
      cuts.push_back(at);
    }
    ASSERT_EQ(runInPieces(stream, cuts), whole) << "round " << round;
  }
}

}  // namespace
}  // namespace ztls::http::test
