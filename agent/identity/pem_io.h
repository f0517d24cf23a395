// PEM encoding and decoding of certificates and private keys.
#pragma once

#include <string>
#include <string_view>

#include "ztls/identity/openssl_ptr.h"

namespace ztls::identity::detail {

std::string certificateToPem(X509* certificate);
std::string privateKeyToPem(EVP_PKEY* key);  // unencrypted PKCS#8

// `source` names the input in error messages (usually a path). Throw std::runtime_error.
X509Ptr certificateFromPem(std::string_view pem, const std::string& source);
// Encrypted keys are refused rather than prompting on the terminal for a passphrase.
EvpPkeyPtr privateKeyFromPem(std::string_view pem, const std::string& source);

}  // namespace ztls::identity::detail
