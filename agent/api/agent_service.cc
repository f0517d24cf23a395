#include "agent_service.h"

#include <exception>
#include <string>
#include <utility>

#include "convert.h"
#include "status_mapping.h"

namespace ztls::api {
namespace {

// A backend exception must never unwind into gRPC's worker threads.
template <typename Body>
grpc::Status guarded(Body&& body) {
  try {
    std::forward<Body>(body)();
    return grpc::Status::OK;
  } catch (const ApiError& error) {
    return toGrpcStatus(error);
  } catch (const std::exception& error) {
    return {grpc::StatusCode::INTERNAL, error.what()};
  } catch (...) {
    return {grpc::StatusCode::INTERNAL, "the agent failed with an unknown exception"};
  }
}

// Enrollment keys on these; a request without them could only be guessed at.
void requireAddPodFields(const pb::AddPodRequest& request) {
  std::string missing;
  const auto need = [&missing](const std::string& value, const char* field) {
    if (value.empty()) missing += missing.empty() ? field : std::string(", ") + field;
  };
  need(request.namespace_(), "namespace");
  need(request.name(), "name");
  need(request.container_id(), "container_id");
  need(request.netns_path(), "netns_path");
  if (!missing.empty()) {
    throw ApiError(ErrorKind::kInvalidArgument, "AddPod request lacks " + missing);
  }
}

}  // namespace

grpc::Status AgentService::AddPod(grpc::ServerContext*, const pb::AddPodRequest* request,
                                  pb::AddPodResponse* response) {
  return guarded([&] {
    requireAddPodFields(*request);
    *response = toProto(backend_.addPod(fromProto(*request)));
  });
}

grpc::Status AgentService::RemovePod(grpc::ServerContext*, const pb::RemovePodRequest* request,
                                     pb::RemovePodResponse* response) {
  return guarded([&] { response->set_was_enrolled(backend_.removePod(fromProto(*request))); });
}

grpc::Status AgentService::ListWorkloads(grpc::ServerContext*,
                                         const pb::ListWorkloadsRequest* request,
                                         pb::ListWorkloadsResponse* response) {
  return guarded([&] {
    for (const Workload& workload : backend_.listWorkloads(request->namespace_())) {
      toProto(workload, *response->add_workloads());
    }
  });
}

grpc::Status AgentService::GetStatus(grpc::ServerContext*, const pb::GetStatusRequest*,
                                     pb::GetStatusResponse* response) {
  return guarded([&] { *response = toProto(backend_.status()); });
}

grpc::Status AgentService::ListConnections(grpc::ServerContext*, const pb::ListConnectionsRequest*,
                                           pb::ListConnectionsResponse* response) {
  return guarded([&] {
    for (const ConnectionInfo& connection : backend_.listConnections()) {
      toProto(connection, *response->add_connections());
    }
  });
}

grpc::Status AgentService::ListCertificates(grpc::ServerContext*,
                                            const pb::ListCertificatesRequest*,
                                            pb::ListCertificatesResponse* response) {
  return guarded([&] {
    for (const CertificateInfo& certificate : backend_.listCertificates()) {
      pb::Certificate& out = *response->add_certificates();
      out.set_spiffe_id(certificate.spiffeId);
      out.set_serial(certificate.serial);
      out.set_not_before_unix(certificate.notBeforeUnix);
      out.set_not_after_unix(certificate.notAfterUnix);
      out.set_renew_at_unix(certificate.renewAtUnix);
      out.set_root_fingerprint(certificate.rootFingerprint);
    }
  });
}

grpc::Status AgentService::ListPolicies(grpc::ServerContext*,
                                        const pb::ListPoliciesRequest* request,
                                        pb::ListPoliciesResponse* response) {
  return guarded([&] {
    for (const PolicyInfo& policy : backend_.listPolicies(request->namespace_())) {
      pb::Policy& out = *response->add_policies();
      out.set_kind(policy.kind);
      out.set_namespace_(policy.namespace_);
      out.set_name(policy.name);
      out.set_scope(policy.scope);
      out.set_settings(policy.settings);
      for (const auto& workload : policy.workloads) out.add_workloads(workload);
      out.set_note(policy.note);
    }
  });
}

}  // namespace ztls::api
