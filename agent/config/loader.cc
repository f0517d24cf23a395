#include "ztls/config/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "config/parse.h"

namespace ztls::config {

namespace {

struct KindSpec {
  std::string_view kind;
  std::initializer_list<std::string_view> apiVersions;
  Kind id;
  parse::Parser parser;
};

const KindSpec kKinds[] = {
    {"Namespace", {"v1"}, Kind::kNamespace, parse::namespaceObject},
    {"ServiceAccount", {"v1"}, Kind::kServiceAccount, parse::serviceAccount},
    {"Pod", {"v1"}, Kind::kPod, parse::pod},
    {"Deployment", {"apps/v1"}, Kind::kDeployment, parse::deployment},
    {"Service", {"v1"}, Kind::kService, parse::service},
    {"PeerAuthentication",
     {"security.istio.io/v1beta1", "security.istio.io/v1"},
     Kind::kPeerAuthentication,
     parse::peerAuthentication},
    {"RequestAuthentication",
     {"security.istio.io/v1beta1", "security.istio.io/v1"},
     Kind::kRequestAuthentication,
     parse::requestAuthentication},
    {"AuthorizationPolicy",
     {"security.istio.io/v1beta1", "security.istio.io/v1"},
     Kind::kAuthorizationPolicy,
     parse::authorizationPolicy},
    {"DestinationRule",
     {"networking.istio.io/v1alpha3", "networking.istio.io/v1beta1", "networking.istio.io/v1"},
     Kind::kDestinationRule,
     parse::destinationRule},
};

const KindSpec* findKind(std::string_view kind) {
  for (const KindSpec& spec : kKinds) {
    if (spec.kind == kind) return &spec;
  }
  return nullptr;
}

// RFC 1123: lower-case alphanumerics and '-', starting and ending alphanumeric; subdomains
// may also contain '.'.
bool isDnsName(std::string_view name, std::size_t maxLength, bool allowDots) {
  if (name.empty() || name.size() > maxLength) return false;
  auto alnum = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c));
  };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '-' || (allowDots && c == '.'); });
}

// Fixed-width decimal field: "2024" or "05", nothing shorter, no sign or spaces.
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t width) {
  if (at + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

int daysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to a civil date (proleptic Gregorian), without timegm's TZ games.
std::int64_t daysFromCivil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t yearOfEra = year - era * 400;
  const std::int64_t dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

// RFC 3339 as Kubernetes prints it: 2024-05-01T12:00:00Z, optional fraction and offset.
// Years are limited to 1970..2261 so nanoseconds since the epoch fit in 64 bits.
std::optional<CreationTime> parseTimestamp(std::string_view text) {
  const auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (*year < 1970 || *year > 2261 || *month < 1 || *month > 12 || *day < 1 ||
      *day > daysInMonth(*year, *month) || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(19);
  std::int64_t nanos = 0;
  if (!rest.empty() && rest.front() == '.') {
    std::size_t count = 1;
    std::int64_t scale = 100'000'000;
    while (count < rest.size() && std::isdigit(static_cast<unsigned char>(rest[count]))) {
      nanos += (rest[count] - '0') * scale;
      scale /= 10;
      ++count;
    }
    if (count == 1 || count > 10) return std::nullopt;  // 1..9 fraction digits
    rest.remove_prefix(count);
  }
  std::int64_t offsetSeconds = 0;
  if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const auto offsetHours = digits(rest, 1, 2), offsetMinutes = digits(rest, 4, 2);
    if (!offsetHours || !offsetMinutes || *offsetHours > 23 || *offsetMinutes > 59)
      return std::nullopt;
    offsetSeconds =
        (std::int64_t{*offsetHours} * 3600 + *offsetMinutes * 60) * (rest[0] == '+' ? 1 : -1);
  } else if (rest != "Z" && rest != "z") {
    return std::nullopt;
  }
  const std::int64_t seconds = daysFromCivil(*year, *month, *day) * 86400 +
                               std::int64_t{*hour} * 3600 + *minute * 60 + *second - offsetSeconds;
  if (seconds < 0) return std::nullopt;
  return seconds * 1'000'000'000 + nanos;
}

std::optional<ObjectMeta> parseMeta(FieldReader& r, const KindSpec& kind,
                                    const YAML::Node& document, const LoadOptions& options) {
  const YAML::Node metadata = child(document, "metadata");
  if (!isPresent(metadata)) {
    r.error(document, "metadata", "required");
    return std::nullopt;
  }
  if (!r.expectMap(metadata, "metadata")) return std::nullopt;
  ObjectMeta meta;
  meta.origin = SourceLocation{r.file(), lineOf(document)};
  const YAML::Node name = child(metadata, "name");
  meta.name = r.string(name, "metadata.name").value_or("");
  if (meta.name.empty()) {
    r.error(metadata, "metadata.name", "required");
    return std::nullopt;
  }
  const bool namespaced = isNamespaced(kind.id);
  // Namespaces and Services become DNS labels (svc.ns.svc.cluster.local): no dots.
  const bool subdomain = namespaced && kind.id != Kind::kService;
  if (!isDnsName(meta.name, subdomain ? 253 : 63, subdomain)) {
    r.error(name, "metadata.name",
            fmt::format("\"{}\" is not a valid name (lower-case letters, digits, '-'{}, starting "
                        "and ending with a letter or digit)",
                        meta.name, subdomain ? ", '.'" : ""));
    return std::nullopt;
  }
  if (namespaced) {
    const YAML::Node ns = child(metadata, "namespace");
    std::optional<std::string> declared = r.string(ns, "metadata.namespace");
    if (declared && !declared->empty()) {
      if (options.namespaceExplicit && *declared != options.defaultNamespace) {
        r.error(ns, "metadata.namespace",
                fmt::format("the namespace from the object \"{}\" does not match the namespace "
                            "\"{}\" given on the command line",
                            *declared, options.defaultNamespace));
        return std::nullopt;
      }
      meta.namespace_ = *declared;
    } else {
      meta.namespace_ = options.defaultNamespace;
    }
    if (!isDnsName(meta.namespace_, 63, false)) {
      r.error(ns, "metadata.namespace",
              fmt::format("\"{}\" is not a valid namespace name", meta.namespace_));
      return std::nullopt;
    }
  }
  r.setObject(describe(ObjectKey{kind.id, meta.namespace_, meta.name}));
  meta.labels = r.stringMap(child(metadata, "labels"), "metadata.labels").value_or(Labels{});
  meta.annotations =
      r.stringMap(child(metadata, "annotations"), "metadata.annotations").value_or(Labels{});
  const YAML::Node created = child(metadata, "creationTimestamp");
  if (std::optional<std::string> text = r.string(created, "metadata.creationTimestamp")) {
    meta.declaredCreation = parseTimestamp(*text);
    if (!meta.declaredCreation) {
      r.error(created, "metadata.creationTimestamp",
              fmt::format("\"{}\" is not an RFC 3339 time between 1970 and 2261 such as "
                          "2024-05-01T12:00:00Z",
                          *text));
      return std::nullopt;
    }
  }
  if (r.hadErrors()) return std::nullopt;
  return meta;
}

void parseDocument(const YAML::Node& document, std::string_view fileName,
                   const LoadOptions& options, LoadResult& result);

// yaml-cpp keeps every duplicate mapping key and readers would see only the first;
// kubectl rejects them, and silently picking one could turn mTLS off.
void rejectDuplicateKeys(FieldReader& r, const YAML::Node& node, const std::string& field) {
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      rejectDuplicateKeys(r, node[i], fmt::format("{}[{}]", field, i));
    }
    return;
  }
  if (!node.IsMap()) return;
  std::vector<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) continue;
    const std::string& key = entry.first.Scalar();
    const std::string path = joinField(field, key);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      r.error(entry.first, path, "duplicate key");
      continue;
    }
    seen.push_back(key);
    rejectDuplicateKeys(r, entry.second, path);
  }
}

void parseList(FieldReader& r, const YAML::Node& document, std::string_view fileName,
               const LoadOptions& options, LoadResult& result) {
  const YAML::Node items = child(document, "items");
  if (!r.expectSequence(items, "items") || !isPresent(items)) return;
  for (std::size_t i = 0; i < items.size(); ++i) parseDocument(items[i], fileName, options, result);
}

void parseDocument(const YAML::Node& document, std::string_view fileName,
                   const LoadOptions& options, LoadResult& result) {
  if (!isPresent(document)) return;  // empty document, e.g. a trailing "---"
  FieldReader r(result.diagnostics, std::string(fileName));
  if (!document.IsMap()) {
    r.error(document, "",
            "expected a Kubernetes object (a map with apiVersion, kind and metadata)");
    return;
  }
  rejectDuplicateKeys(r, document, "");
  if (r.hadErrors()) return;
  const std::optional<std::string> apiVersion =
      r.string(child(document, "apiVersion"), "apiVersion");
  const std::optional<std::string> kind = r.string(child(document, "kind"), "kind");
  if (!kind || kind->empty()) {
    if (!r.hadErrors()) r.error(document, "kind", "required");
    return;
  }
  if (!apiVersion || apiVersion->empty()) {
    if (!r.hadErrors()) r.error(document, "apiVersion", "required");
    return;
  }
  if (*kind == "List") {
    parseList(r, document, fileName, options, result);
    return;
  }
  const KindSpec* spec = findKind(*kind);
  if (spec == nullptr) {
    r.warning(document, "kind",
              fmt::format("{} ({}) is not used by ztls; skipped", *kind, *apiVersion));
    return;
  }
  if (std::find(spec->apiVersions.begin(), spec->apiVersions.end(), *apiVersion) ==
      spec->apiVersions.end()) {
    std::string accepted;
    for (std::string_view version : spec->apiVersions) {
      accepted += accepted.empty() ? "" : ", ";
      accepted += version;
    }
    r.error(child(document, "apiVersion"), "apiVersion",
            fmt::format("{} is not a supported apiVersion for {} (expected one of {})", *apiVersion,
                        *kind, accepted));
    return;
  }
  std::optional<ObjectMeta> meta = parseMeta(r, *spec, document, options);
  if (!meta) return;
  parse::Context ctx{r, options};
  std::optional<Object> object = spec->parser(ctx, document, std::move(*meta));
  if (object && !r.hadErrors()) result.objects.push_back(std::move(*object));
}

}  // namespace

std::string Diagnostic::format() const {
  std::string text = where.file.empty() ? std::string("<input>") : where.file;
  if (where.line > 0) text += fmt::format(":{}", where.line);
  text += severity == Severity::kError ? ": error: " : ": warning: ";
  if (!object.empty()) text += object + ": ";
  if (!field.empty()) text += field + ": ";
  text += message;
  return text;
}

bool LoadResult::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

std::vector<Diagnostic> LoadResult::errors() const {
  std::vector<Diagnostic> result;
  std::copy_if(diagnostics.begin(), diagnostics.end(), std::back_inserter(result),
               [](const Diagnostic& d) { return d.severity == Severity::kError; });
  return result;
}

namespace {

// Only watches where documents start: enough to see the parser stop advancing.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { lastStart = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark lastStart = YAML::Mark::null_mark();
};

// yaml-cpp 0.7 never finishes LoadAll on some inputs (a lone ','): it keeps producing
// empty documents until memory runs out (upstream issue 1040). Every real document
// consumes input, so more documents than bytes means the parser is stuck.
void rejectRunawayDocuments(const std::string& text) {
  std::istringstream input(text);
  YAML::Parser parser(input);
  DocumentCounter counter;
  std::size_t documents = 0;
  while (parser.HandleNextDocument(counter)) {
    if (++documents > text.size() + 1) {
      throw YAML::ParserException(counter.lastStart,
                                  "unexpected character; the document never ends");
    }
  }
}

}  // namespace

LoadResult parseYaml(std::string_view text, std::string_view fileName, const LoadOptions& options) {
  LoadResult result;
  try {
    rejectRunawayDocuments(std::string(text));
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(text));
    for (const YAML::Node& document : documents) parseDocument(document, fileName, options, result);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.diagnostics.push_back(Diagnostic{Severity::kError,
                                            SourceLocation{std::string(fileName), line}, "", "",
                                            fmt::format("malformed YAML: {}", e.msg)});
  } catch (const std::exception& e) {
    result.diagnostics.push_back(Diagnostic{Severity::kError,
                                            SourceLocation{std::string(fileName), 0}, "", "",
                                            fmt::format("cannot read input: {}", e.what())});
  }
  if (!result.ok()) result.objects.clear();
  return result;
}

LoadResult loadStream(std::istream& input, std::string_view name, const LoadOptions& options) {
  std::ostringstream buffer;
  buffer << input.rdbuf();
  return parseYaml(buffer.str(), name, options);
}

LoadResult loadPath(const std::filesystem::path& path, const LoadOptions& options) {
  LoadResult result;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path, ec)) {
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      const std::string extension = it->path().extension().string();
      if (it->is_regular_file(ec) &&
          (extension == ".yaml" || extension == ".yml" || extension == ".json")) {
        files.push_back(it->path());
      }
    }
    std::sort(files.begin(), files.end());
  } else if (std::filesystem::exists(path, ec)) {
    files.push_back(path);
  }
  if (ec || files.empty()) {
    const std::string why =
        ec ? ec.message()
           : (std::filesystem::exists(path) ? "no .yaml, .yml or .json files in it"
                                            : "no such file or directory");
    result.diagnostics.push_back(
        Diagnostic{Severity::kError, SourceLocation{path.string(), 0}, "", "", why});
    return result;
  }
  for (const auto& file : files) {
    std::ifstream input(file, std::ios::binary);
    if (!input) {
      result.diagnostics.push_back(Diagnostic{Severity::kError, SourceLocation{file.string(), 0},
                                              "", "", "cannot open file"});
      continue;
    }
    LoadResult one = loadStream(input, file.string(), options);
    result.objects.insert(result.objects.end(), std::make_move_iterator(one.objects.begin()),
                          std::make_move_iterator(one.objects.end()));
    result.diagnostics.insert(result.diagnostics.end(), one.diagnostics.begin(),
                              one.diagnostics.end());
  }
  if (!result.ok()) result.objects.clear();
  return result;
}

}  // namespace ztls::config
