#include <fmt/format.h>

#include "config/parse.h"
#include "ztls/config/ip_address.h"

namespace ztls::config::parse {

namespace {

std::optional<ContainerPort> containerPort(Context& ctx, const YAML::Node& node,
                                           const std::string& field) {
  FieldReader& r = ctx.reader;
  if (!r.expectMap(node, field)) return std::nullopt;
  ContainerPort result;
  const YAML::Node number = child(node, "containerPort");
  if (!isPresent(number)) {
    r.error(node, joinField(field, "containerPort"), "required");
    return std::nullopt;
  }
  std::optional<std::uint16_t> port = r.port(number, joinField(field, "containerPort"));
  if (!port) return std::nullopt;
  result.port = *port;
  result.name = r.string(child(node, "name"), joinField(field, "name")).value_or("");
  result.protocol = r.string(child(node, "protocol"), joinField(field, "protocol")).value_or("TCP");
  return result;
}

std::optional<Container> container(Context& ctx, const YAML::Node& node, const std::string& field) {
  FieldReader& r = ctx.reader;
  if (!r.expectMap(node, field)) return std::nullopt;
  Container result;
  result.name = r.string(child(node, "name"), joinField(field, "name")).value_or("");
  if (result.name.empty()) r.error(node, joinField(field, "name"), "required");
  result.image = r.string(child(node, "image"), joinField(field, "image")).value_or("");
  result.command = r.stringList(child(node, "command"), joinField(field, "command"))
                       .value_or(std::vector<std::string>{});
  result.args = r.stringList(child(node, "args"), joinField(field, "args"))
                    .value_or(std::vector<std::string>{});
  const YAML::Node ports = child(node, "ports");
  const std::string portsField = joinField(field, "ports");
  if (r.expectSequence(ports, portsField) && isPresent(ports)) {
    for (std::size_t i = 0; i < ports.size(); ++i) {
      if (auto port = containerPort(ctx, ports[i], fmt::format("{}[{}]", portsField, i))) {
        result.ports.push_back(std::move(*port));
      }
    }
  }
  return result;
}

PodSpec podSpec(Context& ctx, const YAML::Node& spec, const std::string& field) {
  FieldReader& r = ctx.reader;
  PodSpec result;
  if (!r.expectMap(spec, field)) return result;
  std::optional<std::string> account =
      r.string(child(spec, "serviceAccountName"), joinField(field, "serviceAccountName"));
  if (!account) {
    account = r.string(child(spec, "serviceAccount"), joinField(field, "serviceAccount"));
  }
  result.serviceAccountName = account.value_or("default");
  result.nodeName = r.string(child(spec, "nodeName"), joinField(field, "nodeName")).value_or("");
  result.nodeSelector =
      r.stringMap(child(spec, "nodeSelector"), joinField(field, "nodeSelector")).value_or(Labels{});
  const YAML::Node containers = child(spec, "containers");
  const std::string containersField = joinField(field, "containers");
  if (!isPresent(containers)) {
    r.error(spec, containersField, "required: a pod needs at least one container");
    return result;
  }
  if (!r.expectSequence(containers, containersField)) return result;
  for (std::size_t i = 0; i < containers.size(); ++i) {
    if (auto item = container(ctx, containers[i], fmt::format("{}[{}]", containersField, i))) {
      result.containers.push_back(std::move(*item));
    }
  }
  if (result.containers.empty())
    r.error(containers, containersField, "needs at least one container");
  return result;
}

void checkIp(Context& ctx, const YAML::Node& node, const std::string& field,
             const std::string& ip) {
  if (!parseIpAddress(ip))
    ctx.reader.error(node, field, fmt::format("\"{}\" is not an IP address", ip));
}

}  // namespace

std::optional<Object> namespaceObject(Context&, const YAML::Node&, ObjectMeta meta) {
  return Namespace{std::move(meta)};
}

std::optional<Object> serviceAccount(Context&, const YAML::Node&, ObjectMeta meta) {
  return ServiceAccount{std::move(meta)};
}

std::optional<Object> pod(Context& ctx, const YAML::Node& document, ObjectMeta meta) {
  FieldReader& r = ctx.reader;
  Pod result;
  result.meta = std::move(meta);
  const YAML::Node spec = child(document, "spec");
  if (!isPresent(spec)) {
    r.error(document, "spec", "required");
    return std::nullopt;
  }
  result.spec = podSpec(ctx, spec, "spec");
  const YAML::Node status = child(document, "status");
  if (r.expectMap(status, "status")) {
    const YAML::Node podIPs = child(status, "podIPs");
    if (r.expectSequence(podIPs, "status.podIPs") && isPresent(podIPs)) {
      for (std::size_t i = 0; i < podIPs.size(); ++i) {
        const std::string field = fmt::format("status.podIPs[{}].ip", i);
        const YAML::Node ipNode = child(podIPs[i], "ip");
        if (auto ip = r.string(ipNode, field)) {
          checkIp(ctx, ipNode, field, *ip);
          result.podIPs.push_back(*ip);
        }
      }
    }
    const YAML::Node podIP = child(status, "podIP");
    if (auto ip = r.string(podIP, "status.podIP")) {
      checkIp(ctx, podIP, "status.podIP", *ip);
      if (result.podIPs.empty()) result.podIPs.push_back(*ip);
    }
  }
  if (r.hadErrors()) return std::nullopt;
  return result;
}

std::optional<Object> deployment(Context& ctx, const YAML::Node& document, ObjectMeta meta) {
  FieldReader& r = ctx.reader;
  Deployment result;
  result.meta = std::move(meta);
  const YAML::Node spec = child(document, "spec");
  if (!isPresent(spec) || !r.expectMap(spec, "spec")) {
    if (!isPresent(spec)) r.error(document, "spec", "required");
    return std::nullopt;
  }
  const YAML::Node replicas = child(spec, "replicas");
  if (auto count = r.integer(replicas, "spec.replicas")) {
    if (*count < 0 || *count > 1000) {
      r.error(replicas, "spec.replicas", fmt::format("{} is out of range 0..1000", *count));
    } else {
      result.replicas = static_cast<int>(*count);
    }
  }
  const YAML::Node selector = child(spec, "selector");
  result.selector =
      r.stringMap(child(selector, "matchLabels"), "spec.selector.matchLabels").value_or(Labels{});
  const YAML::Node templ = child(spec, "template");
  if (!isPresent(templ)) {
    r.error(spec, "spec.template", "required");
    return std::nullopt;
  }
  result.templateLabels =
      r.stringMap(child(child(templ, "metadata"), "labels"), "spec.template.metadata.labels")
          .value_or(Labels{});
  const YAML::Node templateSpec = child(templ, "spec");
  if (!isPresent(templateSpec)) {
    r.error(templ, "spec.template.spec.containers",
            "required: a pod template needs at least one container");
    return std::nullopt;
  }
  result.templateSpec = podSpec(ctx, templateSpec, "spec.template.spec");
  if (result.selector.empty()) {
    r.error(spec, "spec.selector.matchLabels", "required: a Deployment must select its pods");
  } else if (!selectorMatches(result.selector, result.templateLabels)) {
    r.error(selector, "spec.selector.matchLabels",
            "selector does not match the template labels (spec.template.metadata.labels)");
  }
  if (r.hadErrors()) return std::nullopt;
  return result;
}

std::optional<Object> service(Context& ctx, const YAML::Node& document, ObjectMeta meta) {
  FieldReader& r = ctx.reader;
  Service result;
  result.meta = std::move(meta);
  const YAML::Node spec = child(document, "spec");
  if (!r.expectMap(spec, "spec")) return std::nullopt;
  if (auto selector = r.stringMap(child(spec, "selector"), "spec.selector")) {
    result.selector = std::move(*selector);
    result.hasSelector = !result.selector.empty();
  }
  const YAML::Node clusterIP = child(spec, "clusterIP");
  result.clusterIP = r.string(clusterIP, "spec.clusterIP").value_or("");
  if (!result.clusterIP.empty() && result.clusterIP != "None") {
    checkIp(ctx, clusterIP, "spec.clusterIP", result.clusterIP);
  }
  const YAML::Node ports = child(spec, "ports");
  if (r.expectSequence(ports, "spec.ports") && isPresent(ports)) {
    for (std::size_t i = 0; i < ports.size(); ++i) {
      const YAML::Node item = ports[i];
      const std::string field = fmt::format("spec.ports[{}]", i);
      if (!r.expectMap(item, field)) continue;
      ServicePort port;
      port.name = r.string(child(item, "name"), joinField(field, "name")).value_or("");
      const YAML::Node number = child(item, "port");
      if (!isPresent(number)) {
        r.error(item, joinField(field, "port"), "required");
        continue;
      }
      port.port = r.port(number, joinField(field, "port")).value_or(0);
      port.targetPort.number = port.port;
      const YAML::Node target = child(item, "targetPort");
      if (isPresent(target)) {
        std::optional<std::string> text = r.string(target, joinField(field, "targetPort"));
        const bool numeric =
            text && !text->empty() && text->find_first_not_of("0123456789") == std::string::npos;
        if (numeric) {
          port.targetPort.number = r.port(target, joinField(field, "targetPort")).value_or(0);
        } else if (text) {
          port.targetPort = TargetPort{0, *text};
        }
      }
      port.protocol =
          r.string(child(item, "protocol"), joinField(field, "protocol")).value_or("TCP");
      port.appProtocol =
          r.string(child(item, "appProtocol"), joinField(field, "appProtocol")).value_or("");
      if (ports.size() > 1 && port.name.empty()) {
        r.error(item, joinField(field, "name"), "required when a Service has more than one port");
      }
      result.ports.push_back(std::move(port));
    }
  }
  if (r.hadErrors()) return std::nullopt;
  return result;
}

}  // namespace ztls::config::parse
