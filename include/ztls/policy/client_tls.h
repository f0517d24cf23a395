// The client side of one connection: where it really goes (Service → endpoint and
// target port, pod IP, or outside the cluster) and what the source's agent sends:
// DestinationRule tls settings when a rule applies, otherwise auto mTLS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ztls/config/model.h"
#include "ztls/policy/snapshot.h"

namespace ztls::policy {

struct Destination {
  enum class Type : std::uint8_t { kService, kPod, kExternal };
  Type type = Type::kExternal;
  std::string host;  // as asked
  std::uint16_t port = 0;
  const config::Service* service = nullptr;
  const config::ServicePort* servicePort = nullptr;
  std::string serviceFqdn;
  std::size_t endpointCount = 0;
  const Workload* endpoint = nullptr;  // the endpoint the answer is about (first by name)
  std::uint16_t targetPort = 0;
  std::string endpointAddress;
  std::string problem;  // set when the destination cannot be reached at all
};

// host: a Service in any form a pod can use (name, name.ns, name.ns.svc, FQDN), a
// cluster IP, a pod IP, or anything else (outside the cluster).
Destination resolveDestination(const Snapshot& snapshot, std::string_view sourceNamespace,
                               std::string_view host, std::uint16_t port);

enum class ClientTls : std::uint8_t { kIstioMutual, kDisable, kPassthrough, kSimple, kMutual };
std::string_view clientTlsName(ClientTls tls);

struct ClientTlsDecision {
  ClientTls tls = ClientTls::kPassthrough;
  std::optional<config::ObjectKey> decidedBy;
  std::string reason;
};

// The DestinationRule a client in sourceNamespace uses for a service host: the most
// specific host match in the client's namespace, else the service's namespace, else the
// root namespace (Istio's lookup order); the oldest wins a tie.
const config::DestinationRule* findDestinationRule(const Snapshot& snapshot,
                                                   std::string_view sourceNamespace,
                                                   std::string_view serviceNamespace,
                                                   std::string_view fqdn);

ClientTlsDecision clientTlsDecision(const Snapshot& snapshot, const Workload& source,
                                    const Destination& destination);

}  // namespace ztls::policy
