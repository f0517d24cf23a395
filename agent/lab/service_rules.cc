#include "lab/service_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "ztls/config/loader.h"
#include "ztls/config/store.h"
#include "ztls/policy/snapshot.h"

namespace ztls::lab {

std::vector<ServiceEndpoints> serviceEndpoints(const std::string& clusterYaml) {
  config::LoadResult loaded = config::parseYaml(clusterYaml, "cluster.yaml", {});
  if (!loaded.ok()) {
    std::string errors;
    for (const auto& diagnostic : loaded.errors()) errors += diagnostic.format() + "\n";
    throw std::runtime_error("the lab's own cluster state does not load: " + errors);
  }
  std::vector<config::Service> services;
  for (const auto& object : loaded.objects) {
    if (const auto* service = std::get_if<config::Service>(&object)) services.push_back(*service);
  }
  config::Store store;
  store.apply(std::move(loaded));
  const auto snapshot = policy::Snapshot::build(store.objects(), {});

  std::vector<ServiceEndpoints> result;
  for (const auto& service : services) {
    if (service.clusterIP.empty() || service.clusterIP == "None") continue;
    ServiceEndpoints entry{service.meta.namespace_, service.meta.name, service.clusterIP, {}};
    const auto workloads = snapshot->endpointsOf(service);
    for (const auto& port : service.ports) {
      ServicePortEndpoints portEntry{port.port, port.protocol == "UDP" ? "udp" : "tcp", {}};
      for (const auto* workload : workloads) {
        if (workload->kind != config::Kind::kPod || workload->ips.empty()) continue;
        std::optional<std::uint16_t> target = port.targetPort.number;
        if (port.targetPort.number == 0) target = workload->portNamed(port.targetPort.name);
        if (!target) continue;
        portEntry.endpoints.push_back({workload->ips.front(), *target});
      }
      std::sort(portEntry.endpoints.begin(), portEntry.endpoints.end(),
                [](const auto& a, const auto& b) { return a.ip < b.ip; });
      entry.ports.push_back(std::move(portEntry));
    }
    result.push_back(std::move(entry));
  }
  return result;
}

std::string renderServiceRules(const std::vector<ServiceEndpoints>& services,
                               const NodeState& node) {
  std::string dnat;
  for (const auto& service : services) {
    for (const auto& port : service.ports) {
      if (port.endpoints.empty()) continue;
      const std::string match =
          fmt::format("ip daddr {} {} dport {}", service.clusterIp, port.protocol, port.port);
      if (port.endpoints.size() == 1) {
        dnat += fmt::format("    {} dnat ip to {}:{}\n", match, port.endpoints[0].ip,
                            port.endpoints[0].port);
        continue;
      }
      std::string map;
      for (std::size_t i = 0; i < port.endpoints.size(); ++i) {
        map += fmt::format("{}{} : {} . {}", i == 0 ? "" : ", ", i, port.endpoints[i].ip,
                           port.endpoints[i].port);
      }
      dnat += fmt::format("    {} dnat ip to numgen random mod {} map {{ {} }}\n", match,
                          port.endpoints.size(), map);
    }
  }
  // Pods on one bridge talk L2 to each other, so a DNATed reply would bypass the node
  // and never be un-NATed: masquerade service traffic that stays on the node.
  return fmt::format(
      "table ip ztls_lab\n"
      "delete table ip ztls_lab\n"
      "table ip ztls_lab {{\n"
      "  chain services {{\n"
      "    type nat hook prerouting priority dstnat; policy accept;\n"
      "{}"
      "  }}\n"
      "  chain hairpin {{\n"
      "    type nat hook postrouting priority srcnat; policy accept;\n"
      "    ct status dnat ip saddr {} ip daddr {} masquerade\n"
      "  }}\n"
      "  chain no_endpoints {{\n"
      "    type filter hook forward priority filter; policy accept;\n"
      "    ip daddr 10.96.0.0/16 meta l4proto tcp reject with tcp reset\n"
      "    ip daddr 10.96.0.0/16 reject\n"
      "  }}\n"
      "}}\n",
      dnat, node.podCidr(), node.podCidr());
}

std::string renderHostsFile(const std::vector<ServiceEndpoints>& services, const PodState& pod) {
  std::string out =
      "# Written by ztls-lab for this pod, as kubelet writes /etc/hosts.\n"
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n";
  out += fmt::format("{}\t{}\n", pod.ip, pod.name);
  for (const auto& service : services) {
    const std::string& name = service.name;
    const std::string& ns = service.namespace_;
    out += fmt::format("{}\t{}.{}.svc.cluster.local {}.{}.svc {}.{}{}\n", service.clusterIp, name,
                       ns, name, ns, name, ns, ns == pod.namespace_ ? " " + name : "");
  }
  return out;
}

}  // namespace ztls::lab
