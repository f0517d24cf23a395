// The agent's node-local HTTP endpoints, as ztunnel lays them out: Prometheus metrics
// at /metrics (port 15020) and the readiness probe at /healthz/ready (port 15021), each
// on its own listener so that a slow scrape never delays a probe.
//
// Addresses are "host:port" ("0.0.0.0:15020", "127.0.0.1:0" for any free port).
// Constructors throw std::runtime_error naming the address and the reason when they
// cannot listen; each endpoint stops serving (promptly) when destroyed.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ztls/metrics/readiness.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace ztls::metrics {

class MetricsEndpoint {
 public:
  MetricsEndpoint(const std::string& address, std::shared_ptr<prometheus::Collectable> collector);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const;  // the port really bound (useful with port 0)

 private:
  std::string address_;
  std::shared_ptr<prometheus::Collectable> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

class ReadinessEndpoint {
 public:
  // `check` runs on the server's thread for every probe; it must be thread-safe. An
  // exception from it answers 503 with its message.
  ReadinessEndpoint(const std::string& address, std::function<Readiness()> check);
  ~ReadinessEndpoint();
  ReadinessEndpoint(const ReadinessEndpoint&) = delete;
  ReadinessEndpoint& operator=(const ReadinessEndpoint&) = delete;

  int port() const;

 private:
  struct Server;
  std::string address_;
  std::unique_ptr<Server> server_;
};

}  // namespace ztls::metrics
