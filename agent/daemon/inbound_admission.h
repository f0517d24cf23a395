// Why an inbound connection was let in, kept with it so that each new config can ask
// again (Istio's node proxy closes connections a new policy would refuse) and so that the
// question survives a hand-over to the next agent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ztls/policy/authz.h"
#include "ztls/policy/snapshot.h"

namespace ztls::daemon {

struct InboundAdmission {
  std::string namespace_;  // the destination pod
  std::string name;
  std::uint16_t port = 0;  // its target port
  bool mutualTls = false;
  policy::ConnectionAttributes attributes;

  // Why the connection must close under `now`, or nullopt while it is still allowed.
  std::optional<std::string> recheck(const policy::Snapshot& now) const;
};

}  // namespace ztls::daemon
