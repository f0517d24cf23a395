// OpenSSL's error queue turned into exception messages.
#pragma once

#include <string>

namespace ztls::identity::detail {

// Empties the calling thread's OpenSSL error queue into one line ("" when empty), so that
// stale errors never end up in a later, unrelated message.
std::string takeOpenSslErrors();

// Throws std::runtime_error("<what>: <OpenSSL errors>").
[[noreturn]] void throwOpenSsl(const std::string& what);

}  // namespace ztls::identity::detail
