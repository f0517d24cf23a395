// The chunk-size line of the chunked transfer coding (RFC 9112 §7.1).
#pragma once

#include <cstdint>
#include <string_view>

namespace ztls::http::detail {

struct ChunkLine {
  std::uint64_t size = 0;  // 0: the last chunk, a trailer section follows
  // Empty when well-formed; otherwise what is wrong (static text).
  std::string_view problem;
};

// `line` is a whole chunk-size line, through its LF:
//   chunk-size [ chunk-ext ] CRLF
//   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// Extensions are checked to the letter of the grammar because lenient extension parsing
// (a bare LF or CR inside one, stray bytes after the size) is where proxies and servers
// have disagreed about where chunk data starts.
ChunkLine parseChunkLine(std::string_view line);

}  // namespace ztls::http::detail
