#include "request_head.h"

#include <algorithm>
#include <optional>

#include "syntax.h"

namespace ztls::http::detail {

namespace {

constexpr std::string_view kHttp2PrefaceLine = "PRI * HTTP/2.0\r\n";

bool startsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equalsIgnoringCase(text.substr(0, prefix.size()), prefix);
}

// request-target bytes (RFC 9112 §3.2): a URI has no spaces or controls. obs-text is let
// through because clients do send raw UTF-8 paths and no parser splits on it.
bool isTargetByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte > 0x20 && byte != 0x7f;
}

struct RequestLine {
  std::string_view method;
  bool http10 = false;
  std::string_view problem;
};

// method SP request-target SP HTTP-version (RFC 9112 §3), with exactly these two SPs.
RequestLine parseRequestLine(std::string_view content) {
  RequestLine line;
  const std::size_t firstSpace = content.find(' ');
  const std::size_t lastSpace = content.rfind(' ');
  if (firstSpace == std::string_view::npos || lastSpace == firstSpace) {
    line.problem = "malformed request line";
    return line;
  }
  line.method = content.substr(0, firstSpace);
  const std::string_view target = content.substr(firstSpace + 1, lastSpace - firstSpace - 1);
  const std::string_view version = content.substr(lastSpace + 1);
  if (!isToken(line.method) || target.empty() ||
      !std::all_of(target.begin(), target.end(), isTargetByte)) {
    line.problem = "malformed request line";
  } else if (version == "HTTP/1.0") {
    line.http10 = true;
  } else if (version != "HTTP/1.1") {
    line.problem = "not an HTTP/1.0 or HTTP/1.1 request";
  }
  return line;
}

// What the framing fields of a request say (RFC 9112 §6.1-6.3).
struct FramingFields {
  std::optional<std::uint64_t> contentLength;
  bool hasTransferEncoding = false;
  bool lastCodingIsChunked = false;
  bool hasUpgrade = false;
  bool connectionHasUpgrade = false;
  std::string_view problem;
};

void noteContentLength(std::string_view value, FramingFields& fields) {
  // Content-Length = 1*DIGIT (RFC 9110 §8.6). A list, even of equal values, is refused:
  // parsers disagree about lists, and disagreeing about a body's length is smuggling.
  const std::optional<std::uint64_t> length = parseDecimal(value);
  if (!length) {
    fields.problem = "Content-Length is not a number";
  } else if (fields.contentLength && *fields.contentLength != *length) {
    fields.problem = "conflicting Content-Length values";
  } else {
    fields.contentLength = length;
  }
}

void noteTransferEncoding(std::string_view value, FramingFields& fields) {
  fields.hasTransferEncoding = true;
  forEachListElement(value, [&fields](std::string_view coding) {
    // Strict where RFC 9110 §5.6.1 is lenient (empty elements) and codings take no
    // parameters: the coding list decides where the body ends, so it must read one way.
    if (!isToken(coding)) {
      fields.problem = "malformed Transfer-Encoding";
      return false;
    }
    // RFC 9112 §6.1: chunked MUST NOT be applied more than once, and is always last.
    if (fields.lastCodingIsChunked) {
      fields.problem = "chunked is not the last transfer coding";
      return false;
    }
    fields.lastCodingIsChunked = equalsIgnoringCase(coding, "chunked");
    return true;
  });
}

FramingFields readFramingFields(const FieldSection& section) {
  FramingFields fields;
  for (const FieldLine& field : section.fields) {
    if (equalsIgnoringCase(field.name, "Content-Length")) {
      noteContentLength(field.value, fields);
    } else if (equalsIgnoringCase(field.name, "Transfer-Encoding")) {
      noteTransferEncoding(field.value, fields);
    } else if (equalsIgnoringCase(field.name, "Upgrade")) {
      fields.hasUpgrade = true;
    } else if (equalsIgnoringCase(field.name, "Connection")) {
      forEachListElement(field.value, [&fields](std::string_view option) {
        if (equalsIgnoringCase(option, "upgrade")) fields.connectionHasUpgrade = true;
        return true;
      });
    }
    if (!fields.problem.empty()) break;
  }
  return fields;
}

// RFC 9112 §2.2: a server SHOULD ignore empty lines before a request line; only CRLF ones
// are let through (to the app, unchanged).
bool onlyEmptyLines(std::string_view prefix) {
  for (; !prefix.empty(); prefix.remove_prefix(2)) {
    if (!prefix.starts_with("\r\n")) return false;
  }
  return true;
}

}  // namespace

bool couldBeHttp1RequestLine(std::string_view line, std::size_t methodLength, bool atStreamStart) {
  if (atStreamStart && line == kHttp2PrefaceLine) return false;
  for (std::size_t i = methodLength; i < line.size(); ++i) {
    if (isLenientWhitespace(line[i]) && startsWithIgnoringCase(line.substr(i + 1), "HTTP/")) {
      return true;
    }
  }
  return false;
}

RequestHead parseRequestHead(std::string_view block, std::size_t requestLineOffset) {
  RequestHead head;
  if (!onlyEmptyLines(block.substr(0, requestLineOffset))) {
    head.problem = "bytes other than empty lines before the request line";
    return head;
  }
  const CrlfLine line = crlfLineAt(block, requestLineOffset);
  if (!line.problem.empty()) {
    head.problem = line.problem;
    return head;
  }
  const RequestLine requestLine = parseRequestLine(line.content);
  if (!requestLine.problem.empty()) {
    head.problem = requestLine.problem;
    return head;
  }
  head.section = parseFieldSection(block, line.end);
  if (!head.section.problem.empty()) {
    head.problem = head.section.problem;
    return head;
  }
  const FramingFields fields = readFramingFields(head.section);
  if (!fields.problem.empty()) {
    head.problem = fields.problem;
  } else if (fields.hasTransferEncoding) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing; with
    // Content-Length it is the classic smuggling shape, which a server MAY reject; §6.3
    // item 4: a request whose final coding is not chunked gets 400.
    if (requestLine.http10) {
      head.problem = "Transfer-Encoding in an HTTP/1.0 request";
    } else if (fields.contentLength) {
      head.problem = "both Content-Length and Transfer-Encoding";
    } else if (!fields.lastCodingIsChunked) {
      head.problem = "Transfer-Encoding does not end in chunked";
    } else {
      head.framing = BodyFraming::kChunked;
    }
  } else if (fields.contentLength) {
    head.framing = BodyFraming::kContentLength;
    head.contentLength = *fields.contentLength;
  }
  // RFC 9110 §7.8: a server ignores Upgrade in HTTP/1.0, and one sent without the
  // "upgrade" connection option is not an upgrade for Node, Go or Envoy either. Methods
  // are case-sensitive (RFC 9110 §9.1).
  head.leavesHttp1 = requestLine.method == "CONNECT" ||
                     (!requestLine.http10 && fields.hasUpgrade && fields.connectionHasUpgrade);
  return head;
}

}  // namespace ztls::http::detail
