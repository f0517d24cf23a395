// Which pod an invocation is about, from the K8S_* keys kubelet's runtime puts in
// CNI_ARGS and the cgroup path the runtime may pass.
#pragma once

#include <string>

#include "environment.h"
#include "netconf.h"

namespace ztls::cni {

struct PodArgs {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string cgroupPath;

  std::string displayName() const { return namespace_ + "/" + name; }
};

// Whatever is present; DEL must work with less than ADD gets.
PodArgs podArgs(const Environment& env, const NetConf& conf);

// As podArgs, but throws CniError(kInvalidEnvironment) without a namespace and a name:
// enrollment is decided per Kubernetes pod, and a pod nobody can name cannot be vetted.
PodArgs requirePodArgs(const Environment& env, const NetConf& conf);

}  // namespace ztls::cni
