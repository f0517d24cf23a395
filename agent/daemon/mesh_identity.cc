#include "daemon/mesh_identity.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

namespace ztls::daemon {

MeshIdentity::MeshIdentity(std::shared_ptr<identity::CertificateIssuer> issuer,
                           std::string trustDomain, bool kernelTlsHandoff)
    : trustDomain_(std::move(trustDomain)),
      kernelTlsHandoff_(kernelTlsHandoff),
      issuer_(issuer),
      certificates_(std::move(issuer)) {}

template <typename Context>
std::shared_ptr<const Context> MeshIdentity::contextFor(
    const identity::SpiffeId& id, std::map<std::string, std::shared_ptr<const Context>>& cache) {
  const auto certified = certificates_.get(id);
  const std::string key = id.uri() + " " + certified->serialHex;
  std::lock_guard lock(mutex_);
  if (const auto found = cache.find(key); found != cache.end()) return found->second;
  // Contexts of an identity's previous certificate serve no new handshakes any more.
  std::erase_if(cache,
                [&](const auto& entry) { return entry.first.rfind(id.uri() + " ", 0) == 0; });
  tls::Credentials credentials;
  credentials.leaf = certified->certificate();
  credentials.key = certified->privateKey();
  for (std::size_t i = 1; i < certified->chain().size(); ++i) {
    credentials.chain.push_back(certified->chain()[i].get());
  }
  credentials.root = issuer_->root();
  auto context = Context::create(credentials, {.kernelTlsHandoff = kernelTlsHandoff_});
  cache.emplace(key, context);
  spdlog::info("TLS {} context for {} (certificate {})", tls::toString(context->role()), id.uri(),
               certified->serialHex);
  return context;
}

std::shared_ptr<const tls::ServerContext> MeshIdentity::serverContext(
    const identity::SpiffeId& id) {
  return contextFor(id, servers_);
}

std::shared_ptr<const tls::ClientContext> MeshIdentity::clientContext(
    const identity::SpiffeId& id) {
  return contextFor(id, clients_);
}

std::string MeshIdentity::rootFingerprint() const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(issuer_->root(), EVP_sha256(), digest, &length) != 1) return "";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

void MeshIdentity::retain(const std::set<identity::SpiffeId>& wanted) {
  certificates_.retain(wanted);
  std::lock_guard lock(mutex_);
  const auto unwanted = [&](const auto& entry) {
    const auto space = entry.first.find(' ');
    const auto id = identity::SpiffeId::parse(entry.first.substr(0, space));
    return !id || !wanted.contains(*id);
  };
  std::erase_if(servers_, unwanted);
  std::erase_if(clients_, unwanted);
}

}  // namespace ztls::daemon
