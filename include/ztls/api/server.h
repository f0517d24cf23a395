// Serves an AgentBackend on a root-only Unix socket.
#pragma once

#include <memory>
#include <string>

#include "ztls/api/backend.h"

namespace ztls::api {

class AgentServer {
 public:
  // `target` is "unix:/run/ztls/agent.sock" or a plain absolute path. Missing parent
  // directories are created. A stale socket file left by a dead agent is replaced; a
  // live agent on the same path, or a non-socket file there, is an error. The socket
  // file is mode 0600. Serving starts before the constructor returns; throws ApiError
  // when it cannot. `backend` must outlive the server.
  AgentServer(const std::string& target, AgentBackend& backend);
  ~AgentServer();  // shutdown(), then removes the socket file
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  const std::string& socketPath() const;
  // Stops accepting calls; in-flight calls get a short grace period. Idempotent.
  void shutdown();
  // Blocks until shutdown() is called from another thread.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ztls::api
