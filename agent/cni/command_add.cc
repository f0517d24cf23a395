#include <optional>

#include "agent_link.h"
#include "cni_error.h"
#include "commands.h"
#include "mesh_membership.h"
#include "pod_args.h"

namespace ztls::cni {

namespace {

// Only for an unreachable agent, and only with a cluster config to ask.
std::optional<std::string> outsideMesh(const NetConf& conf, const api::ApiError& error,
                                       const PodArgs& pod) {
  if (!error.transient() || conf.clusterConfig.empty()) return std::nullopt;
  const MembershipVerdict verdict = meshMembership(conf.clusterConfig, pod.namespace_, pod.name);
  if (!verdict.certainlyOutside) return std::nullopt;
  return verdict.reason;
}

}  // namespace

std::string commandAdd(const Environment& env, const NetConf& conf, std::ostream& log) {
  if (!conf.prevResult) {
    throw CniError(kInvalidNetworkConfig, "ztls-cni got no prevResult",
                   "it is a chained plugin: list it after the interface plugin (e.g. bridge) "
                   "in a network configuration list");
  }
  const PodArgs pod = requirePodArgs(env, conf);
  const api::AddPodRequest request{.namespace_ = pod.namespace_,
                                   .name = pod.name,
                                   .uid = pod.uid,
                                   .containerId = env.containerId,
                                   .netnsPath = env.netns,
                                   .cgroupPath = pod.cgroupPath,
                                   .ips = podAddresses(*conf.prevResult),
                                   .nodeName = conf.nodeName};
  try {
    connectAgent(conf).addPod(request);
  } catch (const api::ApiError& error) {
    if (failsOpen(conf, error, pod.namespace_)) {
      log << "ztls-cni: " << error.what() << "; starting pod " << pod.displayName()
          << " anyway because namespace " << pod.namespace_ << " is in failOpenForNamespaces\n";
    } else if (const auto outside = outsideMesh(conf, error, pod)) {
      log << "ztls-cni: " << error.what() << "; starting pod " << pod.displayName()
          << " anyway: it is outside the mesh (" << *outside << ")\n";
    } else {
      throw toCniError(
          error, "pod " + pod.displayName() + " is not started until the ztls agent has vetted it");
    }
  }

  // A chained plugin that changes nothing passes the previous result on as it came.
  Json result = *conf.prevResult;
  if (!result.contains("cniVersion")) result["cniVersion"] = conf.cniVersion;
  return result.dump() + "\n";
}

}  // namespace ztls::cni
