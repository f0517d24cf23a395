// The request header block (RFC 9112 §2-6): recognising the first request line of a
// stream, strict validation, and the body framing and protocol switch it announces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "field_section.h"

namespace ztls::http::detail {

// Whether the first line of a stream could be taken for an HTTP/1 request line by a
// lenient parser. `line` runs from the end of any leading whitespace through the LF and
// starts with a method token of `methodLength` bytes. True when some whitespace byte after
// the method is followed by "HTTP/" in any case; false for the HTTP/2 prior-knowledge
// preface line at the very start of the stream (`atStreamStart`: no leading whitespace).
bool couldBeHttp1RequestLine(std::string_view line, std::size_t methodLength, bool atStreamStart);

enum class BodyFraming { kNone, kContentLength, kChunked };

struct RequestHead {
  FieldSection section;
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t contentLength = 0;
  // CONNECT, or an HTTP/1.1 upgrade: what follows the header block is not HTTP/1.
  bool leavesHttp1 = false;
  // Empty when the header block is valid; otherwise what is wrong (static text).
  std::string_view problem;
};

// `block` is a whole header block: empty lines, the request line at `requestLineOffset`,
// the field lines and the blank line, which must be its last bytes.
RequestHead parseRequestHead(std::string_view block, std::size_t requestLineOffset);

}  // namespace ztls::http::detail
