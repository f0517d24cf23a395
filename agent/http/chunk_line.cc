#include "chunk_line.h"

#include <algorithm>
#include <optional>

#include "field_section.h"
#include "syntax.h"

namespace ztls::http::detail {

namespace {

class ExtensionReader {
 public:
  explicit ExtensionReader(std::string_view text) : text_(text) {}

  // True when all of the text is well-formed chunk extensions.
  bool readAll() {
    while (true) {
      const std::size_t whitespaceStart = position_;
      skipWhitespace();
      // BWS only ever comes before ";" or "=": trailing whitespace is not in the grammar.
      if (atEnd()) return position_ == whitespaceStart;
      if (!consume(';')) return false;
      skipWhitespace();
      if (readToken().empty()) return false;
      const std::size_t afterName = position_;
      skipWhitespace();
      if (!consume('=')) {
        position_ = afterName;
        continue;
      }
      skipWhitespace();
      if (!(peek() == '"' ? readQuotedString() : !readToken().empty())) return false;
    }
  }

 private:
  bool atEnd() const { return position_ == text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[position_]; }
  bool consume(char c) {
    if (atEnd() || text_[position_] != c) return false;
    ++position_;
    return true;
  }
  void skipWhitespace() {
    while (!atEnd() && isOws(text_[position_])) ++position_;
  }
  std::string_view readToken() {
    const std::size_t start = position_;
    while (!atEnd() && isTchar(text_[position_])) ++position_;
    return text_.substr(start, position_ - start);
  }
  // quoted-string (RFC 9110 §5.6.4): qdtext is HTAB, SP, VCHAR but DQUOTE and backslash,
  // and obs-text; quoted-pair is a backslash and one of HTAB, SP, VCHAR, obs-text. Both
  // are field-value bytes, which excludes CR, LF and NUL.
  bool readQuotedString() {
    if (!consume('"')) return false;
    while (!atEnd()) {
      const char c = text_[position_++];
      if (c == '"') return true;
      if (!isFieldValueByte(c)) return false;
      if (c == '\\' && (atEnd() || !isFieldValueByte(text_[position_++]))) return false;
    }
    return false;
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace

ChunkLine parseChunkLine(std::string_view line) {
  ChunkLine chunk;
  const CrlfLine content = crlfLineAt(line, 0);
  if (!content.problem.empty() || content.end != line.size()) {
    chunk.problem = "chunk line does not end in CRLF";
    return chunk;
  }
  const std::string_view text = content.content;
  const std::size_t digitsEnd =
      std::min(text.find_first_not_of("0123456789abcdefABCDEF"), text.size());
  if (digitsEnd == 0) {
    chunk.problem = "malformed chunk size";
    return chunk;
  }
  const std::optional<std::uint64_t> size = parseHex(text.substr(0, digitsEnd));
  if (!size) {
    chunk.problem = "chunk size too large";
    return chunk;
  }
  if (!ExtensionReader(text.substr(digitsEnd)).readAll()) {
    chunk.problem = "malformed chunk extension";
    return chunk;
  }
  chunk.size = *size;
  return chunk;
}

}  // namespace ztls::http::detail
