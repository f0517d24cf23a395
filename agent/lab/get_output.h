// `ztls-lab get`: selecting objects and printing them the way kubectl does (tables,
// -o yaml/json/name/wide, and the jsonpath subset the Istio walkthroughs use).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ztls::lab {

struct GetQuery {
  std::string kind;  // "Pod", "Service", ...
  std::vector<std::string> names;
  std::optional<std::string> namespace_;  // nullopt = all namespaces
  std::string labelSelector;              // "app=sleep,version!=v2"
  std::string output;                     // "", wide, yaml, json, name, jsonpath=...
};

// Objects as JSON (converted from their YAML, with numbers and booleans typed).
std::vector<nlohmann::json> selectObjects(const std::string& clusterYaml, const GetQuery& query,
                                          std::vector<std::string>& notFound);

// Returns the exit code: 0, or 1 when a named object is missing.
int printObjects(const std::vector<nlohmann::json>& objects, const GetQuery& query,
                 const std::vector<std::string>& notFound, std::ostream& out, std::ostream& err);

// The jsonpath subset: {.a.b}, {.items[0].x}, {.items[*].x}, {.items..metadata.name}.
// Several matches are joined by single spaces, as kubectl does.
std::string evaluateJsonPath(const nlohmann::json& document, const std::string& expression);

bool labelsMatch(const nlohmann::json& labels, const std::string& selector);

}  // namespace ztls::lab
