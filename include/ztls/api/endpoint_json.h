// One JSON shape for a connection end, shared by `ztlsctl connections -o json` and the
// agent's JSON access log, so that tools reading either see the same field names.
#pragma once

#include <nlohmann/json.hpp>

#include "ztls/api/types.h"

namespace ztls::api {

// {"address": ..., "workload": ... or null, "identity": ... or null}
inline nlohmann::json toJson(const ConnectionEndpoint& endpoint) {
  const auto orNull = [](const std::string& value) {
    return value.empty() ? nlohmann::json(nullptr) : nlohmann::json(value);
  };
  return {{"address", endpoint.address},
          {"workload", orNull(endpoint.workload)},
          {"identity", orNull(endpoint.identity)}};
}

}  // namespace ztls::api
