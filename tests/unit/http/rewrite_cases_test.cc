// What the rewriter does to whole streams, case by case. Every case is also fed one byte
// at a time and cut in two at every offset, and must come out the same.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rewrite_run.h"

namespace ztls::http::test {
namespace {

using namespace std::string_literals;

struct Case {
  std::string name;
  std::string input;
  std::string output;
  RewriteResult result = RewriteResult::kContinue;
  std::string error;
  std::uint64_t requests = 0;
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

const std::string X = xfccLine();
const std::string kGet = "GET /headers HTTP/1.1\r\nHost: httpbin.foo:8000\r\nAccept: */*\r\n";

std::vector<Case> rewritingCases() {
  return {
      {"SimpleGet", kGet + "\r\n", kGet + X + "\r\n", RewriteResult::kContinue, "", 1},
      {"NoFieldsHttp10", "GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.0\r\n" + X + "\r\n",
       RewriteResult::kContinue, "", 1},
      {"EveryOtherByteKept",
       "OPTIONS * HTTP/1.1\r\nHost:h\r\nX-Odd:  spaced \t value\t \r\nempty:\r\n\r\n",
       "OPTIONS * HTTP/1.1\r\nHost:h\r\nX-Odd:  spaced \t value\t \r\nempty:\r\n" + X + "\r\n",
       RewriteResult::kContinue, "", 1},
      {"PipelinedInOneChunk",
       kGet + "\r\n" + "GET /ip HTTP/1.1\r\nHost: h\r\n\r\n" + "HEAD / HTTP/1.1\r\n\r\n",
       kGet + X + "\r\n" + "GET /ip HTTP/1.1\r\nHost: h\r\n" + X + "\r\n" + "HEAD / HTTP/1.1\r\n" +
           X + "\r\n",
       RewriteResult::kContinue, "", 3},
      {"ClientXfccRemovedInAnyCase",
       "GET / HTTP/1.1\r\nx-forwarded-client-cert: By=forged\r\nHost: h\r\n"
       "X-FORWARDED-CLIENT-CERT:also-forged\r\nX-Forwarded-Client-Cert: \r\n"
       "X_Forwarded_Client_Cert: cgi-forged\r\nAccept: */*\r\n\r\n",
       "GET / HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n" + X + "\r\n", RewriteResult::kContinue, "",
       1},
      {"SimilarNamesKept",
       "GET / HTTP/1.1\r\nX-Forwarded-Client-Certs: a\r\nX-Forwarded-Client: b\r\n\r\n",
       "GET / HTTP/1.1\r\nX-Forwarded-Client-Certs: a\r\nX-Forwarded-Client: b\r\n" + X + "\r\n",
       RewriteResult::kContinue, "", 1},
      {"ContentLengthBodyThenNextRequest",
       "POST /post HTTP/1.1\r\nContent-Length: 38\r\n\r\n"
       "X-Forwarded-Client-Cert: in the body\r\n" +
           kGet + "\r\n",
       "POST /post HTTP/1.1\r\nContent-Length: 38\r\n" + X + "\r\n" +
           "X-Forwarded-Client-Cert: in the body\r\n" + kGet + X + "\r\n",
       RewriteResult::kContinue, "", 2},
      {"ZeroContentLength", "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
       "POST / HTTP/1.1\r\nContent-Length: 0\r\n" + X + "\r\nGET / HTTP/1.1\r\n" + X + "\r\n",
       RewriteResult::kContinue, "", 2},
      {"RepeatedEqualContentLength",
       "PUT / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc",
       "PUT / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 003\r\n" + X + "\r\nabc",
       RewriteResult::kContinue, "", 1},
      {"ChunkedWithExtensionsAndTrailers",
       "POST /post HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5;name=value ; quoted=\"a \\\" ; b\"\r\nhello\r\n"
       "00A\r\n0123456789\r\n"
       "0 ;last\r\nChecksum: 1\r\nx-forwarded-client-cert: trailer-forged\r\n\r\n"
       "GET /next HTTP/1.1\r\n\r\n",
       "POST /post HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + X + "\r\n" +
           "5;name=value ; quoted=\"a \\\" ; b\"\r\nhello\r\n"
           "00A\r\n0123456789\r\n"
           "0 ;last\r\nChecksum: 1\r\n\r\n"
           "GET /next HTTP/1.1\r\n" +
           X + "\r\n",
       RewriteResult::kContinue, "", 2},
      {"ChunkedAfterAnotherCoding",
       "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED\r\n\r\n"
       "1\r\nz\r\n0\r\n\r\n",
       "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED\r\n" + X +
           "\r\n1\r\nz\r\n0\r\n\r\n",
       RewriteResult::kContinue, "", 1},
      {"EmptyLinesBetweenRequestsKept",
       "\r\nGET /a HTTP/1.1\r\n\r\n\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
       "\r\nGET /a HTTP/1.1\r\n" + X + "\r\n\r\n\r\nGET /b HTTP/1.1\r\n" + X + "\r\n",
       RewriteResult::kContinue, "", 2},
      {"IncompleteHeadHeldBack", kGet + "\r\nGET /b HTTP/1.1\r\nHost:", kGet + X + "\r\n",
       RewriteResult::kContinue, "", 1},
  };
}

std::vector<Case> passThroughCases() {
  const std::string kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04"s;
  const std::string kWebSocket =
      "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
      "X-Forwarded-Client-Cert: forged\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::string kFrames = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58GET / HTTP/1.1\r\n";
  return {
      {"Http2PriorKnowledgePreface", kPreface, kPreface, RewriteResult::kPassThrough, "", 0},
      {"TlsRecord", "\x16\x03\x01\x02\x00\x01"s, "\x16\x03\x01\x02\x00\x01"s,
       RewriteResult::kPassThrough, "", 0},
      {"BinaryAfterEmptyLines", "\r\n\0\1"s, "\r\n\0\1"s, RewriteResult::kPassThrough, "", 0},
      {"RedisInline", "PING\r\n", "PING\r\n", RewriteResult::kPassThrough, "", 0},
      {"RedisResp", "*1\r\n$4\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n", RewriteResult::kPassThrough, "",
       0},
      {"MemcachedText", "get some-key\r\nset k 0 0 1\r\n", "get some-key\r\nset k 0 0 1\r\n",
       RewriteResult::kPassThrough, "", 0},
      {"SshBanner", "SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-OpenSSH_9.2\r\n",
       RewriteResult::kPassThrough, "", 0},
      {"Http09", "GET /index.html\r\n", "GET /index.html\r\n", RewriteResult::kPassThrough, "", 0},
      {"WebSocketUpgrade", kWebSocket + kFrames,
       "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
       "Sec-WebSocket-Version: 13\r\n" +
           X + "\r\n" + kFrames,
       RewriteResult::kPassThrough, "", 1},
      {"H2cUpgradeAfterAPlainRequest",
       kGet +
           "\r\nGET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
           "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n" +
           kPreface,
       kGet + X +
           "\r\nGET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
           "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n" +
           X + "\r\n" + kPreface,
       RewriteResult::kPassThrough, "", 2},
      {"Connect", "CONNECT db.foo:5432 HTTP/1.1\r\nHost: db.foo:5432\r\n\r\n\x00\x00\x00\x08"s,
       "CONNECT db.foo:5432 HTTP/1.1\r\nHost: db.foo:5432\r\n" + X + "\r\n\x00\x00\x00\x08"s,
       RewriteResult::kPassThrough, "", 1},
  };
}

// Upgrade without the connection option, or in HTTP/1.0, is no upgrade (RFC 9110 §7.8):
// what follows is still rewritten.
std::vector<Case> notUpgradeCases() {
  return {
      {"UpgradeWithoutConnectionOption",
       "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
       "GET / HTTP/1.1\r\nUpgrade: websocket\r\n" + X + "\r\nGET /b HTTP/1.1\r\n" + X + "\r\n",
       RewriteResult::kContinue, "", 2},
      {"UpgradeInHttp10",
       "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
       "GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" + X +
           "\r\nGET /b HTTP/1.1\r\n" + X + "\r\n",
       RewriteResult::kContinue, "", 2},
      {"LowercaseConnectMethodIsAnotherMethod",
       "connect h:1 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
       "connect h:1 HTTP/1.1\r\n" + X + "\r\nGET / HTTP/1.1\r\n" + X + "\r\n",
       RewriteResult::kContinue, "", 2},
  };
}

Case error(std::string name, std::string input, std::string error, std::string output = "",
           std::uint64_t requests = 0) {
  return {std::move(name),       std::move(input), std::move(output),
          RewriteResult::kError, std::move(error), requests};
}

std::vector<Case> smugglingCases() {
  const std::string kPost = "POST / HTTP/1.1\r\nHost: h\r\n";
  return {
      error("ContentLengthAndTransferEncoding",
            kPost + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "request head: both Content-Length and Transfer-Encoding"),
      error("TransferEncodingAndContentLength",
            kPost + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
            "request head: both Content-Length and Transfer-Encoding"),
      error("TwoContentLengths", kPost + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
            "request head: conflicting Content-Length values"),
      error("ContentLengthList", kPost + "Content-Length: 4, 4\r\n\r\nabcd",
            "request head: Content-Length is not a number"),
      error("ContentLengthSigned", kPost + "Content-Length: +4\r\n\r\nabcd",
            "request head: Content-Length is not a number"),
      error("ContentLengthHex", kPost + "Content-Length: 0x4\r\n\r\nabcd",
            "request head: Content-Length is not a number"),
      error("ContentLengthEmpty", kPost + "Content-Length:\r\n\r\n",
            "request head: Content-Length is not a number"),
      error("ContentLengthOverflow", kPost + "Content-Length: 18446744073709551616\r\n\r\n",
            "request head: Content-Length is not a number"),
      error("TransferEncodingNotChunked", kPost + "Transfer-Encoding: gzip\r\n\r\n",
            "request head: Transfer-Encoding does not end in chunked"),
      error("ChunkedNotLast", kPost + "Transfer-Encoding: chunked, gzip\r\n\r\n",
            "request head: chunked is not the last transfer coding"),
      error("ChunkedTwice",
            kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "request head: chunked is not the last transfer coding"),
      error("TransferEncodingEmptyElement", kPost + "Transfer-Encoding: , chunked\r\n\r\n",
            "request head: malformed Transfer-Encoding"),
      error("TransferEncodingWithParameter", kPost + "Transfer-Encoding: chunked;x=1\r\n\r\n",
            "request head: malformed Transfer-Encoding"),
      error("TransferEncodingInHttp10",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "request head: Transfer-Encoding in an HTTP/1.0 request"),
      error("SpaceBeforeColon", kPost + "Transfer-Encoding : chunked\r\n\r\n",
            "request head: invalid field name"),
      error("ObsFold", kPost + "X-Long: a\r\n  continued\r\n\r\n",
            "request head: obsolete line folding"),
      error("WhitespaceBeforeFirstField", "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
            "request head: obsolete line folding"),
      error("BareLfInFirstRequest", "GET / HTTP/1.1\nHost: h\n\n", "request head: bare LF"),
      error("BareLfHidingContentLength", "GET / HTTP/1.1\r\nX-A: b\nContent-Length: 5\r\n\r\nhello",
            "request head: bare LF"),
      error("BareCrInValue", "GET / HTTP/1.1\r\nX-A: b\rContent-Length: 5\r\n\r\n",
            "request head: invalid byte in a field value"),
      error("NulInValue", "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"s,
            "request head: invalid byte in a field value"),
      error("FieldWithoutColon", "GET / HTTP/1.1\r\nHost h\r\n\r\n",
            "request head: field line without a colon"),
      error("LeadingSpaceBeforeRequestLine", " GET / HTTP/1.1\r\n\r\n",
            "request head: bytes other than empty lines before the request line"),
      error("BareLfBeforeRequestLine", "\nGET / HTTP/1.1\r\n\r\n",
            "request head: bytes other than empty lines before the request line"),
      error("TabSeparatedRequestLine", "GET\t/\tHTTP/1.1\r\n\r\n",
            "request head: malformed request line"),
      error("DoubleSpaceInRequestLine", "GET  / HTTP/1.1\r\n\r\n",
            "request head: malformed request line"),
      error("LowercaseVersion", "GET / http/1.1\r\n\r\n",
            "request head: not an HTTP/1.0 or HTTP/1.1 request"),
      error("Http12", "GET / HTTP/1.2\r\n\r\n",
            "request head: not an HTTP/1.0 or HTTP/1.1 request"),
      error("PrefaceAfterEmptyLine", "\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            "request head: not an HTTP/1.0 or HTTP/1.1 request"),
      error("ControlByteInTarget", "GET /a\x01 HTTP/1.1\r\n\r\n",
            "request head: malformed request line"),
  };
}

std::vector<Case> laterMalformedCases() {
  const std::string kFirst = "GET / HTTP/1.1\r\n\r\n";
  const std::string kFirstOut = "GET / HTTP/1.1\r\n" + X + "\r\n";
  return {
      error("LaterNonTokenByte", kFirst + "\x16\x03\x01", "request head: malformed request line",
            kFirstOut, 1),
      error("LaterRedisInline", kFirst + "PING\r\n\r\n", "request head: malformed request line",
            kFirstOut, 1),
      error("LaterPreface", kFirst + "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            "request head: not an HTTP/1.0 or HTTP/1.1 request", kFirstOut, 1),
      error("LaterAfterBody",
            "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            "request head: invalid field name",
            "POST / HTTP/1.1\r\nContent-Length: 2\r\n" + X + "\r\nhi", 1),
  };
}

std::vector<Case> chunkedErrorCases() {
  const std::string kHead = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string kHeadOut = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + X + "\r\n";
  const auto chunkError = [&](std::string name, std::string body, std::string why,
                              std::string emitted = "") {
    return error(std::move(name), kHead + body, "chunked body: " + why, kHeadOut + emitted, 1);
  };
  return {
      chunkError("NotHex", "zz\r\n", "malformed chunk size"),
      chunkError("EmptySize", ";a\r\n", "malformed chunk size"),
      chunkError("NegativeSize", "-1\r\n", "malformed chunk size"),
      chunkError("SizeOverflow", "10000000000000000\r\n", "chunk size too large"),
      chunkError("TrailingSpace", "5 \r\nhello\r\n", "malformed chunk extension"),
      chunkError("EmptyExtension", "5;\r\nhello\r\n", "malformed chunk extension"),
      chunkError("ExtensionWithoutValue", "5;a=\r\nhello\r\n", "malformed chunk extension"),
      chunkError("UnterminatedQuote", "5;a=\"x\r\nhello\r\n", "malformed chunk extension"),
      chunkError("StrayByteAfterSize", "5x\r\nhello\r\n", "malformed chunk extension"),
      chunkError("BareLfInChunkLine", "5;a=b\nhello\r\n", "chunk line does not end in CRLF"),
      chunkError("BareCrInExtension", "5;a\rb\r\nhello\r\n", "malformed chunk extension"),
      chunkError("DataTooLong", "5\r\nhello!\r\n", "chunk data not followed by CRLF", "5\r\nhello"),
      chunkError("DataEndsInBareLf", "5\r\nhello\n0\r\n\r\n", "chunk data not followed by CRLF",
                 "5\r\nhello"),
      error("BadTrailer", kHead + "0\r\nBad Trailer: 1\r\n\r\n",
            "trailer section: invalid field name", kHeadOut + "0\r\n", 1),
      error("BareLfEndsTrailers", kHead + "0\r\n\n", "trailer section: bare LF", kHeadOut + "0\r\n",
            1),
  };
}

class RewriteCase : public ::testing::TestWithParam<Case> {};

TEST_P(RewriteCase, OneShot) {
  const Case& c = GetParam();
  const Outcome outcome = runOneShot(c.input);
  EXPECT_EQ(outcome.output, c.output);
  EXPECT_EQ(outcome.result, c.result) << toString(outcome.result) << ": " << outcome.error;
  EXPECT_EQ(outcome.error, c.error);
  EXPECT_EQ(outcome.requests, c.requests);
}

TEST_P(RewriteCase, AnySplitGivesTheSameOutcome) { expectSplitIndependent(GetParam().input); }

std::string caseName(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Rewriting, RewriteCase, ::testing::ValuesIn(rewritingCases()), caseName);
INSTANTIATE_TEST_SUITE_P(PassThrough, RewriteCase, ::testing::ValuesIn(passThroughCases()),
                         caseName);
INSTANTIATE_TEST_SUITE_P(NotUpgrade, RewriteCase, ::testing::ValuesIn(notUpgradeCases()), caseName);
INSTANTIATE_TEST_SUITE_P(Smuggling, RewriteCase, ::testing::ValuesIn(smugglingCases()), caseName);
INSTANTIATE_TEST_SUITE_P(LaterMalformed, RewriteCase, ::testing::ValuesIn(laterMalformedCases()),
                         caseName);
INSTANTIATE_TEST_SUITE_P(ChunkedErrors, RewriteCase, ::testing::ValuesIn(chunkedErrorCases()),
                         caseName);

}  // namespace
}  // namespace ztls::http::test
