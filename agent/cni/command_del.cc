#include <exception>

#include "agent_link.h"
#include "commands.h"
#include "pod_args.h"

namespace ztls::cni {

std::string commandDel(const Environment& env, const NetConf& conf, std::ostream& log) {
  const PodArgs pod = podArgs(env, conf);
  try {
    connectAgent(conf).removePod({.namespace_ = pod.namespace_,
                                  .name = pod.name,
                                  .containerId = env.containerId,
                                  .netnsPath = env.netns});
  } catch (const std::exception& error) {
    // A failed DEL blocks the runtime from ever releasing the sandbox, and an agent that
    // is down has no pod state to clean up until it resyncs anyway.
    log << "ztls-cni: DEL of container " << env.containerId << " ignores: " << error.what() << "\n";
  }
  return "";
}

}  // namespace ztls::cni
