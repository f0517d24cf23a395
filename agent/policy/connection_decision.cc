#include "ztls/policy/connection_decision.h"

#include <fmt/format.h>

namespace ztls::policy {

namespace {

bool sendsPlaintext(ClientTls tls) {
  return tls == ClientTls::kDisable || tls == ClientTls::kPassthrough;
}

void decideServer(const Snapshot& snapshot, ConnectionDecision& decision) {
  const Workload& endpoint = *decision.destination.endpoint;
  if (!endpoint.enrolled) {
    decision.serverReason =
        fmt::format("{} is not in the mesh ({}): no agent intercepts its inbound traffic",
                    endpoint.qualifiedName(), endpoint.enrollmentReason);
    return;
  }
  decision.server = effectivePeerAuthn(snapshot, endpoint).forPort(decision.destination.targetPort);
  decision.serverReason = decision.server->reason;
}

void authorize(const Snapshot& snapshot, ConnectionDecision& decision) {
  const Workload& endpoint = *decision.destination.endpoint;
  ConnectionAttributes attributes;
  if (decision.mutualTls()) attributes.sourcePrincipal = decision.source->identity;
  if (!decision.source->ips.empty()) attributes.sourceIp = decision.source->ips.front();
  attributes.destinationIp = decision.destination.endpointAddress;
  attributes.destinationPort = decision.destination.targetPort;
  const std::vector<const config::AuthorizationPolicy*> policies =
      authorizationPoliciesFor(snapshot, endpoint);
  decision.authorization = policy::authorize(policies, attributes);
}

void decideVerdict(ConnectionDecision& decision) {
  const Destination& d = decision.destination;
  const ClientTls tls = decision.client.tls;
  if (d.endpoint == nullptr && !d.problem.empty()) {
    decision.reason = fmt::format("cannot connect: {}", d.problem);
    return;
  }
  if (d.endpoint == nullptr) {
    decision.allowed = true;
    decision.reason = fmt::format("{} is outside the cluster: no policy applies", d.host);
    return;
  }
  if (!d.problem.empty()) {
    decision.reason = fmt::format("cannot connect: {}", d.problem);
    return;
  }
  if (tls == ClientTls::kSimple || tls == ClientTls::kMutual) {
    decision.reason = fmt::format("refused by the client agent: {}", decision.client.reason);
    return;
  }
  if (tls == ClientTls::kIstioMutual && !decision.server) {
    decision.reason = fmt::format(
        "the client sends mutual TLS but {} has no agent to terminate it: "
        "the handshake fails",
        d.endpoint->qualifiedName());
    return;
  }
  if (decision.server && decision.server->mode == config::MtlsMode::kStrict &&
      sendsPlaintext(tls)) {
    decision.reason =
        fmt::format("reset: {} port {} requires mutual TLS ({}) but the client sends plaintext",
                    d.endpoint->qualifiedName(), d.targetPort, decision.server->reason);
    return;
  }
  if (decision.authorization && !decision.authorization->allowed) {
    decision.reason = fmt::format("denied by authorization: {}", decision.authorization->reason);
    return;
  }
  decision.allowed = true;
  const std::string how = decision.mutualTls() ? "mutual TLS" : "plaintext";
  if (!decision.server) {
    decision.reason = fmt::format("{} accepted: {} has no agent and takes what it is sent", how,
                                  d.endpoint->qualifiedName());
    return;
  }
  decision.reason =
      fmt::format("{} accepted under {}; authorization: {}", how,
                  config::mtlsModeName(decision.server->mode), decision.authorization->reason);
}

}  // namespace

bool ConnectionDecision::mutualTls() const {
  return client.tls == ClientTls::kIstioMutual && server.has_value();
}

std::vector<const config::AuthorizationPolicy*> authorizationPoliciesFor(const Snapshot& snapshot,
                                                                         const Workload& workload) {
  std::vector<const config::AuthorizationPolicy*> result;
  const std::string& root = snapshot.mesh().rootNamespace;
  auto collect = [&](std::string_view ns) {
    for (const config::AuthorizationPolicy* policy : snapshot.authorizationPolicies(ns)) {
      if (appliesTo(*policy, workload.namespace_, workload.labels, root)) result.push_back(policy);
    }
  };
  collect(workload.namespace_);
  if (workload.namespace_ != root) collect(root);
  return result;
}

ConnectionDecision decideConnection(const Snapshot& snapshot, const Workload& source,
                                    std::string_view host, std::uint16_t port) {
  ConnectionDecision decision;
  decision.source = &source;
  decision.destination = resolveDestination(snapshot, source.namespace_, host, port);
  decision.client = clientTlsDecision(snapshot, source, decision.destination);
  if (decision.destination.endpoint != nullptr && decision.destination.problem.empty()) {
    decideServer(snapshot, decision);
    if (decision.server) authorize(snapshot, decision);
  }
  decideVerdict(decision);
  return decision;
}

}  // namespace ztls::policy
