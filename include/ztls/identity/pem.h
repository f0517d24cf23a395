// PEM export, for people and tools (`ztlsctl certs`). Private keys are never exported.
#pragma once

#include <string>

#include "ztls/identity/certified_key.h"

namespace ztls::identity {

// The chain the workload presents (leaf first), as concatenated PEM certificates.
std::string certificatePem(const CertifiedKey& key);

}  // namespace ztls::identity
