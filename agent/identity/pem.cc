#include "ztls/identity/pem.h"

#include "pem_io.h"

namespace ztls::identity {

std::string certificatePem(const CertifiedKey& key) {
  std::string pem;
  for (const X509Ptr& certificate : key.chain()) pem += detail::certificateToPem(certificate.get());
  return pem;
}

}  // namespace ztls::identity
