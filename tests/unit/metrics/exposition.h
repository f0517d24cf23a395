// Prometheus text exposition parsed back into series, so that tests assert exact label
// sets and values instead of searching for substrings.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ztls::metrics::test {

using LabelSet = std::map<std::string, std::string>;

struct Series {
  std::string name;
  LabelSet labels;
  double value = 0;
};

struct Exposition {
  std::vector<Series> series;
  std::map<std::string, std::string> types;  // "# TYPE name kind"

  // Series with this name whose labels include every pair of `subset`.
  std::vector<Series> find(const std::string& name, const LabelSet& subset = {}) const;
  // The value of the one series with exactly these labels; fails the test otherwise.
  double value(const std::string& name, const LabelSet& labels) const;
};

// Fails the current test (ADD_FAILURE) on a line it cannot read.
Exposition parseExposition(const std::string& text);

}  // namespace ztls::metrics::test
