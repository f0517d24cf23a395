#include "lab/get_output.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include "lab/objects.h"

namespace ztls::lab {
namespace {

// Maps whose values Kubernetes defines as strings, however they look: the stored YAML
// may have lost the quotes of `version: "1"` when the lab re-emitted it.
bool holdsStringValues(const std::string& key) {
  return key == "labels" || key == "annotations" || key == "matchLabels" || key == "nodeSelector" ||
         key == "selector";
}

bool isInteger(const std::string& text) {
  const std::size_t start = !text.empty() && text[0] == '-' ? 1 : 0;
  return text.size() > start && text.size() - start <= 18 &&
         text.find_first_not_of("0123456789", start) == std::string::npos;
}

nlohmann::json toJson(const YAML::Node& node, bool stringsOnly = false) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        const std::string key = entry.first.as<std::string>();
        object[key] = toJson(entry.second, stringsOnly || holdsStringValues(key));
      }
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& entry : node) array.push_back(toJson(entry));
      return array;
    }
    case YAML::NodeType::Scalar: {
      const std::string text = node.Scalar();
      if (stringsOnly || node.Tag() == "!") return text;  // "!" = quoted in the source
      if (text == "true" || text == "false") return text == "true";
      if (text == "null" || text == "~") return nullptr;
      if (isInteger(text)) return std::stoll(text);
      return text;
    }
    default:
      return nullptr;
  }
}

YAML::Node toYaml(const nlohmann::json& json) {
  if (json.is_object()) {
    YAML::Node node(YAML::NodeType::Map);
    for (const auto& [key, value] : json.items()) node[key] = toYaml(value);
    return node;
  }
  if (json.is_array()) {
    YAML::Node node(YAML::NodeType::Sequence);
    for (const auto& value : json) node.push_back(toYaml(value));
    return node;
  }
  if (json.is_string()) return YAML::Node(json.get<std::string>());
  if (json.is_null()) return YAML::Node(YAML::NodeType::Null);
  return YAML::Node(json.dump());
}

std::string age(const nlohmann::json& object) {
  const std::string created = object["metadata"].value("creationTimestamp", "");
  std::tm tm{};
  if (created.size() < 19 ||
      strptime(created.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return "<unknown>";
  }
  const long long seconds = std::time(nullptr) - timegm(&tm);
  if (seconds < 120) return fmt::format("{}s", std::max(0LL, seconds));
  if (seconds < 7200) return fmt::format("{}m", seconds / 60);
  if (seconds < 172800) return fmt::format("{}h", seconds / 3600);
  return fmt::format("{}d", seconds / 86400);
}

std::string servicePorts(const nlohmann::json& service) {
  std::string ports;
  for (const auto& port : service["spec"].value("ports", nlohmann::json::array())) {
    if (!ports.empty()) ports += ',';
    ports += fmt::format("{}/{}", port.value("port", 0), port.value("protocol", "TCP"));
  }
  return ports.empty() ? "<none>" : ports;
}

using Row = std::vector<std::string>;

void printTable(const std::vector<Row>& rows, std::ostream& out) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    out << line << '\n';
  }
}

Row header(const GetQuery& query) {
  Row row;
  if (!query.namespace_ && kindIsNamespaced(query.kind)) row.push_back("NAMESPACE");
  if (query.kind == "Pod") {
    row.insert(row.end(), {"NAME", "READY", "STATUS", "RESTARTS", "AGE"});
    if (query.output == "wide") row.insert(row.end(), {"IP", "NODE"});
  } else if (query.kind == "Deployment") {
    row.insert(row.end(), {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"});
  } else if (query.kind == "Service") {
    row.insert(row.end(), {"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"});
  } else if (query.kind == "Namespace") {
    row.insert(row.end(), {"NAME", "STATUS", "AGE"});
  } else if (query.kind == "PeerAuthentication") {
    row.insert(row.end(), {"NAME", "MODE", "AGE"});
  } else {
    row.insert(row.end(), {"NAME", "AGE"});
  }
  return row;
}

Row rowFor(const nlohmann::json& object, const GetQuery& query,
           const std::vector<nlohmann::json>& all) {
  Row row;
  const auto& metadata = object["metadata"];
  if (!query.namespace_ && kindIsNamespaced(query.kind))
    row.push_back(metadata.value("namespace", ""));
  row.push_back(metadata.value("name", ""));
  const std::string objectAge = age(object);
  if (query.kind == "Pod") {
    const auto& status = object.value("status", nlohmann::json::object());
    const std::size_t containers =
        object["spec"].value("containers", nlohmann::json::array()).size();
    const std::string phase = status.value("phase", "Pending");
    const std::size_t ready = phase == "Running" ? containers : 0;
    row.insert(row.end(), {fmt::format("{}/{}", ready, containers), phase, "0", objectAge});
    if (query.output == "wide") {
      row.push_back(status.value("podIP", "<none>"));
      row.push_back(object["spec"].value("nodeName", "<none>"));
    }
  } else if (query.kind == "Deployment") {
    const long long replicas = object["spec"].value("replicas", 1LL);
    long long running = 0;
    for (const auto& pod : all) {
      const auto& owners = pod["metadata"].value("ownerReferences", nlohmann::json::array());
      if (pod["metadata"].value("namespace", "") == metadata.value("namespace", "") &&
          !owners.empty() && owners[0].value("name", "") == metadata.value("name", "") &&
          pod.value("status", nlohmann::json::object()).value("phase", "") == "Running") {
        ++running;
      }
    }
    row.insert(row.end(), {fmt::format("{}/{}", running, replicas), std::to_string(replicas),
                           std::to_string(running), objectAge});
  } else if (query.kind == "Service") {
    row.insert(row.end(), {object["spec"].value("type", "ClusterIP"),
                           object["spec"].value("clusterIP", "<none>"), "<none>",
                           servicePorts(object), objectAge});
  } else if (query.kind == "Namespace") {
    row.insert(row.end(), {"Active", objectAge});
  } else if (query.kind == "PeerAuthentication") {
    const auto spec = object.value("spec", nlohmann::json::object());
    row.insert(row.end(),
               {spec.value("mtls", nlohmann::json::object()).value("mode", ""), objectAge});
  } else {
    row.push_back(objectAge);
  }
  return row;
}

}  // namespace

bool labelsMatch(const nlohmann::json& labels, const std::string& selector) {
  std::size_t start = 0;
  while (start < selector.size()) {
    std::size_t end = selector.find(',', start);
    if (end == std::string::npos) end = selector.size();
    const std::string term = selector.substr(start, end - start);
    start = end + 1;
    if (term.empty()) continue;
    const auto notEqual = term.find("!=");
    const auto equal = term.find('=');
    if (notEqual != std::string::npos) {
      const std::string key = term.substr(0, notEqual);
      if (labels.contains(key) && labels[key] == term.substr(notEqual + 2)) return false;
    } else if (equal != std::string::npos) {
      const std::string key = term.substr(0, equal);
      const std::size_t valueStart = term.compare(equal, 2, "==") == 0 ? equal + 2 : equal + 1;
      if (!labels.contains(key) || labels[key] != term.substr(valueStart)) return false;
    } else if (term[0] == '!') {
      if (labels.contains(term.substr(1))) return false;
    } else if (!labels.contains(term)) {
      return false;
    }
  }
  return true;
}

std::vector<nlohmann::json> selectObjects(const std::string& clusterYaml, const GetQuery& query,
                                          std::vector<std::string>& notFound) {
  std::vector<nlohmann::json> all;
  for (const auto& document : YAML::LoadAll(clusterYaml)) {
    if (document.IsMap()) all.push_back(toJson(document));
  }
  std::vector<nlohmann::json> selected;
  for (const auto& object : all) {
    if (object.value("kind", "") != query.kind) continue;
    const auto& metadata = object["metadata"];
    if (query.namespace_ && kindIsNamespaced(query.kind) &&
        metadata.value("namespace", "") != *query.namespace_) {
      continue;
    }
    if (!query.names.empty() && std::find(query.names.begin(), query.names.end(),
                                          metadata.value("name", "")) == query.names.end()) {
      continue;
    }
    if (!labelsMatch(metadata.value("labels", nlohmann::json::object()), query.labelSelector)) {
      continue;
    }
    selected.push_back(object);
  }
  for (const auto& name : query.names) {
    const bool found = std::any_of(selected.begin(), selected.end(), [&](const auto& object) {
      return object["metadata"].value("name", "") == name;
    });
    if (!found) notFound.push_back(name);
  }
  std::sort(selected.begin(), selected.end(), [](const auto& a, const auto& b) {
    return std::pair(a["metadata"].value("namespace", ""), a["metadata"].value("name", "")) <
           std::pair(b["metadata"].value("namespace", ""), b["metadata"].value("name", ""));
  });
  if (query.kind == "Deployment") {
    // Carry the pods along for the READY column.
    for (const auto& object : all) {
      if (object.value("kind", "") == "Pod") selected.push_back(object);
    }
  }
  return selected;
}

std::string evaluateJsonPath(const nlohmann::json& document, const std::string& expression) {
  std::string path = expression;
  if (path.size() >= 2 && path.front() == '{' && path.back() == '}') {
    path = path.substr(1, path.size() - 2);
  }
  if (path.empty() || path[0] != '.') {
    throw std::runtime_error("error: unsupported jsonpath \"" + expression +
                             "\" (the lab supports .a.b, [N], [*] and ..name)");
  }
  std::vector<nlohmann::json> current{document};
  std::size_t i = 0;
  while (i < path.size()) {
    bool recursive = false;
    if (path.compare(i, 2, "..") == 0) {
      recursive = true;
      i += 2;
    } else if (path[i] == '.') {
      ++i;
    }
    std::size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    const std::string field = path.substr(i, end - i);
    i = end;
    std::vector<nlohmann::json> next;
    auto collect = [&](const nlohmann::json& node, auto& self) -> void {
      if (node.is_object() && node.contains(field)) next.push_back(node[field]);
      if (!recursive) return;
      if (node.is_array()) {
        for (const auto& child : node) self(child, self);
      } else if (node.is_object()) {
        for (const auto& [key, child] : node.items()) {
          if (key != field) self(child, self);
        }
      }
    };
    for (const auto& node : current) {
      if (field.empty()) {
        next.push_back(node);
      } else if (recursive && node.is_array()) {
        for (const auto& child : node) collect(child, collect);
      } else {
        collect(node, collect);
      }
    }
    current = std::move(next);
    while (i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) throw std::runtime_error("error: unclosed [ in jsonpath");
      const std::string index = path.substr(i + 1, close - i - 1);
      i = close + 1;
      std::vector<nlohmann::json> indexed;
      for (const auto& node : current) {
        if (!node.is_array()) continue;
        if (index == "*") {
          for (const auto& child : node) indexed.push_back(child);
        } else {
          if (!isInteger(index)) {
            throw std::runtime_error("error: jsonpath index \"" + index +
                                     "\" is not a number or *");
          }
          const long position = std::stol(index);
          const long size = static_cast<long>(node.size());
          const long resolved = position < 0 ? size + position : position;
          if (resolved >= 0 && resolved < size) indexed.push_back(node[resolved]);
        }
      }
      current = std::move(indexed);
    }
  }
  std::string out;
  for (const auto& value : current) {
    if (!out.empty()) out += ' ';
    out += value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

int printObjects(const std::vector<nlohmann::json>& selected, const GetQuery& query,
                 const std::vector<std::string>& notFound, std::ostream& out, std::ostream& err) {
  std::vector<nlohmann::json> objects;
  for (const auto& object : selected) {
    if (object.value("kind", "") == query.kind) objects.push_back(object);
  }
  for (const auto& name : notFound) {
    err << fmt::format("Error from server (NotFound): {} \"{}\" not found\n",
                       qualifiedResource(query.kind), name);
  }
  const bool single = query.names.size() == 1 && objects.size() == 1;
  nlohmann::json list = {{"apiVersion", "v1"},
                         {"items", objects},
                         {"kind", "List"},
                         {"metadata", {{"resourceVersion", ""}}}};
  if (query.output == "json") {
    out << (single ? objects[0] : list).dump(4) << '\n';
  } else if (query.output == "yaml") {
    YAML::Emitter emitter;
    emitter << toYaml(single ? objects[0] : list);
    out << emitter.c_str() << '\n';
  } else if (query.output.rfind("jsonpath=", 0) == 0) {
    out << evaluateJsonPath(single ? objects[0] : list, query.output.substr(9));
  } else if (query.output == "name") {
    for (const auto& object : objects) {
      out << qualifiedResource(query.kind) << '/' << object["metadata"].value("name", "") << '\n';
    }
  } else if (query.output.empty() || query.output == "wide") {
    if (objects.empty()) {
      if (notFound.empty()) {
        if (query.namespace_ && kindIsNamespaced(query.kind)) {
          err << "No resources found in " << *query.namespace_ << " namespace.\n";
        } else {
          err << "No resources found.\n";
        }
      }
    } else {
      std::vector<Row> rows{header(query)};
      for (const auto& object : objects) rows.push_back(rowFor(object, query, selected));
      printTable(rows, out);
    }
  } else {
    throw std::runtime_error("error: unable to match a printer suitable for the output format \"" +
                             query.output +
                             "\", allowed formats are: json,jsonpath,name,wide,yaml");
  }
  return notFound.empty() ? 0 : 1;
}

}  // namespace ztls::lab
