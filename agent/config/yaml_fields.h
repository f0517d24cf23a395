// Typed, diagnosing accessors over yaml-cpp nodes. Each accessor records an error
// naming the field path and line instead of throwing, and returns nullopt.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ztls/config/loader.h"

namespace ztls::config {

class FieldReader {
 public:
  FieldReader(std::vector<Diagnostic>& sink, std::string file)
      : sink_(sink), file_(std::move(file)) {}

  void setObject(std::string object) { object_ = std::move(object); }
  const std::string& object() const { return object_; }
  const std::string& file() const { return file_; }
  bool hadErrors() const { return errors_ > 0; }

  void error(const YAML::Node& at, std::string_view field, std::string message);
  void warning(const YAML::Node& at, std::string_view field, std::string message);
  void errorAtLine(int line, std::string_view field, std::string message);

  // Absent (undefined or null) nodes yield nullopt without a diagnostic; present nodes
  // of the wrong shape yield nullopt with an error.
  std::optional<std::string> string(const YAML::Node& node, std::string_view field);
  std::optional<std::int64_t> integer(const YAML::Node& node, std::string_view field);
  std::optional<bool> boolean(const YAML::Node& node, std::string_view field);
  std::optional<std::uint16_t> port(const YAML::Node& node, std::string_view field);
  std::optional<Labels> stringMap(const YAML::Node& node, std::string_view field);
  std::optional<std::vector<std::string>> stringList(const YAML::Node& node,
                                                     std::string_view field);
  // True when node is absent or a map; records an error otherwise.
  bool expectMap(const YAML::Node& node, std::string_view field);
  bool expectSequence(const YAML::Node& node, std::string_view field);

  // Maps a scalar to one of the named values, naming the accepted ones on error.
  template <typename Enum>
  std::optional<Enum> enumeration(const YAML::Node& node, std::string_view field,
                                  std::initializer_list<std::pair<std::string_view, Enum>> values);

  // Warns about keys ztls does not read, so typos and unsupported features are visible.
  void warnUnknownKeys(const YAML::Node& node, std::string_view field,
                       std::initializer_list<std::string_view> known);

 private:
  void record(Severity severity, int line, std::string_view field, std::string message);

  std::vector<Diagnostic>& sink_;
  std::string file_;
  std::string object_;
  int errors_ = 0;
};

bool isPresent(const YAML::Node& node);
// node[key] that never throws and is undefined unless node is a map holding key.
YAML::Node child(const YAML::Node& node, std::string_view key);
int lineOf(const YAML::Node& node);
std::string joinField(std::string_view parent, std::string_view child);

template <typename Enum>
std::optional<Enum> FieldReader::enumeration(
    const YAML::Node& node, std::string_view field,
    std::initializer_list<std::pair<std::string_view, Enum>> values) {
  std::optional<std::string> text = string(node, field);
  if (!text) return std::nullopt;
  std::string accepted;
  for (const auto& [name, value] : values) {
    if (*text == name) return value;
    if (!accepted.empty()) accepted += ", ";
    accepted += name;
  }
  error(node, field, "unknown value \"" + *text + "\" (expected one of " + accepted + ")");
  return std::nullopt;
}

}  // namespace ztls::config
