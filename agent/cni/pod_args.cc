#include "pod_args.h"

#include "cni_error.h"

namespace ztls::cni {
namespace {

std::string arg(const Environment& env, const char* key) {
  const auto found = env.args.find(key);
  return found == env.args.end() ? std::string() : found->second;
}

}  // namespace

PodArgs podArgs(const Environment& env, const NetConf& conf) {
  PodArgs pod;
  pod.namespace_ = arg(env, "K8S_POD_NAMESPACE");
  pod.name = arg(env, "K8S_POD_NAME");
  pod.uid = arg(env, "K8S_POD_UID");
  // The runtime's capability value is authoritative; the CNI_ARGS key is for runtimes
  // that do not support the cgroupPath capability.
  pod.cgroupPath = conf.cgroupPath.empty() ? arg(env, "ZTLS_POD_CGROUP") : conf.cgroupPath;
  return pod;
}

PodArgs requirePodArgs(const Environment& env, const NetConf& conf) {
  PodArgs pod = podArgs(env, conf);
  std::string missing;
  if (pod.namespace_.empty()) missing = "K8S_POD_NAMESPACE";
  if (pod.name.empty()) missing += missing.empty() ? "K8S_POD_NAME" : ", K8S_POD_NAME";
  if (!missing.empty()) {
    throw CniError(kInvalidEnvironment, "CNI_ARGS lacks " + missing,
                   "ztls-cni enrolls Kubernetes pods and needs the keys kubelet's runtime "
                   "passes in CNI_ARGS");
  }
  return pod;
}

}  // namespace ztls::cni
