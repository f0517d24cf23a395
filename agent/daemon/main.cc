// ztls-agent: the per-node agent. Loads the capture programs, follows the config
// directory, enrolls pods announced by ztls-cni, and relays their traffic.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include "daemon/handover.h"
#include "daemon/node_agent.h"
#include "ztls/api/server.h"
#include "ztls/metrics/http_endpoints.h"

int main(int argc, char** argv) {
  CLI::App app{"ztls-agent: the ztls node agent"};
  ztls::daemon::AgentOptions options;
  app.add_option("--node", options.nodeName, "This node's name")->required();
  app.add_option("--config-dir", options.configDir, "Directory of cluster YAML to follow")
      ->required();
  app.add_option("--socket", options.socketPath, "Unix socket for the agent API")->required();
  app.add_option("--pin-dir", options.pinDir, "bpffs directory for this node's maps and links")
      ->required();
  app.add_option("--pod-cgroup", options.podCgroup,
                 "cgroup v2 directory holding every pod of this node")
      ->required();
  app.add_option("--state-dir", options.stateDir, "Directory for the agent's own state")
      ->required();
  app.add_option("--ca-dir", options.caDir,
                 "Directory of the mesh root (created on first use, shared by every node)")
      ->required();
  int firstBytesMs = 200;
  app.add_option("--first-bytes-timeout-ms", firstBytesMs,
                 "How long an inbound client may stay silent before it counts as plaintext "
                 "(PERMISSIVE) or is closed (STRICT)")
      ->capture_default_str();
  int handshakeMs = 5000;
  app.add_option("--handshake-timeout-ms", handshakeMs,
                 "How long a mutual TLS handshake may take, either direction")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  std::string accessLogFormat = "text";
  app.add_option("--access-log-format", accessLogFormat,
                 "One line per connection as key=value text or as a JSON object")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  // ztunnel's ports. The lab runs each agent in its node's network namespace, so every
  // node (and every lab cluster) has these ports to itself.
  std::string metricsAddress = "0.0.0.0:15020";
  app.add_option("--metrics-address", metricsAddress,
                 "host:port serving Prometheus metrics at /metrics; empty disables")
      ->capture_default_str();
  std::string readinessAddress = "0.0.0.0:15021";
  app.add_option("--readiness-address", readinessAddress,
                 "host:port serving the readiness probe GET /healthz/ready; empty disables")
      ->capture_default_str();
  std::string kernelTls = "auto";
  app.add_option("--kernel-tls", kernelTls,
                 "auto: hand established mesh sessions to kernel TLS when the kernel offers it; "
                 "off: keep them in userspace")
      ->check(CLI::IsMember({"auto", "off"}))
      ->capture_default_str();
  int drainSeconds = 30;
  app.add_option("--drain-seconds", drainSeconds,
                 "After handing over to a new agent, how long the connections this agent could "
                 "not hand over (userspace TLS, plaintext) may run on before it exits")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--trust-domain", options.mesh.trustDomain, "SPIFFE trust domain")
      ->capture_default_str();
  app.add_option("--root-namespace", options.mesh.rootNamespace, "Istio root namespace")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.timeouts.firstBytes = std::chrono::milliseconds(firstBytesMs);
  options.timeouts.handshake = std::chrono::milliseconds(handshakeMs);
  options.accessLogFormat = *ztls::daemon::parseAccessLogFormat(accessLogFormat);
  options.kernelTls = kernelTls == "auto";

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  // Block the stop signals in every thread; one waits for them below.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    ztls::daemon::NodeAgent agent(options, io.get_executor());
    // Before anything is bound: a running agent lets go of its listeners and ports, and
    // hands over its kernel TLS connections.
    const auto handoverPath = options.stateDir / ztls::daemon::kHandoverSocketName;
    ztls::daemon::Takeover takeover =
        ztls::daemon::takeOverFrom(handoverPath, std::chrono::seconds(30));
    for (const auto& problem : takeover.problems) {
      spdlog::error("hand-over: connection refused and lost: {}", problem);
    }
    if (takeover.found) {
      spdlog::info(
          "took over from the agent with pid {}: {} kernel TLS connections handed over, {} "
          "left to end there",
          takeover.previousPid, takeover.connections.size(), takeover.draining);
    }
    agent.start();
    agent.adopt(std::move(takeover.connections));
    // Before the API socket, which is what tells the lab the agent is up: a port that
    // cannot be bound is a failed start, with the reason in the log.
    std::unique_ptr<ztls::metrics::MetricsEndpoint> metricsEndpoint;
    if (!metricsAddress.empty()) {
      metricsEndpoint = std::make_unique<ztls::metrics::MetricsEndpoint>(
          metricsAddress, std::make_shared<ztls::metrics::AgentCollector>(
                              [&agent] { return agent.scrapeMetrics(); }));
    }
    std::unique_ptr<ztls::metrics::ReadinessEndpoint> readinessEndpoint;
    if (!readinessAddress.empty()) {
      readinessEndpoint = std::make_unique<ztls::metrics::ReadinessEndpoint>(
          readinessAddress, [&agent] { return agent.readiness(); });
    }
    ztls::daemon::HandoverListener handover(handoverPath);
    auto server = std::make_unique<ztls::api::AgentServer>(options.socketPath.string(), agent);
    spdlog::info("ztls-agent on {} ready: api {}, config {}, pins {}, metrics {}, readiness {}",
                 options.nodeName, options.socketPath.string(), options.configDir.string(),
                 options.pinDir.string(), metricsEndpoint ? metricsAddress : "off",
                 readinessEndpoint ? readinessAddress : "off");

    std::thread dataPath([&io] { io.run(); });
    std::atomic<bool> stopping{false};
    std::thread ticker([&] {
      while (!stopping) {
        try {
          agent.tick();
        } catch (const std::exception& error) {
          spdlog::error("reconcile failed: {}", error.what());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
    std::optional<ztls::UniqueFd> successor;
    std::atomic<bool> successorArrived{false};
    std::thread handoverWaiter([&] {
      successor = handover.waitForTakeover();
      successorArrived = successor.has_value();
    });
    int signal = 0;
    const timespec poll{0, 100'000'000};
    while (!successorArrived) {
      signal = sigtimedwait(&stopSignals, nullptr, &poll);
      if (signal > 0) break;
    }
    if (signal > 0) {
      spdlog::info(
          "signal {}: stopping; enrolled pods stay captured and refuse connections until "
          "an agent is back",
          signal);
    } else {
      spdlog::info("handing over to the next agent");
    }
    handover.stop();
    handoverWaiter.join();
    stopping = true;
    ticker.join();
    readinessEndpoint.reset();  // probes fail from here on (connection refused)
    metricsEndpoint.reset();
    server.reset();
    agent.shutdown();
    if (successor) {
      auto paused = agent.pauseKernelRelays(std::chrono::seconds(2));
      const std::uint64_t draining = agent.liveConnections();
      try {
        ztls::daemon::sendHandover(successor->get(), paused, draining);
        spdlog::info("handed over {} kernel TLS connections; {} more end here (at most {} s)",
                     paused.size(), draining, drainSeconds);
      } catch (const std::exception& error) {
        spdlog::error("hand-over failed, {} kernel TLS connections lost: {}", paused.size(),
                      error.what());
      }
      paused.clear();  // this process's copies of the descriptors
      successor.reset();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(drainSeconds);
      while (agent.liveConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (const auto left = agent.liveConnections(); left > 0) {
        spdlog::warn("drain time over: {} connections end now", left);
      }
    }
    work.reset();
    io.stop();
    dataPath.join();
  } catch (const std::exception& error) {
    spdlog::critical("ztls-agent: {}", error.what());
    return 1;
  }
  return 0;
}
