// Kubernetes-style YAML (multi-document files, directories of files, stdin) to
// validated domain objects. Parsing never throws: every problem becomes a diagnostic
// naming file, line, object and field, and a result with any error must not be applied.
#pragma once

#include <filesystem>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "ztls/config/model.h"

namespace ztls::config {

enum class Severity : std::uint8_t { kWarning, kError };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation where;
  std::string object;  // "PeerAuthentication foo/default"; empty before the object is known
  std::string field;   // "spec.mtls.mode"; empty when the whole document is at fault
  std::string message;

  // "file:line: error: PeerAuthentication foo/default: spec.mtls.mode: unknown value ..."
  std::string format() const;
};

struct LoadOptions {
  // Namespace for objects that do not name one (kubectl's -n, or "default").
  std::string defaultNamespace = "default";
  // True when the namespace came from the command line: an object naming a different
  // namespace is then an error, as with kubectl.
  bool namespaceExplicit = false;
  // Istio's root namespace; only used for warnings about surprising placement.
  std::string rootNamespace = "istio-system";
};

struct LoadResult {
  std::vector<Object> objects;
  std::vector<Diagnostic> diagnostics;

  bool ok() const;
  std::vector<Diagnostic> errors() const;
};

LoadResult parseYaml(std::string_view text, std::string_view fileName, const LoadOptions& options);
LoadResult loadStream(std::istream& input, std::string_view name, const LoadOptions& options);
// A file, or every *.yaml, *.yml and *.json file under a directory (recursively, in
// path order so that creation order is reproducible).
LoadResult loadPath(const std::filesystem::path& path, const LoadOptions& options);

}  // namespace ztls::config
