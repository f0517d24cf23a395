// The API-server half of the lab: applying, labelling and deleting objects, with
// kubectl's validation and wording ("deployment.apps/httpbin created").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lab/state.h"

namespace ztls::lab {

struct ApplyRequest {
  std::string text;
  std::string sourceName;                 // file name or "-"
  std::optional<std::string> namespace_;  // -n
};

// Validates the whole input with the ztls loader first; any error leaves the state
// untouched. Returns kubectl's lines ("service/httpbin created") and prints warnings
// to `warnings`.
std::vector<std::string> applyObjects(LabState& state, const ApplyRequest& request,
                                      std::vector<std::string>& warnings);

// kubectl's resource names: "pods", "po", "deploy", "peerauthentication", ... → the
// Kind name used in records ("Pod"); throws for unknown resource types.
std::string kindForResource(const std::string& resource);
// "deployment.apps", "peerauthentication.security.istio.io", ...
std::string qualifiedResource(const std::string& kind);
bool kindIsNamespaced(const std::string& kind);

// Objects of `kind` named in `names` (all of them with `all`), in `ns` or every
// namespace. Returns the deleted records; missing names are reported as errors.
std::vector<ObjectRecord> deleteObjects(LabState& state, const std::string& kind,
                                        const std::vector<std::string>& names,
                                        const std::optional<std::string>& ns, bool all,
                                        std::vector<std::string>& errors);
// `delete -f FILE`: every object the file names.
std::vector<ObjectRecord> deleteObjectsIn(LabState& state, const ApplyRequest& request,
                                          std::vector<std::string>& errors);

// `label KIND NAME k=v k2-`; returns "namespace/foo labeled".
std::string labelObject(LabState& state, const std::string& kind, const std::string& ns,
                        const std::string& name, const std::vector<std::string>& changes,
                        bool overwrite);

// An RFC 3339 timestamp with microseconds, so that objects applied within the same
// second keep their order for Istio's "oldest wins".
std::string nowTimestamp();

}  // namespace ztls::lab
