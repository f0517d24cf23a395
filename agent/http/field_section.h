// Field lines (RFC 9112 §5) of a request header block or a trailer section, parsed
// strictly, and the block written back without its X-Forwarded-Client-Cert lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ztls::http::detail {

// One line of a block that must end in CRLF.
struct CrlfLine {
  std::string_view content;  // without the CRLF
  std::size_t end = 0;       // offset just past the line's LF
  // Empty when the line is well terminated: otherwise "bare LF" or "no line end".
  std::string_view problem;
};

// The line of `block` starting at `offset`.
CrlfLine crlfLineAt(std::string_view block, std::size_t offset);

struct FieldLine {
  std::string_view name;
  std::string_view value;  // without the surrounding OWS
  std::size_t begin = 0;   // offset of the line in the block
  std::size_t end = 0;     // offset just past its CRLF
};

struct FieldSection {
  std::vector<FieldLine> fields;
  std::size_t blankLineOffset = 0;  // offset of the CRLF that ends the section
  // Empty when well-formed; otherwise what is wrong (static text).
  std::string_view problem;
};

// Parses the field lines of `block` from `offset` through the blank line, which must be
// the last bytes of `block`.
FieldSection parseFieldSection(std::string_view block, std::size_t offset);

// Appends `block` to `out` without the X-Forwarded-Client-Cert lines of `section`, with
// `insertion` just before the blank line.
void appendSanitized(std::string_view block, const FieldSection& section,
                     std::string_view insertion, std::string& out);

}  // namespace ztls::http::detail
