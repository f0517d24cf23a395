// The stream state machine: collects each element (header block, chunk-size line, CRLF
// after chunk data, trailer section) until it is complete, checks it, and emits it;
// relays body bytes as they come.
#include "ztls/http/xfcc_rewriter.h"

#include <algorithm>

#include "chunk_line.h"
#include "field_section.h"
#include "request_head.h"
#include "syntax.h"

namespace ztls::http {

std::string_view toString(RewriteResult result) {
  switch (result) {
    case RewriteResult::kContinue:
      return "continue";
    case RewriteResult::kPassThrough:
      return "pass-through";
    case RewriteResult::kError:
      return "error";
  }
  return "unknown";
}

bool XfccRewriter::isValidHeaderValue(std::string_view value) {
  return std::all_of(value.begin(), value.end(), detail::isFieldValueByte) &&
         detail::trimOws(value).size() == value.size();
}

XfccRewriter::XfccRewriter(std::string_view headerValue, RewriteLimits limits) : limits_(limits) {
  // collectLine counts to one byte over a limit; keep that from wrapping around.
  constexpr std::size_t kLargestLimit = static_cast<std::size_t>(-1) / 2;
  limits_.maxHeaderBlockBytes = std::min(limits_.maxHeaderBlockBytes, kLargestLimit);
  limits_.maxChunkLineBytes = std::min(limits_.maxChunkLineBytes, kLargestLimit);
  if (!isValidHeaderValue(headerValue)) {
    fail("X-Forwarded-Client-Cert value is not a valid field value");
    return;
  }
  xfccLine_.append(kXfccHeaderName).append(": ").append(headerValue).append("\r\n");
}

RewriteResult XfccRewriter::state() const noexcept {
  switch (phase_) {
    case Phase::kPassThrough:
      return RewriteResult::kPassThrough;
    case Phase::kError:
      return RewriteResult::kError;
    default:
      return RewriteResult::kContinue;
  }
}

std::string_view XfccRewriter::error() const noexcept { return error_; }

std::uint64_t XfccRewriter::requestsRewritten() const noexcept { return requestsRewritten_; }

bool XfccRewriter::atRequestBoundary() const noexcept {
  return phase_ == Phase::kHead && buffer_.empty();
}

RewriteResult XfccRewriter::feed(std::string_view input, std::string& output) {
  if (phase_ == Phase::kPassThrough) output.append(input);
  bool keepGoing = phase_ != Phase::kPassThrough && phase_ != Phase::kError;
  while (keepGoing && !input.empty()) {
    switch (phase_) {
      case Phase::kHead:
        keepGoing = feedHead(input, output);
        break;
      case Phase::kFixedBody:
        keepGoing = feedFixedBody(input, output);
        break;
      case Phase::kChunkLine:
        keepGoing = feedChunkLine(input, output);
        break;
      case Phase::kChunkData:
        keepGoing = feedChunkData(input, output);
        break;
      case Phase::kChunkDataEnd:
        keepGoing = feedChunkDataEnd(input, output);
        break;
      case Phase::kTrailers:
        keepGoing = feedTrailers(input, output);
        break;
      case Phase::kPassThrough:
      case Phase::kError:
        keepGoing = false;
        break;
    }
  }
  return state();
}

bool XfccRewriter::collectLine(std::string_view& input, std::size_t limit) {
  const std::size_t newline = input.find('\n');
  const std::size_t lineBytes = newline == std::string_view::npos ? input.size() : newline + 1;
  // One byte over the limit is enough to know it was exceeded; never more, so that one
  // huge input does not get copied before it is refused.
  const std::size_t room = limit + 1 - std::min(buffer_.size(), limit + 1);
  const std::size_t taken = std::min(lineBytes, room);
  buffer_.append(input.substr(0, taken));
  input.remove_prefix(taken);
  return !buffer_.empty() && buffer_.back() == '\n';
}

// Decides, as early as the bytes allow, whether the request line can start like one:
// leading whitespace, then a method token ended by a whitespace byte. Incremental, so that
// feeding a byte at a time stays linear.
XfccRewriter::LineStart XfccRewriter::scanRequestLineStart() {
  for (; methodScanned_ < buffer_.size(); ++methodScanned_) {
    const char c = buffer_[methodScanned_];
    if (requestLineStart_ == kNotFound) {
      if (detail::isLenientWhitespace(c)) continue;
      requestLineStart_ = methodScanned_;
    }
    if (detail::isTchar(c)) continue;
    if (methodScanned_ > requestLineStart_ && detail::isLenientWhitespace(c)) {
      methodComplete_ = true;
      return LineStart::kMethodComplete;
    }
    return LineStart::kNotARequest;
  }
  return LineStart::kUndecided;
}

bool XfccRewriter::feedHead(std::string_view& input, std::string& output) {
  while (!input.empty()) {
    const bool lineComplete = collectLine(input, limits_.maxHeaderBlockBytes);
    if (!methodComplete_ && scanRequestLineStart() == LineStart::kNotARequest) {
      if (!streamIsHttp1_) return passThrough(input, output);
      return fail("request head: malformed request line");
    }
    if (buffer_.size() > limits_.maxHeaderBlockBytes) {
      return fail("request header block over " + std::to_string(limits_.maxHeaderBlockBytes) +
                  " bytes");
    }
    if (!lineComplete) continue;
    const std::size_t lineOffset = lineStart_;
    lineStart_ = buffer_.size();
    // Lines made only of whitespace before the request line; parseRequestHead checks them.
    if (requestLineStart_ == kNotFound) continue;
    if (!requestLineComplete_) {
      requestLineComplete_ = true;
      const std::string_view requestLine = std::string_view(buffer_).substr(requestLineStart_);
      if (!streamIsHttp1_) {
        if (!detail::couldBeHttp1RequestLine(requestLine, methodScanned_ - requestLineStart_,
                                             requestLineStart_ == 0)) {
          return passThrough(input, output);
        }
        streamIsHttp1_ = true;
      }
      continue;  // it holds a method, so it is not the blank line that ends the block
    }
    const std::string_view line = std::string_view(buffer_).substr(lineOffset);
    if (line == "\r\n" || line == "\n") return finishRequestHead(input, output);
  }
  return true;
}

bool XfccRewriter::finishRequestHead(std::string_view& input, std::string& output) {
  const detail::RequestHead head = detail::parseRequestHead(buffer_, requestLineStart_);
  if (!head.problem.empty()) return fail("request head: " + std::string(head.problem));
  detail::appendSanitized(buffer_, head.section, xfccLine_, output);
  ++requestsRewritten_;
  startNextRequest();
  if (head.leavesHttp1) return passThrough(input, output);
  switch (head.framing) {
    case detail::BodyFraming::kNone:
      break;
    case detail::BodyFraming::kContentLength:
      if (head.contentLength > 0) {
        bodyBytesLeft_ = head.contentLength;
        phase_ = Phase::kFixedBody;
      }
      break;
    case detail::BodyFraming::kChunked:
      phase_ = Phase::kChunkLine;
      break;
  }
  return true;
}

void XfccRewriter::startNextRequest() {
  phase_ = Phase::kHead;
  buffer_.clear();
  lineStart_ = 0;
  requestLineStart_ = kNotFound;
  methodScanned_ = 0;
  methodComplete_ = false;
  requestLineComplete_ = false;
}

bool XfccRewriter::feedFixedBody(std::string_view& input, std::string& output) {
  const std::size_t relayed = static_cast<std::size_t>(
      std::min<std::uint64_t>(bodyBytesLeft_, static_cast<std::uint64_t>(input.size())));
  output.append(input.substr(0, relayed));
  input.remove_prefix(relayed);
  bodyBytesLeft_ -= relayed;
  if (bodyBytesLeft_ == 0) phase_ = Phase::kHead;
  return true;
}

bool XfccRewriter::feedChunkLine(std::string_view& input, std::string& output) {
  const bool lineComplete = collectLine(input, limits_.maxChunkLineBytes);
  if (buffer_.size() > limits_.maxChunkLineBytes) {
    return fail("chunk line over " + std::to_string(limits_.maxChunkLineBytes) + " bytes");
  }
  if (!lineComplete) return true;
  const detail::ChunkLine chunk = detail::parseChunkLine(buffer_);
  if (!chunk.problem.empty()) return fail("chunked body: " + std::string(chunk.problem));
  output.append(buffer_);
  buffer_.clear();
  if (chunk.size == 0) {
    lineStart_ = 0;
    phase_ = Phase::kTrailers;
  } else {
    bodyBytesLeft_ = chunk.size;
    phase_ = Phase::kChunkData;
  }
  return true;
}

bool XfccRewriter::feedChunkData(std::string_view& input, std::string& output) {
  const std::size_t relayed = static_cast<std::size_t>(
      std::min<std::uint64_t>(bodyBytesLeft_, static_cast<std::uint64_t>(input.size())));
  output.append(input.substr(0, relayed));
  input.remove_prefix(relayed);
  bodyBytesLeft_ -= relayed;
  if (bodyBytesLeft_ == 0) phase_ = Phase::kChunkDataEnd;
  return true;
}

// RFC 9112 §7.1: chunk-data is followed by CRLF, exactly.
bool XfccRewriter::feedChunkDataEnd(std::string_view& input, std::string& output) {
  constexpr std::string_view kCrlf = "\r\n";
  while (!input.empty() && buffer_.size() < kCrlf.size()) {
    if (input.front() != kCrlf[buffer_.size()]) {
      return fail("chunked body: chunk data not followed by CRLF");
    }
    buffer_.push_back(input.front());
    input.remove_prefix(1);
  }
  if (buffer_.size() == kCrlf.size()) {
    output.append(buffer_);
    buffer_.clear();
    phase_ = Phase::kChunkLine;
  }
  return true;
}

bool XfccRewriter::feedTrailers(std::string_view& input, std::string& output) {
  while (!input.empty()) {
    const bool lineComplete = collectLine(input, limits_.maxHeaderBlockBytes);
    if (buffer_.size() > limits_.maxHeaderBlockBytes) {
      return fail("trailer section over " + std::to_string(limits_.maxHeaderBlockBytes) + " bytes");
    }
    if (!lineComplete) continue;
    const std::string_view line = std::string_view(buffer_).substr(lineStart_);
    lineStart_ = buffer_.size();
    if (line != "\r\n" && line != "\n") continue;
    const detail::FieldSection section = detail::parseFieldSection(buffer_, 0);
    if (!section.problem.empty()) return fail("trailer section: " + std::string(section.problem));
    detail::appendSanitized(buffer_, section, {}, output);
    startNextRequest();
    return true;
  }
  return true;
}

bool XfccRewriter::passThrough(std::string_view& input, std::string& output) {
  // Only the header block scan holds bytes back when this is called: either the first
  // request line, which is not one (emitted as it came), or nothing (after an upgrade).
  output.append(buffer_);
  buffer_.clear();
  output.append(input);
  input = {};
  phase_ = Phase::kPassThrough;
  return false;
}

bool XfccRewriter::fail(std::string reason) {
  error_ = std::move(reason);
  buffer_.clear();
  buffer_.shrink_to_fit();
  phase_ = Phase::kError;
  return false;
}

}  // namespace ztls::http
