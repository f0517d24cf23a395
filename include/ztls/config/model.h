// Validated, immutable domain types for the Kubernetes and Istio objects ztls reads.
// The loader is the only producer; everything downstream treats them as values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ztls::config {

using Labels = std::map<std::string, std::string>;

// matchLabels semantics: every selector pair is present in labels.
bool selectorMatches(const Labels& selector, const Labels& labels);

enum class Kind : std::uint8_t {
  kNamespace,
  kServiceAccount,
  kPod,
  kDeployment,
  kService,
  kPeerAuthentication,
  kRequestAuthentication,
  kAuthorizationPolicy,
  kDestinationRule,
};

std::string_view kindName(Kind kind);
bool isNamespaced(Kind kind);

// Where an object came from, so every diagnostic can point at file and line.
struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
};

// Nanoseconds since the Unix epoch. From metadata.creationTimestamp when the object
// carries one, otherwise the moment the store first saw it. Decides "oldest wins".
using CreationTime = std::int64_t;

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // empty for cluster-scoped kinds
  Labels labels;
  Labels annotations;
  std::optional<CreationTime> declaredCreation;  // metadata.creationTimestamp, if given
  CreationTime creation = 0;                     // assigned by the store
  SourceLocation origin;
};

struct ObjectKey {
  Kind kind;
  std::string namespace_;
  std::string name;
  // clang-tidy 14 misreads the defaulted comparison as a literal-0 comparison.
  auto operator<=>(const ObjectKey&) const = default;  // NOLINT(modernize-use-nullptr)
};

std::string describe(const ObjectKey& key);  // "PeerAuthentication foo/default"

struct Namespace {
  ObjectMeta meta;
};

struct ServiceAccount {
  ObjectMeta meta;
};

struct ContainerPort {
  std::uint16_t port = 0;
  std::string name;
  std::string protocol = "TCP";
};

struct Container {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<ContainerPort> ports;
};

struct PodSpec {
  std::string serviceAccountName;  // "default" when the manifest leaves it out
  std::string nodeName;
  Labels nodeSelector;
  std::vector<Container> containers;
};

struct Pod {
  ObjectMeta meta;
  PodSpec spec;
  std::vector<std::string> podIPs;  // status.podIPs, falling back to status.podIP
};

struct Deployment {
  ObjectMeta meta;
  int replicas = 1;
  Labels selector;  // spec.selector.matchLabels
  Labels templateLabels;
  PodSpec templateSpec;
};

// A Service targetPort is either a number or the name of a container port.
struct TargetPort {
  std::uint16_t number = 0;  // 0 when named
  std::string name;
};

struct ServicePort {
  std::string name;
  std::uint16_t port = 0;
  TargetPort targetPort;  // defaults to port
  std::string protocol = "TCP";
  std::string appProtocol;
};

struct Service {
  ObjectMeta meta;
  Labels selector;
  bool hasSelector = false;
  std::vector<ServicePort> ports;
  std::string clusterIP;  // empty or "None" when headless/unassigned
};

// Istio's server-side mTLS mode (security.istio.io PeerAuthentication.MutualTLS.Mode).
enum class MtlsMode : std::uint8_t { kUnset, kDisable, kPermissive, kStrict };
std::string_view mtlsModeName(MtlsMode mode);

struct PeerAuthentication {
  ObjectMeta meta;
  // Present only with non-empty matchLabels: Istio treats an empty selector like none.
  std::optional<Labels> selector;
  MtlsMode mode = MtlsMode::kUnset;                 // spec.mtls absent means UNSET
  std::map<std::uint16_t, MtlsMode> portLevelMtls;  // keyed by container (target) port
};

// networking.istio.io ClientTLSSettings.TLSmode.
enum class ClientTlsMode : std::uint8_t { kDisable, kSimple, kMutual, kIstioMutual };
std::string_view clientTlsModeName(ClientTlsMode mode);

struct PortTrafficPolicy {
  std::uint16_t port = 0;  // service port
  std::optional<ClientTlsMode> tls;
};

struct DestinationRule {
  ObjectMeta meta;
  std::string host;  // as written; resolved against the rule's namespace when matching
  std::optional<ClientTlsMode> tls;
  std::vector<PortTrafficPolicy> portLevelSettings;
};

struct JwtRule {
  std::string issuer;
  std::vector<std::string> audiences;
  std::string jwksUri;
  std::string jwks;
  bool forwardOriginalToken = false;
};

struct RequestAuthentication {
  ObjectMeta meta;
  std::optional<Labels> selector;
  std::vector<JwtRule> jwtRules;
};

// security.istio.io AuthorizationPolicy. CUSTOM is rejected by the loader: ztls has no
// external authorizer, and silently ignoring a CUSTOM policy would fail open.
enum class AuthzAction : std::uint8_t { kAllow, kDeny, kAudit };
std::string_view authzActionName(AuthzAction action);

struct AuthzSource {
  std::vector<std::string> principals, notPrincipals;
  std::vector<std::string> requestPrincipals, notRequestPrincipals;
  std::vector<std::string> namespaces, notNamespaces;
  std::vector<std::string> ipBlocks, notIpBlocks;
  std::vector<std::string> remoteIpBlocks, notRemoteIpBlocks;
};

struct AuthzOperation {
  std::vector<std::string> hosts, notHosts;
  std::vector<std::string> ports, notPorts;
  std::vector<std::string> methods, notMethods;
  std::vector<std::string> paths, notPaths;
};

struct AuthzCondition {
  std::string key;
  std::vector<std::string> values, notValues;
};

struct AuthzRule {
  std::vector<AuthzSource> from;     // empty: any source
  std::vector<AuthzOperation> to;    // empty: any operation
  std::vector<AuthzCondition> when;  // all must hold
};

struct AuthorizationPolicy {
  ObjectMeta meta;
  std::optional<Labels> selector;
  AuthzAction action = AuthzAction::kAllow;
  std::vector<AuthzRule> rules;  // empty: ALLOW matches nothing, DENY matches nothing
};

using Object = std::variant<Namespace, ServiceAccount, Pod, Deployment, Service, PeerAuthentication,
                            RequestAuthentication, AuthorizationPolicy, DestinationRule>;

const ObjectMeta& metaOf(const Object& object);
ObjectMeta& metaOf(Object& object);
Kind kindOf(const Object& object);
ObjectKey keyOf(const Object& object);

}  // namespace ztls::config
