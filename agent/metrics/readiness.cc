#include "ztls/metrics/readiness.h"

namespace ztls::metrics {

Readiness judgeReadiness(const ReadinessFacts& facts) {
  if (facts.configGeneration == 0) {
    // A rejected later config keeps the previous snapshot in force, so only the very
    // first load decides here.
    return {false, facts.configError.empty()
                       ? "no config snapshot loaded yet"
                       : "no valid config snapshot loaded: " + facts.configError};
  }
  if (!facts.meshRootLoaded) return {false, "the mesh root certificate is not loaded"};
  if (!facts.certificateFailures.empty()) {
    std::string reason = "cannot get workload certificates:";
    for (const auto& failure : facts.certificateFailures) reason += " " + failure + ";";
    reason.pop_back();
    return {false, reason};
  }
  return {true, "ready"};
}

}  // namespace ztls::metrics
