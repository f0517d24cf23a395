#include "ztls/api/client.h"

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "convert.h"
#include "status_mapping.h"
#include "unix_socket.h"
#include "ztls/agent/v1/agent.grpc.pb.h"

namespace ztls::api {
namespace {

std::string unreachable(const std::string& path, const std::string& why,
                        const char* hint = "is ztls-agent running?") {
  return "cannot reach the ztls agent at " + path + ": " + why + " — " + hint;
}

std::chrono::system_clock::time_point after(std::chrono::milliseconds timeout) {
  return std::chrono::system_clock::now() + timeout;
}

}  // namespace

struct AgentClient::Impl {
  std::string path;
  ClientOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::Agent::Stub> stub;

  ApiError failure(const char* rpc, const grpc::Status& status) const {
    const ErrorKind kind = kindFromGrpc(status.error_code());
    switch (kind) {
      case ErrorKind::kUnavailable:
        return {kind, unreachable(path, status.error_message())};
      case ErrorKind::kDeadlineExceeded:
        return {kind, "the ztls agent at " + path + " did not answer " + rpc + " within " +
                          std::to_string(options.callTimeout.count()) + " ms"};
      default:
        return {kind,
                "the ztls agent at " + path + " refused " + rpc + ": " + status.error_message()};
    }
  }

  template <typename Request, typename Response, typename Method>
  Response call(const char* rpc, Method method, const Request& request) const {
    grpc::ClientContext context;
    context.set_deadline(after(options.callTimeout));
    Response response;
    const grpc::Status status = (stub.get()->*method)(&context, request, &response);
    if (!status.ok()) throw failure(rpc, status);
    return response;
  }
};

AgentClient::AgentClient(const std::string& target, ClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = socketPathFromTarget(target);
  impl_->options = options;
  // gRPC would only say "failed to connect" after the whole timeout; a plain connect()
  // names the cause at once.
  if (const int error = probeUnixSocket(impl_->path); error != 0) {
    if (error == EACCES || error == EPERM) {
      throw ApiError(ErrorKind::kPermissionDenied,
                     unreachable(impl_->path, describeConnectError(error), "run this as root"));
    }
    throw ApiError(ErrorKind::kUnavailable, unreachable(impl_->path, describeConnectError(error)));
  }
  impl_->channel = grpc::CreateChannel("unix:" + impl_->path, grpc::InsecureChannelCredentials());
  if (!impl_->channel->WaitForConnected(after(options.connectTimeout))) {
    throw ApiError(
        ErrorKind::kUnavailable,
        unreachable(impl_->path,
                    "no answer within " + std::to_string(options.connectTimeout.count()) + " ms"));
  }
  impl_->stub = pb::Agent::NewStub(impl_->channel);
}

AgentClient::~AgentClient() = default;
AgentClient::AgentClient(AgentClient&&) noexcept = default;
AgentClient& AgentClient::operator=(AgentClient&&) noexcept = default;

const std::string& AgentClient::socketPath() const { return impl_->path; }

AddPodResult AgentClient::addPod(const AddPodRequest& request) {
  return fromProto(impl_->call<pb::AddPodRequest, pb::AddPodResponse>(
      "AddPod", &pb::Agent::Stub::AddPod, toProto(request)));
}

bool AgentClient::removePod(const RemovePodRequest& request) {
  return impl_
      ->call<pb::RemovePodRequest, pb::RemovePodResponse>("RemovePod", &pb::Agent::Stub::RemovePod,
                                                          toProto(request))
      .was_enrolled();
}

std::vector<Workload> AgentClient::listWorkloads(const std::string& namespace_) {
  pb::ListWorkloadsRequest request;
  request.set_namespace_(namespace_);
  const pb::ListWorkloadsResponse response =
      impl_->call<pb::ListWorkloadsRequest, pb::ListWorkloadsResponse>(
          "ListWorkloads", &pb::Agent::Stub::ListWorkloads, request);
  std::vector<Workload> workloads;
  workloads.reserve(response.workloads_size());
  for (const pb::Workload& workload : response.workloads()) {
    workloads.push_back(fromProto(workload));
  }
  return workloads;
}

std::vector<ConnectionInfo> AgentClient::listConnections() {
  const auto response = impl_->call<pb::ListConnectionsRequest, pb::ListConnectionsResponse>(
      "ListConnections", &pb::Agent::Stub::ListConnections, pb::ListConnectionsRequest{});
  std::vector<ConnectionInfo> connections;
  for (const auto& connection : response.connections())
    connections.push_back(fromProto(connection));
  return connections;
}

std::vector<CertificateInfo> AgentClient::listCertificates() {
  const auto response = impl_->call<pb::ListCertificatesRequest, pb::ListCertificatesResponse>(
      "ListCertificates", &pb::Agent::Stub::ListCertificates, pb::ListCertificatesRequest{});
  std::vector<CertificateInfo> certificates;
  for (const auto& certificate : response.certificates()) {
    certificates.push_back({certificate.spiffe_id(), certificate.serial(),
                            certificate.not_before_unix(), certificate.not_after_unix(),
                            certificate.renew_at_unix(), certificate.root_fingerprint()});
  }
  return certificates;
}

std::vector<PolicyInfo> AgentClient::listPolicies(const std::string& namespace_) {
  pb::ListPoliciesRequest request;
  request.set_namespace_(namespace_);
  const auto response = impl_->call<pb::ListPoliciesRequest, pb::ListPoliciesResponse>(
      "ListPolicies", &pb::Agent::Stub::ListPolicies, request);
  std::vector<PolicyInfo> policies;
  for (const auto& policy : response.policies()) {
    policies.push_back(
        {policy.kind(), policy.namespace_(), policy.name(), policy.scope(), policy.settings(),
         std::vector<std::string>(policy.workloads().begin(), policy.workloads().end()),
         policy.note()});
  }
  return policies;
}

AgentStatus AgentClient::status() {
  return fromProto(impl_->call<pb::GetStatusRequest, pb::GetStatusResponse>(
      "GetStatus", &pb::Agent::Stub::GetStatus, pb::GetStatusRequest{}));
}

}  // namespace ztls::api
