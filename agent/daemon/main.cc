// ztls-agent: the per-node agent. Loads the capture programs, follows the config
// directory, enrolls pods announced by ztls-cni, and relays their traffic.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "daemon/node_agent.h"
#include "ztls/api/server.h"

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
  app.add_option("--trust-domain", options.mesh.trustDomain, "SPIFFE trust domain")
      ->capture_default_str();
  app.add_option("--root-namespace", options.mesh.rootNamespace, "Istio root namespace")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.timeouts.firstBytes = std::chrono::milliseconds(firstBytesMs);

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
    agent.start();
    ztls::api::AgentServer server(options.socketPath.string(), agent);
    spdlog::info("ztls-agent on {} ready: api {}, config {}, pins {}", options.nodeName,
                 options.socketPath.string(), options.configDir.string(), options.pinDir.string());

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
    int signal = 0;
    sigwait(&stopSignals, &signal);
    spdlog::info(
        "signal {}: stopping; enrolled pods stay captured and refuse connections until "
        "an agent is back",
        signal);
    stopping = true;
    ticker.join();
    server.shutdown();
    agent.shutdown();
    work.reset();
    io.stop();
    dataPath.join();
  } catch (const std::exception& error) {
    spdlog::critical("ztls-agent: {}", error.what());
    return 1;
  }
  return 0;
}
