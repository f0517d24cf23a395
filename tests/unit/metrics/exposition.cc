#include "exposition.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ztls::metrics::test {
namespace {

// `{a="x",b="y\"z"}` starting at text[at] == '{'; returns the index past '}'.
std::size_t parseLabels(const std::string& text, std::size_t at, LabelSet& labels) {
  ++at;
  while (at < text.size() && text[at] != '}') {
    const auto equals = text.find('=', at);
    if (equals == std::string::npos || equals + 1 >= text.size() || text[equals + 1] != '"') {
      return std::string::npos;
    }
    const std::string name = text.substr(at, equals - at);
    std::string value;
    std::size_t i = equals + 2;
    for (; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        ++i;
        value += text[i] == 'n' ? '\n' : text[i];
      } else {
        value += text[i];
      }
    }
    if (i >= text.size()) return std::string::npos;
    labels[name] = value;
    at = i + 1;
    if (at < text.size() && text[at] == ',') ++at;
  }
  return at < text.size() ? at + 1 : std::string::npos;
}

}  // namespace

Exposition parseExposition(const std::string& text) {
  Exposition exposition;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name;
      std::string kind;
      words >> name >> kind;
      exposition.types[name] = kind;
      continue;
    }
    if (line.front() == '#') continue;
    Series series;
    const auto nameEnd = line.find_first_of("{ ");
    if (nameEnd == std::string::npos) {
      ADD_FAILURE() << "unreadable exposition line: " << line;
      continue;
    }
    series.name = line.substr(0, nameEnd);
    std::size_t valueAt = nameEnd;
    if (line[nameEnd] == '{') valueAt = parseLabels(line, nameEnd, series.labels);
    if (valueAt == std::string::npos || valueAt >= line.size() || line[valueAt] != ' ') {
      ADD_FAILURE() << "unreadable exposition line: " << line;
      continue;
    }
    try {
      series.value = std::stod(line.substr(valueAt + 1));
    } catch (const std::exception&) {
      ADD_FAILURE() << "unreadable value in: " << line;
      continue;
    }
    exposition.series.push_back(std::move(series));
  }
  return exposition;
}

std::vector<Series> Exposition::find(const std::string& name, const LabelSet& subset) const {
  std::vector<Series> found;
  for (const auto& candidate : series) {
    if (candidate.name != name) continue;
    bool matches = true;
    for (const auto& [key, value] : subset) {
      const auto it = candidate.labels.find(key);
      if (it == candidate.labels.end() || it->second != value) matches = false;
    }
    if (matches) found.push_back(candidate);
  }
  return found;
}

double Exposition::value(const std::string& name, const LabelSet& labels) const {
  std::vector<double> values;
  for (const auto& candidate : series) {
    if (candidate.name == name && candidate.labels == labels) values.push_back(candidate.value);
  }
  if (values.size() != 1) {
    ADD_FAILURE() << values.size() << " series " << name << " with exactly the labels asked for";
    return -1;
  }
  return values.front();
}

}  // namespace ztls::metrics::test
