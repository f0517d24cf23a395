// Adds Istio's X-Forwarded-Client-Cert (XFCC) header to every HTTP/1.x request of an
// inbound stream, after the agent has terminated mutual TLS: Envoy's SANITIZE_SET, which
// removes whatever XFCC the client sent and sets exactly one computed by the proxy.
//
// Pure byte-stream rewriting: no sockets, no TLS, no exceptions on the data path (only
// std::bad_alloc can escape, from its strings).
//
// What it does to each request (RFC 9112):
//  - buffers the header block up to its blank line (at most maxHeaderBlockBytes), checks
//    it strictly, drops every X-Forwarded-Client-Cert field line (name compared without
//    case, and with '_' equal to '-' because CGI/WSGI servers map both to the same
//    variable), adds "X-Forwarded-Client-Cert: <value>\r\n" just before the blank line,
//    and keeps every other byte as it came;
//  - frames the body (§6.3): Transfer-Encoding whose final coding is chunked → chunk by
//    chunk (§7.1), Content-Length → that many bytes, neither → no body; body bytes are
//    streamed as they arrive, never buffered whole; XFCC fields in a trailer section are
//    dropped too (a server may merge trailers into the header fields, RFC 9110 §6.5.2);
//  - CONNECT, or an HTTP/1.1 request with both an Upgrade field and the "upgrade"
//    Connection option (RFC 9110 §7.8): after its header block, the rest of the stream is
//    not HTTP/1 any more as far as this class can tell → kPassThrough.
//
// Line ends must be CRLF everywhere; a bare LF or a CR not followed by LF is kError. RFC
// 9112 §2.2 allows recipients to accept a bare LF, but a server that does not would see
// different field lines from the ones checked here (a Content-Length hidden behind a bare
// LF is a request-smuggling vector), so the ambiguity is refused rather than guessed.
//
// The stream is not HTTP/1 (kPassThrough, bytes unchanged) when its first request line
// cannot be one: its first non-whitespace bytes are not a method token followed by
// whitespace, or its first line contains no "HTTP/" after the method (HTTP/0.9, Redis
// inline commands, memcached), or it is the HTTP/2 prior-knowledge preface line
// "PRI * HTTP/2.0\r\n" at the very start of the stream. Anything that any lenient HTTP/1
// parser could take for a request line is held to the strict rules instead (kError when
// malformed), so that a client cannot skip the rewriting by writing a request that only
// the app accepts. Hence a stream that starts with a token and a whitespace byte is held
// back until the end of its first line (LF), or refused once that line passes
// maxHeaderBlockBytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ztls::http {

enum class RewriteResult {
  // Everything fed so far has been handled; feed more.
  kContinue,
  // From here on the stream is not rewritten; see XfccRewriter::feed for what was emitted.
  kPassThrough,
  // Malformed HTTP/1 or a limit exceeded; error() says which. The caller resets the
  // connection (both sides: the app may have received part of a request).
  kError,
};

std::string_view toString(RewriteResult result);

// The name of the header this class sets, as it writes it.
inline constexpr std::string_view kXfccHeaderName = "X-Forwarded-Client-Cert";

struct RewriteLimits {
  // Largest request header block (leading empty lines, request line, field lines and the
  // blank line), and separately the largest trailer section. Envoy's default is 60 KiB.
  std::size_t maxHeaderBlockBytes = 65536;
  // Largest chunk-size line, extensions and CRLF included.
  std::size_t maxChunkLineBytes = 4096;
};

class XfccRewriter {
 public:
  // `headerValue` is the XFCC value as Istio formats it (By=...;Hash=...;Subject="";URI=...).
  // A value that a field cannot carry (control bytes, leading or trailing whitespace; see
  // isValidHeaderValue) puts the rewriter in kError from the start, with a reason.
  explicit XfccRewriter(std::string_view headerValue, RewriteLimits limits = {});

  // Field-value syntax (RFC 9110 §5.5): visible ASCII, obs-text, SP and HTAB inside, not
  // at either end.
  static bool isValidHeaderValue(std::string_view value);

  // Consumes all of `input`, appends what the app must receive to `output`, and returns
  // the state after it. Feeding a stream in any split gives the same output and result.
  //
  //  - kContinue: every byte fed so far is in `output` (rewritten) except the incomplete
  //    element being collected: a header block, a chunk-size line, the CRLF after chunk
  //    data, or a trailer section. Body bytes are never held back.
  //  - kPassThrough: every byte fed so far is in `output`. When the stream was not HTTP/1,
  //    that is the bytes unchanged (requestsRewritten() == 0); after a CONNECT or upgrade
  //    request, it is the rewritten requests up to that one's header block, then the
  //    bytes after it unchanged. Later calls append `input` unchanged and return
  //    kPassThrough, so the caller may keep feeding or relay the rest itself.
  //  - kError: `output` got every element completed before the malformed one: whole
  //    rewritten requests and, for the request whose body was being relayed, its header
  //    block, Content-Length bytes, validated chunk-size lines and chunk data as it came
  //    (the CRLF after chunk data is checked after the data was relayed); nothing of the
  //    malformed element and nothing after it. Later calls append nothing and return
  //    kError.
  RewriteResult feed(std::string_view input, std::string& output);

  RewriteResult state() const noexcept;
  // Why the stream is in kError (e.g. "request header block over 65536 bytes"); empty
  // otherwise.
  std::string_view error() const noexcept;
  // Request header blocks emitted with the XFCC header so far.
  std::uint64_t requestsRewritten() const noexcept;
  // True between requests with nothing buffered: the stream can end here cleanly. False
  // inside a request, and after kPassThrough or kError.
  bool atRequestBoundary() const noexcept;
  // For a new rewriter taking over a stream at a request boundary from one that already
  // recognised it as HTTP/1 (an agent hand-over): a later request line that is not one is
  // kError, as it would have been for the first rewriter, not a pass-through.
  void continueHttp1Stream() noexcept { streamIsHttp1_ = true; }

 private:
  static constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

  enum class Phase : std::uint8_t {
    kHead,          // collecting a request header block
    kFixedBody,     // relaying Content-Length bytes
    kChunkLine,     // collecting a chunk-size line
    kChunkData,     // relaying chunk data
    kChunkDataEnd,  // expecting the CRLF after chunk data
    kTrailers,      // collecting the trailer section after the last chunk
    kPassThrough,
    kError,
  };

  // Each consumes a prefix of `input` (all of it unless the phase ends), appending to
  // `output`; false when the stream left kContinue.
  bool feedHead(std::string_view& input, std::string& output);
  bool feedFixedBody(std::string_view& input, std::string& output);
  bool feedChunkLine(std::string_view& input, std::string& output);
  bool feedChunkData(std::string_view& input, std::string& output);
  bool feedChunkDataEnd(std::string_view& input, std::string& output);
  bool feedTrailers(std::string_view& input, std::string& output);

  // Moves up to one line (through its LF) of `input` into buffer_, keeping buffer_ at most
  // one byte over `limit`; true when buffer_ now ends with a complete line.
  bool collectLine(std::string_view& input, std::size_t limit);
  // The request-line start scan on the bytes collected so far; see the .cc.
  enum class LineStart : std::uint8_t { kUndecided, kMethodComplete, kNotARequest };
  LineStart scanRequestLineStart();
  bool finishRequestHead(std::string_view& input, std::string& output);
  void startNextRequest();
  bool passThrough(std::string_view& input, std::string& output);
  bool fail(std::string reason);

  std::string xfccLine_;  // "X-Forwarded-Client-Cert: <value>\r\n"
  RewriteLimits limits_;
  Phase phase_ = Phase::kHead;
  std::string error_;
  std::uint64_t requestsRewritten_ = 0;

  // The element being collected: a header block, a chunk-size line, the CRLF after chunk
  // data, or a trailer section.
  std::string buffer_;
  // Bytes still to relay in kFixedBody and kChunkData.
  std::uint64_t bodyBytesLeft_ = 0;

  // Header block scan state (kHead; lineStart_ also in kTrailers).
  bool streamIsHttp1_ = false;                // a request line has been recognised
  std::size_t lineStart_ = 0;                 // offset in buffer_ of the incomplete line
  std::size_t requestLineStart_ = kNotFound;  // after leading whitespace
  std::size_t methodScanned_ = 0;             // offset the request-line start scan reached
  bool methodComplete_ = false;
  bool requestLineComplete_ = false;
};

}  // namespace ztls::http
