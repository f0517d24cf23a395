#include <prometheus/exposer.h>

#include <stdexcept>

#include "civet_support.h"
#include "ztls/metrics/http_endpoints.h"

namespace ztls::metrics {

MetricsEndpoint::MetricsEndpoint(const std::string& address,
                                 std::shared_ptr<prometheus::Collectable> collector)
    : address_(address), collector_(std::move(collector)) {
  try {
    // Two threads: a scrape that stalls (slow reader) does not hold up the next one.
    exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", address, "num_threads", "2"});
  } catch (const std::exception& error) {
    throw std::runtime_error(listenFailure("metrics", address, error.what()));
  }
  // The exposer holds a weak pointer; this endpoint keeps the collector alive.
  exposer_->RegisterCollectable(collector_);
}

MetricsEndpoint::~MetricsEndpoint() {
  stopPromptly(address_, port(), [this] { exposer_.reset(); });
}

int MetricsEndpoint::port() const {
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace ztls::metrics
