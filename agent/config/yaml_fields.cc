#include "config/yaml_fields.h"

#include <charconv>

namespace ztls::config {

bool isPresent(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

YAML::Node child(const YAML::Node& node, std::string_view key) {
  if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& entry : node) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

int lineOf(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark mark = node.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

std::string joinField(std::string_view parent, std::string_view child_name) {
  if (parent.empty()) return std::string(child_name);
  if (!child_name.empty() && child_name.front() == '[')
    return std::string(parent) + std::string(child_name);
  return std::string(parent) + "." + std::string(child_name);
}

void FieldReader::record(Severity severity, int line, std::string_view field, std::string message) {
  if (severity == Severity::kError) ++errors_;
  sink_.push_back(Diagnostic{severity, SourceLocation{file_, line}, object_, std::string(field),
                             std::move(message)});
}

void FieldReader::error(const YAML::Node& at, std::string_view field, std::string message) {
  record(Severity::kError, lineOf(at), field, std::move(message));
}

void FieldReader::warning(const YAML::Node& at, std::string_view field, std::string message) {
  record(Severity::kWarning, lineOf(at), field, std::move(message));
}

void FieldReader::errorAtLine(int line, std::string_view field, std::string message) {
  record(Severity::kError, line, field, std::move(message));
}

std::optional<std::string> FieldReader::string(const YAML::Node& node, std::string_view field) {
  if (!isPresent(node)) return std::nullopt;
  if (!node.IsScalar()) {
    error(node, field, "expected a string");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::int64_t> FieldReader::integer(const YAML::Node& node, std::string_view field) {
  if (!isPresent(node)) return std::nullopt;
  if (!node.IsScalar()) {
    error(node, field, "expected an integer");
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    error(node, field, "expected an integer, got \"" + text + "\"");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> FieldReader::boolean(const YAML::Node& node, std::string_view field) {
  if (!isPresent(node)) return std::nullopt;
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
  }
  error(node, field, "expected true or false");
  return std::nullopt;
}

std::optional<std::uint16_t> FieldReader::port(const YAML::Node& node, std::string_view field) {
  std::optional<std::int64_t> value = integer(node, field);
  if (!value) return std::nullopt;
  if (*value < 1 || *value > 65535) {
    error(node, field, "port " + std::to_string(*value) + " is out of range 1..65535");
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*value);
}

std::optional<Labels> FieldReader::stringMap(const YAML::Node& node, std::string_view field) {
  if (!isPresent(node)) return std::nullopt;
  if (!node.IsMap()) {
    error(node, field, "expected a map of strings");
    return std::nullopt;
  }
  Labels result;
  bool ok = true;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar() || !(entry.second.IsScalar() || entry.second.IsNull())) {
      error(entry.first, field, "expected string keys and string values");
      ok = false;
      continue;
    }
    result[entry.first.Scalar()] = entry.second.IsNull() ? std::string() : entry.second.Scalar();
  }
  if (!ok) return std::nullopt;
  return result;
}

std::optional<std::vector<std::string>> FieldReader::stringList(const YAML::Node& node,
                                                                std::string_view field) {
  if (!isPresent(node)) return std::nullopt;
  if (!node.IsSequence()) {
    error(node, field, "expected a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> result;
  result.reserve(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    if (!item.IsScalar()) {
      error(item, joinField(field, "[" + std::to_string(i) + "]"), "expected a string");
      return std::nullopt;
    }
    result.push_back(item.Scalar());
  }
  return result;
}

bool FieldReader::expectMap(const YAML::Node& node, std::string_view field) {
  if (!isPresent(node) || node.IsMap()) return true;
  error(node, field, "expected a map");
  return false;
}

bool FieldReader::expectSequence(const YAML::Node& node, std::string_view field) {
  if (!isPresent(node) || node.IsSequence()) return true;
  error(node, field, "expected a list");
  return false;
}

void FieldReader::warnUnknownKeys(const YAML::Node& node, std::string_view field,
                                  std::initializer_list<std::string_view> known) {
  if (!node.IsDefined() || !node.IsMap()) return;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) continue;
    const std::string& key = entry.first.Scalar();
    bool isKnown = false;
    for (std::string_view candidate : known) isKnown = isKnown || candidate == key;
    if (!isKnown) warning(entry.first, joinField(field, key), "unknown field, ignored");
  }
}

}  // namespace ztls::config
