#include "openssl_error.h"

#include <openssl/err.h>

#include <stdexcept>

namespace ztls::identity::detail {

std::string takeOpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

void throwOpenSsl(const std::string& what) {
  std::string errors = takeOpenSslErrors();
  throw std::runtime_error(errors.empty() ? what : what + ": " + errors);
}

}  // namespace ztls::identity::detail
