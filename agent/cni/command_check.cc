#include <algorithm>

#include "agent_link.h"
#include "cni_error.h"
#include "commands.h"
#include "pod_args.h"

namespace ztls::cni {

std::string commandCheck(const Environment& env, const NetConf& conf, std::ostream& log) {
  const PodArgs pod = requirePodArgs(env, conf);
  std::vector<api::Workload> workloads;
  try {
    workloads = connectAgent(conf).listWorkloads(pod.namespace_);
  } catch (const api::ApiError& error) {
    if (!failsOpen(conf, error, pod.namespace_)) {
      throw toCniError(error, "cannot confirm that pod " + pod.displayName() + " is vetted");
    }
    log << "ztls-cni: " << error.what() << "; CHECK passes for pod " << pod.displayName()
        << " because namespace " << pod.namespace_ << " is in failOpenForNamespaces\n";
    return "";
  }

  const auto known = std::find_if(workloads.begin(), workloads.end(), [&](const auto& w) {
    return w.namespace_ == pod.namespace_ && w.name == pod.name;
  });
  if (known == workloads.end()) {
    throw CniError(kPodNotEnrolled, "the ztls agent does not know pod " + pod.displayName(),
                   "it was never added, or the agent lost it; recreate the pod sandbox");
  }
  if (!known->netnsPath.empty() && known->netnsPath != env.netns) {
    throw CniError(
        kPodNotEnrolled,
        "the ztls agent knows pod " + pod.displayName() + " in another network namespace",
        "agent has " + known->netnsPath + ", runtime has " + env.netns);
  }
  return "";
}

}  // namespace ztls::cni
