// When the agent is ready (GET /healthz/ready answers 200): it has a valid config
// snapshot, its mesh root is loaded, and a certificate can be had for every workload
// identity it captures pods of. Otherwise 503 with the first reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ztls::metrics {

struct ReadinessFacts {
  std::uint64_t configGeneration = 0;  // 0: no snapshot loaded yet
  std::string configError;             // why the last load was rejected, if it was
  bool meshRootLoaded = false;
  std::vector<std::string> certificateFailures;  // "<spiffe id>: <why>"
};

struct Readiness {
  bool ready = false;
  std::string reason;  // one line, for people reading the probe's output
};

Readiness judgeReadiness(const ReadinessFacts& facts);

}  // namespace ztls::metrics
