#include "ztls/config/model.h"

#include <fmt/format.h>

#include <algorithm>

namespace ztls::config {

namespace {
// kindOf() relies on the variant listing kinds in enum order.
static_assert(
    std::is_same_v<std::variant_alternative_t<static_cast<size_t>(Kind::kPod), Object>, Pod>);
static_assert(
    std::is_same_v<std::variant_alternative_t<static_cast<size_t>(Kind::kDestinationRule), Object>,
                   DestinationRule>);
static_assert(std::variant_size_v<Object> == static_cast<size_t>(Kind::kDestinationRule) + 1);
}  // namespace

bool selectorMatches(const Labels& selector, const Labels& labels) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& entry) {
    auto found = labels.find(entry.first);
    return found != labels.end() && found->second == entry.second;
  });
}

std::string_view kindName(Kind kind) {
  switch (kind) {
    case Kind::kNamespace:
      return "Namespace";
    case Kind::kServiceAccount:
      return "ServiceAccount";
    case Kind::kPod:
      return "Pod";
    case Kind::kDeployment:
      return "Deployment";
    case Kind::kService:
      return "Service";
    case Kind::kPeerAuthentication:
      return "PeerAuthentication";
    case Kind::kRequestAuthentication:
      return "RequestAuthentication";
    case Kind::kAuthorizationPolicy:
      return "AuthorizationPolicy";
    case Kind::kDestinationRule:
      return "DestinationRule";
  }
  return "Unknown";
}

bool isNamespaced(Kind kind) { return kind != Kind::kNamespace; }

std::string describe(const ObjectKey& key) {
  if (key.namespace_.empty()) return fmt::format("{} {}", kindName(key.kind), key.name);
  return fmt::format("{} {}/{}", kindName(key.kind), key.namespace_, key.name);
}

std::string_view mtlsModeName(MtlsMode mode) {
  switch (mode) {
    case MtlsMode::kUnset:
      return "UNSET";
    case MtlsMode::kDisable:
      return "DISABLE";
    case MtlsMode::kPermissive:
      return "PERMISSIVE";
    case MtlsMode::kStrict:
      return "STRICT";
  }
  return "UNSET";
}

std::string_view clientTlsModeName(ClientTlsMode mode) {
  switch (mode) {
    case ClientTlsMode::kDisable:
      return "DISABLE";
    case ClientTlsMode::kSimple:
      return "SIMPLE";
    case ClientTlsMode::kMutual:
      return "MUTUAL";
    case ClientTlsMode::kIstioMutual:
      return "ISTIO_MUTUAL";
  }
  return "DISABLE";
}

std::string_view authzActionName(AuthzAction action) {
  switch (action) {
    case AuthzAction::kAllow:
      return "ALLOW";
    case AuthzAction::kDeny:
      return "DENY";
    case AuthzAction::kAudit:
      return "AUDIT";
  }
  return "ALLOW";
}

const ObjectMeta& metaOf(const Object& object) {
  return std::visit([](const auto& typed) -> const ObjectMeta& { return typed.meta; }, object);
}

ObjectMeta& metaOf(Object& object) {
  return std::visit([](auto& typed) -> ObjectMeta& { return typed.meta; }, object);
}

Kind kindOf(const Object& object) { return static_cast<Kind>(object.index()); }

ObjectKey keyOf(const Object& object) {
  const ObjectMeta& meta = metaOf(object);
  return ObjectKey{kindOf(object), meta.namespace_, meta.name};
}

}  // namespace ztls::config
