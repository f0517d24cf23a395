#include "pem_io.h"

#include <openssl/pem.h>

#include <limits>

#include "openssl_error.h"

namespace ztls::identity::detail {
namespace {

BioPtr readBio(std::string_view pem, const std::string& source) {
  if (pem.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::runtime_error(source + " is too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) throwOpenSsl("cannot read " + source);
  return bio;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

int noPassphrase(char*, int, int, void*) { return -1; }

}  // namespace

std::string certificateToPem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    throwOpenSsl("cannot encode a certificate as PEM");
  }
  return drain(bio.get());
}

std::string privateKeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throwOpenSsl("cannot encode a private key as PEM");
  }
  return drain(bio.get());
}

X509Ptr certificateFromPem(std::string_view pem, const std::string& source) {
  BioPtr bio = readBio(pem, source);
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
  if (certificate == nullptr) throwOpenSsl("cannot parse a PEM certificate from " + source);
  return certificate;
}

EvpPkeyPtr privateKeyFromPem(std::string_view pem, const std::string& source) {
  BioPtr bio = readBio(pem, source);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr));
  if (key == nullptr) {
    throwOpenSsl("cannot parse an unencrypted PEM private key from " + source);
  }
  return key;
}

}  // namespace ztls::identity::detail
