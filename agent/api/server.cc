#include "ztls/api/server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "agent_service.h"
#include "socket_file.h"
#include "unix_socket.h"

namespace ztls::api {
namespace {

// Long enough for an in-flight AddPod to finish; short enough not to stall a restart.
constexpr std::chrono::seconds kShutdownGrace{2};

}  // namespace

struct AgentServer::Impl {
  Impl(std::string socketPath, AgentBackend& backend)
      : path(std::move(socketPath)), service(backend) {}

  std::string path;
  AgentService service;
  std::unique_ptr<grpc::Server> server;
  FileIdentity file;
  std::mutex mutex;
  bool stopped = false;
};

AgentServer::AgentServer(const std::string& target, AgentBackend& backend)
    : impl_(std::make_unique<Impl>(socketPathFromTarget(target), backend)) {
  claimSocketPath(impl_->path);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + impl_->path, grpc::InsecureServerCredentials());
  builder.RegisterService(&impl_->service);
  {
    // The socket must never exist with a mode that lets non-root users connect, not
    // even between bind() and chmod().
    ScopedUmask rootOnly(S_IRWXG | S_IRWXO | S_IXUSR);
    impl_->server = builder.BuildAndStart();
  }
  if (!impl_->server) {
    throw ApiError(ErrorKind::kFailedPrecondition,
                   "cannot serve the agent API at " + impl_->path +
                       ": gRPC could not listen there (its log above says why)");
  }
  try {
    impl_->file = restrictSocketFile(impl_->path);
  } catch (...) {
    impl_->server->Shutdown();
    ::unlink(impl_->path.c_str());
    throw;
  }
}

AgentServer::~AgentServer() {
  shutdown();
  impl_->server.reset();
  removeSocketFile(impl_->path, impl_->file);
}

const std::string& AgentServer::socketPath() const { return impl_->path; }

void AgentServer::shutdown() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
}

void AgentServer::wait() { impl_->server->Wait(); }

}  // namespace ztls::api
