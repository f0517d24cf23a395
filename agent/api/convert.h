// The only place that knows both the plain API structs and the protobuf messages.
#pragma once

#include "ztls/agent/v1/agent.pb.h"
#include "ztls/api/types.h"

namespace ztls::api {

namespace pb = ::ztls::agent::v1;

pb::AddPodRequest toProto(const AddPodRequest& in);
AddPodRequest fromProto(const pb::AddPodRequest& in);

pb::AddPodResponse toProto(const AddPodResult& in);
AddPodResult fromProto(const pb::AddPodResponse& in);

pb::RemovePodRequest toProto(const RemovePodRequest& in);
RemovePodRequest fromProto(const pb::RemovePodRequest& in);

void toProto(const Workload& in, pb::Workload& out);
Workload fromProto(const pb::Workload& in);

pb::GetStatusResponse toProto(const AgentStatus& in);
AgentStatus fromProto(const pb::GetStatusResponse& in);
void toProto(const ConnectionInfo& in, pb::Connection& out);
ConnectionInfo fromProto(const pb::Connection& in);

}  // namespace ztls::api
