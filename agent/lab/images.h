// Container images map to programs on the host: the lab has no image runtime, and
// tests need the real servers the manifests name (httpbin, a curl client).
#pragma once

#include <string>
#include <vector>

#include "ztls/config/model.h"

namespace ztls::lab {

// The argv the lab runs for a container, or std::runtime_error naming the image when it
// cannot be mapped. Order: a `command` whose program exists on the host runs as written
// (with args); an httpbin image runs Debian's python3-httpbin under gunicorn on the
// container port; a curl image idles so that `exec` can run curl in the pod.
std::vector<std::string> commandForContainer(const config::Container& container);

}  // namespace ztls::lab
