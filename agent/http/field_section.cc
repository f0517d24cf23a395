#include "field_section.h"

#include <algorithm>

#include "syntax.h"

namespace ztls::http::detail {

CrlfLine crlfLineAt(std::string_view block, std::size_t offset) {
  CrlfLine line;
  const std::size_t newline = block.find('\n', offset);
  if (newline == std::string_view::npos) {
    line.problem = "no line end";
    line.end = block.size();
    return line;
  }
  line.end = newline + 1;
  // RFC 9112 §2.2: a recipient MAY take a bare LF for a line end; this one does not (see
  // the class comment), so that it never frames lines differently from a strict server.
  if (newline == offset || block[newline - 1] != '\r') {
    line.problem = "bare LF";
    return line;
  }
  line.content = block.substr(offset, newline - 1 - offset);
  return line;
}

namespace {

// Fills `field` from a line's content, or says what is wrong with it.
std::string_view parseFieldLine(std::string_view content, FieldLine& field) {
  // RFC 9112 §5.2: obs-fold is refused (a server MUST reject it or unfold it, and
  // unfolding would change bytes). This also covers whitespace between the start line and
  // the first field line (§2.2), which a recipient MUST reject or skip.
  if (isOws(content.front())) return "obsolete line folding";
  const std::size_t colon = content.find(':');
  if (colon == std::string_view::npos) return "field line without a colon";
  // RFC 9112 §5.1: no whitespace between name and colon; a server MUST reject it, since
  // proxies and servers have disagreed about what such a name is.
  field.name = content.substr(0, colon);
  if (!isToken(field.name)) return "invalid field name";
  field.value = trimOws(content.substr(colon + 1));
  if (!std::all_of(field.value.begin(), field.value.end(), isFieldValueByte)) {
    return "invalid byte in a field value";
  }
  return {};
}

}  // namespace

FieldSection parseFieldSection(std::string_view block, std::size_t offset) {
  FieldSection section;
  while (true) {
    const CrlfLine line = crlfLineAt(block, offset);
    if (!line.problem.empty()) {
      section.problem = line.problem;
      return section;
    }
    if (line.content.empty()) {
      if (line.end != block.size()) section.problem = "bytes after the blank line";
      section.blankLineOffset = offset;
      return section;
    }
    FieldLine field;
    field.begin = offset;
    field.end = line.end;
    section.problem = parseFieldLine(line.content, field);
    if (!section.problem.empty()) return section;
    section.fields.push_back(field);
    offset = line.end;
  }
}

void appendSanitized(std::string_view block, const FieldSection& section,
                     std::string_view insertion, std::string& out) {
  out.reserve(out.size() + block.size() + insertion.size());
  std::size_t copied = 0;
  for (const FieldLine& field : section.fields) {
    if (!isXfccFieldName(field.name)) continue;
    out.append(block.substr(copied, field.begin - copied));
    copied = field.end;
  }
  out.append(block.substr(copied, section.blankLineOffset - copied));
  out.append(insertion);
  out.append(block.substr(section.blankLineOffset));
}

}  // namespace ztls::http::detail
