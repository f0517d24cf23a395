#include "daemon/xfcc.h"

#include <spdlog/spdlog.h>

#include "ztls/http/xfcc_rewriter.h"

namespace ztls::daemon {
namespace {

class XfccPlaintextRewriter final : public tls::PlaintextRewriter {
 public:
  XfccPlaintextRewriter(const std::string& value, std::string connection, bool continuing)
      : rewriter_(value), connection_(std::move(connection)) {
    if (continuing) rewriter_.continueHttp1Stream();
  }

  bool atBoundary() const noexcept override { return rewriter_.atRequestBoundary(); }

  Verdict rewrite(std::span<const std::byte> input, std::string& output) override {
    const std::string_view bytes(reinterpret_cast<const char*>(input.data()), input.size());
    switch (rewriter_.feed(bytes, output)) {
      case http::RewriteResult::kContinue:
        return Verdict::kRewriting;
      case http::RewriteResult::kPassThrough:
        return Verdict::kPassThrough;
      case http::RewriteResult::kError:
        break;
    }
    spdlog::warn("inbound {} reset: malformed HTTP/1 after mutual TLS ({})", connection_,
                 rewriter_.error());
    return Verdict::kReset;
  }

 private:
  http::XfccRewriter rewriter_;
  std::string connection_;
};

}  // namespace

std::string xfccValue(std::string_view serverId, std::string_view clientCertificateSha256,
                      std::string_view clientId) {
  std::string value = "By=";
  value += serverId;
  value += ";Hash=";
  value += clientCertificateSha256;
  value += ";Subject=\"\";URI=";
  value += clientId;
  return value;
}

std::unique_ptr<tls::PlaintextRewriter> makeXfccRewriter(const std::string& value,
                                                         std::string connection, bool continuing) {
  return std::make_unique<XfccPlaintextRewriter>(value, std::move(connection), continuing);
}

}  // namespace ztls::daemon
