#include <fmt/format.h>

#include <iostream>

#include "cli/explain.h"
#include "ztls/config/ip_address.h"
#include "ztls/config/loader.h"
#include "ztls/config/store.h"

namespace ztls::cli {

namespace {

struct NamespacedName {
  std::string ns;
  std::string name;
};

std::optional<NamespacedName> splitNamespacedName(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return NamespacedName{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// host:port, [v6]:port
std::optional<HostPort> splitHostPort(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view portText = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // a bare IPv6 address needs brackets
  }
  const std::optional<std::uint16_t> port = config::parsePort(portText);
  if (!port || host.empty()) return std::nullopt;
  return HostPort{std::string(host), *port};
}

const policy::Workload* findWorkload(const policy::Snapshot& snapshot, std::string_view flag,
                                     std::string_view text, std::ostream& err) {
  std::optional<NamespacedName> name = splitNamespacedName(text);
  if (!name) {
    err << fmt::format("error: {} \"{}\": expected NAMESPACE/NAME\n", flag, text);
    return nullptr;
  }
  const policy::Workload* workload = snapshot.findWorkload(name->ns, name->name);
  if (workload == nullptr) {
    err << fmt::format("error: {} \"{}\": no Pod or Deployment named {} in namespace {}\n", flag,
                       text, name->name, name->ns);
  }
  return workload;
}

void emit(const nlohmann::json& value, bool asJson,
          void (*table)(const nlohmann::json&, std::ostream&), std::ostream& out) {
  if (asJson) {
    out << value.dump(2) << "\n";
  } else {
    table(value, out);
  }
}

}  // namespace

int runExplain(const ExplainOptions& options, std::ostream& out, std::ostream& err) {
  const bool asJson = options.output == "json";
  if (!asJson && options.output != "table") {
    err << fmt::format("error: -o \"{}\": expected table or json\n", options.output);
    return 2;
  }
  const bool workloadMode = !options.workload.empty();
  const bool connectionMode = !options.from.empty() || !options.to.empty();
  if (workloadMode == connectionMode) {
    err << "error: give either --workload NS/NAME, or --from NS/NAME with --to HOST:PORT\n";
    return 2;
  }
  if (connectionMode && (options.from.empty() || options.to.empty())) {
    err << "error: --from and --to go together\n";
    return 2;
  }
  if (connectionMode && options.port) {
    err << "error: --port applies to --workload; put the port in --to HOST:PORT\n";
    return 2;
  }

  config::LoadOptions loadOptions;
  loadOptions.rootNamespace = options.mesh.rootNamespace;
  config::LoadResult loaded = options.configPath == "-"
                                  ? config::loadStream(std::cin, "<stdin>", loadOptions)
                                  : config::loadPath(options.configPath, loadOptions);
  for (const config::Diagnostic& diagnostic : loaded.diagnostics)
    err << diagnostic.format() << "\n";
  config::Store store;
  if (!store.apply(std::move(loaded)).applied) {
    err << fmt::format("error: {} has errors; nothing was explained\n", options.configPath);
    return 1;
  }
  const auto snapshot = policy::Snapshot::build(store.objects(), options.mesh);

  if (workloadMode) {
    const policy::Workload* workload = findWorkload(*snapshot, "--workload", options.workload, err);
    if (workload == nullptr) return 1;
    emit(workloadJson(*snapshot, *workload, options.port), asJson, printWorkloadTable, out);
    return 0;
  }
  const policy::Workload* source = findWorkload(*snapshot, "--from", options.from, err);
  if (source == nullptr) return 1;
  std::optional<HostPort> to = splitHostPort(options.to);
  if (!to) {
    err << fmt::format("error: --to \"{}\": expected HOST:PORT with a port in 1..65535\n",
                       options.to);
    return 2;
  }
  const policy::ConnectionDecision decision =
      policy::decideConnection(*snapshot, *source, to->host, to->port);
  emit(connectionJson(decision), asJson, printConnectionTable, out);
  return 0;
}

}  // namespace ztls::cli
