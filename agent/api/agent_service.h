// The gRPC face of an AgentBackend: validates requests, converts messages and turns
// backend exceptions into statuses. No state of its own.
#pragma once

#include "ztls/agent/v1/agent.grpc.pb.h"
#include "ztls/api/backend.h"

namespace ztls::api {

class AgentService final : public ::ztls::agent::v1::Agent::Service {
 public:
  explicit AgentService(AgentBackend& backend) : backend_(backend) {}

  grpc::Status AddPod(grpc::ServerContext* context, const ::ztls::agent::v1::AddPodRequest* request,
                      ::ztls::agent::v1::AddPodResponse* response) override;
  grpc::Status RemovePod(grpc::ServerContext* context,
                         const ::ztls::agent::v1::RemovePodRequest* request,
                         ::ztls::agent::v1::RemovePodResponse* response) override;
  grpc::Status ListWorkloads(grpc::ServerContext* context,
                             const ::ztls::agent::v1::ListWorkloadsRequest* request,
                             ::ztls::agent::v1::ListWorkloadsResponse* response) override;
  grpc::Status GetStatus(grpc::ServerContext* context,
                         const ::ztls::agent::v1::GetStatusRequest* request,
                         ::ztls::agent::v1::GetStatusResponse* response) override;
  grpc::Status ListConnections(grpc::ServerContext* context,
                               const ::ztls::agent::v1::ListConnectionsRequest* request,
                               ::ztls::agent::v1::ListConnectionsResponse* response) override;
  grpc::Status ListCertificates(grpc::ServerContext* context,
                                const ::ztls::agent::v1::ListCertificatesRequest* request,
                                ::ztls::agent::v1::ListCertificatesResponse* response) override;
  grpc::Status ListPolicies(grpc::ServerContext* context,
                            const ::ztls::agent::v1::ListPoliciesRequest* request,
                            ::ztls::agent::v1::ListPoliciesResponse* response) override;

 private:
  AgentBackend& backend_;
};

}  // namespace ztls::api
