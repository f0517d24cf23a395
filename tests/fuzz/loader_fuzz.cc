// libFuzzer target for the config loader: arbitrary bytes must never crash it, and the
// all-or-nothing contract (an error means no objects, and the store keeps its state)
// must hold for every input, not just the ones the unit tests thought of.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "ztls/config/loader.h"
#include "ztls/config/model.h"
#include "ztls/config/store.h"

namespace {

using namespace ztls::config;

// abort() rather than assert(): the invariants must be checked in every build type.
void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "loader_fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

// Something already in force, so that "unchanged" is observable on a failed apply.
constexpr std::string_view kBaseline = R"(apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
)";

// What validation promises downstream code, so the policy engine need not re-check.
void checkValidated(const Object& object) {
  const ObjectMeta& meta = metaOf(object);
  require(!meta.name.empty(), "validated object without a name");
  require(isNamespaced(kindOf(object)) != meta.namespace_.empty(),
          "namespace presence disagrees with the kind's scope");
  if (const auto* service = std::get_if<Service>(&object)) {
    for (const ServicePort& port : service->ports) {
      require(port.port != 0, "Service port 0");
      require(port.targetPort.number != 0 || !port.targetPort.name.empty(),
              "Service targetPort neither number nor name");
    }
  } else if (const auto* peer = std::get_if<PeerAuthentication>(&object)) {
    require(peer->portLevelMtls.empty() || peer->selector.has_value(),
            "portLevelMtls without a selector");
    require(!peer->selector || !peer->selector->empty(), "empty selector kept");
    require(peer->portLevelMtls.count(0) == 0, "portLevelMtls port 0");
  } else if (const auto* rule = std::get_if<DestinationRule>(&object)) {
    require(!rule->host.empty(), "DestinationRule without a host");
    for (const PortTrafficPolicy& setting : rule->portLevelSettings) {
      require(setting.port != 0, "DestinationRule portLevelSettings port 0");
    }
  } else if (const auto* deployment = std::get_if<Deployment>(&object)) {
    require(!deployment->selector.empty(), "Deployment without a selector");
    for (const auto& [key, value] : deployment->selector) {
      const auto found = deployment->templateLabels.find(key);
      require(found != deployment->templateLabels.end() && found->second == value,
              "Deployment selector does not match its template");
    }
  } else if (const auto* pod = std::get_if<Pod>(&object)) {
    require(!pod->spec.containers.empty(), "Pod without containers");
  }
}

void checkResult(const LoadResult& result) {
  if (!result.ok()) require(result.objects.empty(), "objects returned alongside an error");
  for (const Diagnostic& d : result.diagnostics) {
    require(!d.message.empty(), "diagnostic without a message");
    require(!d.format().empty(), "diagnostic formats to nothing");
  }
  for (const Object& object : result.objects) checkValidated(object);
}

void checkStore(const LoadResult& result) {
  Store store([] { return CreationTime{1'000}; });  // a standing clock: the worst case
  require(store.apply(parseYaml(kBaseline, "baseline.yaml", LoadOptions{})).applied,
          "baseline does not apply");
  const Store::Objects before = store.objects();
  const std::uint64_t generation = store.generation();

  const ApplyOutcome outcome = store.apply(result);
  require(outcome.diagnostics.size() == result.diagnostics.size(), "apply lost diagnostics");
  if (!result.ok()) {
    require(!outcome.applied, "failed load applied");
    require(outcome.changes.empty(), "failed load reported changes");
    require(store.objects() == before, "failed load changed the store");
    require(store.generation() == generation, "failed load bumped the generation");
    return;
  }
  require(outcome.applied, "valid load not applied");
  require(outcome.changes.size() == result.objects.size(), "one change per object");
  for (const auto& [key, change] : outcome.changes) {
    require(store.find(key) != nullptr, "applied object not findable");
  }

  // Re-applying the same input is all "configured" and must not move any creation time,
  // or "oldest wins" would flip on a no-op apply.
  const Store::Objects first = store.objects();
  const ApplyOutcome again = store.apply(result);
  require(again.applied, "re-apply of a valid load failed");
  for (const auto& [key, change] : again.changes) {
    require(change == Change::kConfigured, "re-apply created an object");
  }
  for (const auto& [key, object] : first) {
    const Object* now = store.find(key);
    require(now != nullptr, "re-apply lost an object");
    require(metaOf(*now).creation == metaOf(*object).creation, "re-apply moved a creation time");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const LoadResult plain = parseYaml(text, "fuzz.yaml", LoadOptions{});
  checkResult(plain);
  checkStore(plain);

  // kubectl -n: the namespace-mismatch path and a non-default root namespace.
  LoadOptions explicitNamespace;
  explicitNamespace.defaultNamespace = "foo";
  explicitNamespace.namespaceExplicit = true;
  explicitNamespace.rootNamespace = "foo";
  const LoadResult scoped = parseYaml(text, "fuzz.yaml", explicitNamespace);
  checkResult(scoped);
  for (const Object& object : scoped.objects) {
    require(!isNamespaced(kindOf(object)) || metaOf(object).namespace_ == "foo",
            "object escaped the namespace given on the command line");
  }
  return 0;
}
