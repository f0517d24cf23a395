// Per-kind parsers. Each receives the whole document and the already parsed metadata,
// records diagnostics through the reader, and returns nullopt when anything was wrong.
#pragma once

#include <optional>

#include "config/yaml_fields.h"
#include "ztls/config/model.h"

namespace ztls::config::parse {

struct Context {
  FieldReader& reader;
  const LoadOptions& options;
};

using Parser = std::optional<Object> (*)(Context&, const YAML::Node& document, ObjectMeta meta);

std::optional<Object> namespaceObject(Context&, const YAML::Node&, ObjectMeta);
std::optional<Object> serviceAccount(Context&, const YAML::Node&, ObjectMeta);
std::optional<Object> pod(Context&, const YAML::Node&, ObjectMeta);
std::optional<Object> deployment(Context&, const YAML::Node&, ObjectMeta);
std::optional<Object> service(Context&, const YAML::Node&, ObjectMeta);
std::optional<Object> peerAuthentication(Context&, const YAML::Node&, ObjectMeta);
std::optional<Object> requestAuthentication(Context&, const YAML::Node&, ObjectMeta);
std::optional<Object> authorizationPolicy(Context&, const YAML::Node&, ObjectMeta);
std::optional<Object> destinationRule(Context&, const YAML::Node&, ObjectMeta);

// spec.selector.matchLabels of Istio workload selectors; nullopt for absent or empty,
// which Istio treats as "no selector".
std::optional<Labels> workloadSelector(Context&, const YAML::Node& spec);

}  // namespace ztls::config::parse
