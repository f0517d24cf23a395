// Plain C++ mirrors of the agent API messages, so that the agent core and the CNI plugin
// never depend on protobuf. Field meanings are documented in proto/ztls/agent/v1/agent.proto.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ztls::api {

struct AddPodRequest {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string containerId;
  std::string netnsPath;
  std::string cgroupPath;
  std::vector<std::string> ips;
  std::string nodeName;

  bool operator==(const AddPodRequest&) const = default;
};

struct AddPodResult {
  bool enrolled = false;
  std::string reason;

  bool operator==(const AddPodResult&) const = default;
};

struct RemovePodRequest {
  std::string namespace_;
  std::string name;
  std::string containerId;
  std::string netnsPath;

  bool operator==(const RemovePodRequest&) const = default;
};

struct PortMode {
  std::uint32_t port = 0;
  std::string mode;

  bool operator==(const PortMode&) const = default;
};

struct Workload {
  std::string namespace_;
  std::string name;
  std::string serviceAccount;
  std::vector<std::string> ips;
  std::string nodeName;
  bool enrolled = false;
  std::string enrollmentReason;
  std::string identity;
  std::string netnsPath;
  std::vector<PortMode> ports;

  bool operator==(const Workload&) const = default;
};

struct ConnectionCounters {
  std::uint64_t opened = 0;
  std::uint64_t active = 0;
  std::uint64_t closed = 0;
  std::uint64_t bytesInbound = 0;
  std::uint64_t bytesOutbound = 0;
  std::uint64_t errors = 0;

  bool operator==(const ConnectionCounters&) const = default;
};

struct KernelTlsStatus {
  std::string state;  // "active", "unavailable" or "off"
  std::vector<std::string> ciphers;
  std::string detail;
  std::uint64_t handoffs = 0;
  std::map<std::string, std::uint64_t> fallbacks;
  std::uint64_t takenOver = 0;  // connections the previous agent handed over to this one

  bool operator==(const KernelTlsStatus&) const = default;
};

struct AgentStatus {
  std::string nodeName;
  std::string version;
  std::uint64_t uptimeSeconds = 0;
  std::uint64_t configGeneration = 0;
  std::uint64_t enrolledPods = 0;
  ConnectionCounters connections;
  std::map<std::string, std::uint64_t> bpfVerdicts;
  std::vector<std::string> problems;
  KernelTlsStatus kernelTls;

  bool operator==(const AgentStatus&) const = default;
};

struct ConnectionEndpoint {
  std::string address;
  std::string workload;
  std::string identity;
  bool operator==(const ConnectionEndpoint&) const = default;
};

struct ConnectionInfo {
  std::uint64_t id = 0;
  std::string direction;
  ConnectionEndpoint source;
  ConnectionEndpoint destination;
  std::string security;
  std::uint64_t bytesSent = 0;
  std::uint64_t bytesReceived = 0;
  std::string decision;
  std::string reason;
  std::uint64_t ageMs = 0;
  std::string relay;
  bool operator==(const ConnectionInfo&) const = default;
};

struct CertificateInfo {
  std::string spiffeId;
  std::string serial;
  std::int64_t notBeforeUnix = 0;
  std::int64_t notAfterUnix = 0;
  std::int64_t renewAtUnix = 0;
  std::string rootFingerprint;
  bool operator==(const CertificateInfo&) const = default;
};

struct PolicyInfo {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string scope;
  std::string settings;
  std::vector<std::string> workloads;
  std::string note;
  bool operator==(const PolicyInfo&) const = default;
};

}  // namespace ztls::api
