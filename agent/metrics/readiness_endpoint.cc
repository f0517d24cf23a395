#include <CivetServer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "civet_support.h"
#include "ztls/metrics/http_endpoints.h"

namespace ztls::metrics {
namespace {

constexpr const char* kReadyPath = "/healthz/ready";

Readiness checkSafely(const std::function<Readiness()>& check) {
  // civetweb calls handlers from C: an exception must not cross it.
  try {
    return check();
  } catch (const std::exception& error) {
    return {false, std::string("readiness check failed: ") + error.what()};
  } catch (...) {
    return {false, "readiness check failed"};
  }
}

class ReadyHandler : public CivetHandler {
 public:
  explicit ReadyHandler(std::function<Readiness()> check) : check_(std::move(check)) {}

  bool handleGet(CivetServer* /*server*/, mg_connection* connection) override {
    const Readiness readiness = checkSafely(check_);
    std::string body = readiness.reason;
    std::replace(body.begin(), body.end(), '\n', ' ');
    body += "\n";
    mg_printf(connection,
              "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "Cache-Control: no-store\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
              readiness.ready ? "200 OK" : "503 Service Unavailable", body.size());
    mg_write(connection, body.data(), body.size());
    if (!readiness.ready) spdlog::debug("readiness probe: not ready: {}", readiness.reason);
    return true;
  }

 private:
  std::function<Readiness()> check_;
};

}  // namespace

struct ReadinessEndpoint::Server {
  // Declared before the server, so destroyed after it: the handler outlives every call.
  ReadyHandler handler;
  CivetServer civet;
  Server(const std::vector<std::string>& options, std::function<Readiness()> check)
      : handler(std::move(check)), civet(options) {
    // "$" anchors the pattern: only the exact path is the probe.
    civet.addHandler(std::string(kReadyPath) + "$", handler);
  }
};

ReadinessEndpoint::ReadinessEndpoint(const std::string& address, std::function<Readiness()> check)
    : address_(address) {
  try {
    // One thread: probes are rare and quick.
    server_ = std::make_unique<Server>(
        std::vector<std::string>{"listening_ports", address, "num_threads", "1"}, std::move(check));
  } catch (const std::exception& error) {
    throw std::runtime_error(listenFailure("the readiness probe", address, error.what()));
  }
}

ReadinessEndpoint::~ReadinessEndpoint() {
  stopPromptly(address_, port(), [this] { server_.reset(); });
}

int ReadinessEndpoint::port() const {
  const auto ports = server_->civet.getListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace ztls::metrics
