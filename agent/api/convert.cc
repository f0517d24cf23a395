#include "convert.h"

#include <string>
#include <vector>

namespace ztls::api {
namespace {

std::vector<std::string> toVector(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return {in.begin(), in.end()};
}

void fill(google::protobuf::RepeatedPtrField<std::string>& out,
          const std::vector<std::string>& in) {
  out.Assign(in.begin(), in.end());
}

}  // namespace

pb::AddPodRequest toProto(const AddPodRequest& in) {
  pb::AddPodRequest out;
  out.set_namespace_(in.namespace_);
  out.set_name(in.name);
  out.set_uid(in.uid);
  out.set_container_id(in.containerId);
  out.set_netns_path(in.netnsPath);
  out.set_cgroup_path(in.cgroupPath);
  fill(*out.mutable_ips(), in.ips);
  out.set_node_name(in.nodeName);
  return out;
}

AddPodRequest fromProto(const pb::AddPodRequest& in) {
  return {.namespace_ = in.namespace_(),
          .name = in.name(),
          .uid = in.uid(),
          .containerId = in.container_id(),
          .netnsPath = in.netns_path(),
          .cgroupPath = in.cgroup_path(),
          .ips = toVector(in.ips()),
          .nodeName = in.node_name()};
}

pb::AddPodResponse toProto(const AddPodResult& in) {
  pb::AddPodResponse out;
  out.set_enrolled(in.enrolled);
  out.set_reason(in.reason);
  return out;
}

AddPodResult fromProto(const pb::AddPodResponse& in) {
  return {.enrolled = in.enrolled(), .reason = in.reason()};
}

pb::RemovePodRequest toProto(const RemovePodRequest& in) {
  pb::RemovePodRequest out;
  out.set_namespace_(in.namespace_);
  out.set_name(in.name);
  out.set_container_id(in.containerId);
  out.set_netns_path(in.netnsPath);
  return out;
}

RemovePodRequest fromProto(const pb::RemovePodRequest& in) {
  return {.namespace_ = in.namespace_(),
          .name = in.name(),
          .containerId = in.container_id(),
          .netnsPath = in.netns_path()};
}

void toProto(const Workload& in, pb::Workload& out) {
  out.set_namespace_(in.namespace_);
  out.set_name(in.name);
  out.set_service_account(in.serviceAccount);
  fill(*out.mutable_ips(), in.ips);
  out.set_node_name(in.nodeName);
  out.set_enrolled(in.enrolled);
  out.set_enrollment_reason(in.enrollmentReason);
  out.set_identity(in.identity);
  out.set_netns_path(in.netnsPath);
  for (const PortMode& port : in.ports) {
    pb::PortMode& added = *out.add_ports();
    added.set_port(port.port);
    added.set_mode(port.mode);
  }
}

Workload fromProto(const pb::Workload& in) {
  Workload out{.namespace_ = in.namespace_(),
               .name = in.name(),
               .serviceAccount = in.service_account(),
               .ips = toVector(in.ips()),
               .nodeName = in.node_name(),
               .enrolled = in.enrolled(),
               .enrollmentReason = in.enrollment_reason(),
               .identity = in.identity(),
               .netnsPath = in.netns_path(),
               .ports = {}};
  for (const pb::PortMode& port : in.ports()) {
    out.ports.push_back({.port = port.port(), .mode = port.mode()});
  }
  return out;
}

pb::GetStatusResponse toProto(const AgentStatus& in) {
  pb::GetStatusResponse out;
  out.set_node_name(in.nodeName);
  out.set_version(in.version);
  out.set_uptime_seconds(in.uptimeSeconds);
  out.set_config_generation(in.configGeneration);
  out.set_enrolled_pods(in.enrolledPods);
  pb::ConnectionCounters& connections = *out.mutable_connections();
  connections.set_opened(in.connections.opened);
  connections.set_active(in.connections.active);
  connections.set_closed(in.connections.closed);
  connections.set_bytes_inbound(in.connections.bytesInbound);
  connections.set_bytes_outbound(in.connections.bytesOutbound);
  connections.set_errors(in.connections.errors);
  out.mutable_bpf_verdicts()->insert(in.bpfVerdicts.begin(), in.bpfVerdicts.end());
  fill(*out.mutable_problems(), in.problems);
  pb::KernelTls& kernelTls = *out.mutable_kernel_tls();
  kernelTls.set_state(in.kernelTls.state);
  fill(*kernelTls.mutable_ciphers(), in.kernelTls.ciphers);
  kernelTls.set_detail(in.kernelTls.detail);
  kernelTls.set_handoffs(in.kernelTls.handoffs);
  kernelTls.mutable_fallbacks()->insert(in.kernelTls.fallbacks.begin(),
                                        in.kernelTls.fallbacks.end());
  kernelTls.set_taken_over(in.kernelTls.takenOver);
  return out;
}

AgentStatus fromProto(const pb::GetStatusResponse& in) {
  const pb::ConnectionCounters& connections = in.connections();
  return {.nodeName = in.node_name(),
          .version = in.version(),
          .uptimeSeconds = in.uptime_seconds(),
          .configGeneration = in.config_generation(),
          .enrolledPods = in.enrolled_pods(),
          .connections = {.opened = connections.opened(),
                          .active = connections.active(),
                          .closed = connections.closed(),
                          .bytesInbound = connections.bytes_inbound(),
                          .bytesOutbound = connections.bytes_outbound(),
                          .errors = connections.errors()},
          .bpfVerdicts = {in.bpf_verdicts().begin(), in.bpf_verdicts().end()},
          .problems = toVector(in.problems()),
          .kernelTls = {
              .state = in.kernel_tls().state(),
              .ciphers = toVector(in.kernel_tls().ciphers()),
              .detail = in.kernel_tls().detail(),
              .handoffs = in.kernel_tls().handoffs(),
              .fallbacks = {in.kernel_tls().fallbacks().begin(), in.kernel_tls().fallbacks().end()},
              .takenOver = in.kernel_tls().taken_over()}};
}

namespace {

void toProto(const ConnectionEndpoint& in, pb::ConnectionEndpoint& out) {
  out.set_address(in.address);
  out.set_workload(in.workload);
  out.set_identity(in.identity);
}

ConnectionEndpoint fromProto(const pb::ConnectionEndpoint& in) {
  return {in.address(), in.workload(), in.identity()};
}

}  // namespace

void toProto(const ConnectionInfo& in, pb::Connection& out) {
  out.set_id(in.id);
  out.set_direction(in.direction);
  toProto(in.source, *out.mutable_source());
  toProto(in.destination, *out.mutable_destination());
  out.set_security(in.security);
  out.set_bytes_sent(in.bytesSent);
  out.set_bytes_received(in.bytesReceived);
  out.set_decision(in.decision);
  out.set_reason(in.reason);
  out.set_age_ms(in.ageMs);
  out.set_relay(in.relay);
}

ConnectionInfo fromProto(const pb::Connection& in) {
  ConnectionInfo out;
  out.id = in.id();
  out.direction = in.direction();
  out.source = fromProto(in.source());
  out.destination = fromProto(in.destination());
  out.security = in.security();
  out.bytesSent = in.bytes_sent();
  out.bytesReceived = in.bytes_received();
  out.decision = in.decision();
  out.reason = in.reason();
  out.ageMs = in.age_ms();
  out.relay = in.relay();
  return out;
}

}  // namespace ztls::api
