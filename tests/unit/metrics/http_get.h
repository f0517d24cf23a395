// A blocking HTTP/1.0 GET for tests of the agent's endpoints.
#pragma once

#include <string>

namespace ztls::metrics::test {

struct HttpReply {
  int status = 0;  // 0 when the request failed
  std::string body;
  std::string error;  // why it failed, e.g. "Connection refused"
};

HttpReply httpGet(int port, const std::string& path);

}  // namespace ztls::metrics::test
