// Every RPC through a real socket: what the backend returns is what the client gets.
#include <gtest/gtest.h>

#include "fake_backend.h"
#include "temp_dir.h"
#include "ztls/api/client.h"
#include "ztls/api/server.h"

namespace ztls::test {
namespace {

class ApiRoundTrip : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string socket_ = dir_ / "run/ztls/n1/agent.sock";  // parents do not exist yet
  FakeBackend backend_;
  api::AgentServer server_{"unix:" + socket_, backend_};
  api::AgentClient client_{"unix:" + socket_};
};

TEST_F(ApiRoundTrip, ListWorkloads) {
  backend_.workloads = {
      {.namespace_ = "foo",
       .name = "httpbin-7d9c8f5b6-x2x4k",
       .serviceAccount = "httpbin",
       .ips = {"10.244.1.5", "fd00:10:244:1::5"},
       .nodeName = "n1",
       .enrolled = true,
       .enrollmentReason = "namespace foo has istio.io/dataplane-mode=ambient",
       .identity = "spiffe://cluster.local/ns/foo/sa/httpbin",
       .netnsPath = "/var/run/netns/cni-1",
       .ports = {{.port = 8000, .mode = "STRICT"}, {.port = 9090, .mode = "PERMISSIVE"}}},
      {.namespace_ = "legacy",
       .name = "sleep-5d8f7c9b4-qwert",
       .serviceAccount = "sleep",
       .ips = {"10.244.1.9"},
       .nodeName = "n1",
       .enrolled = false,
       .enrollmentReason = "namespace legacy has no istio.io/dataplane-mode label",
       .identity = "",
       .netnsPath = "/var/run/netns/cni-2",
       .ports = {}},
  };

  EXPECT_EQ(client_.listWorkloads(), backend_.workloads);
  EXPECT_EQ(client_.listWorkloads("legacy"), std::vector<api::Workload>{backend_.workloads[1]});
  EXPECT_TRUE(client_.listWorkloads("nowhere").empty());
  EXPECT_EQ(backend_.listedNamespaces, (std::vector<std::string>{"", "legacy", "nowhere"}));
}

TEST_F(ApiRoundTrip, GetStatus) {
  backend_.agentStatus = {.nodeName = "n1",
                          .version = "0.1.0",
                          .uptimeSeconds = 3600,
                          .configGeneration = 42,
                          .enrolledPods = 7,
                          .connections = {.opened = 100,
                                          .active = 3,
                                          .closed = 97,
                                          .bytesInbound = 1ULL << 40,
                                          .bytesOutbound = 12345,
                                          .errors = 2},
                          .bpfVerdicts = {{"redirected", 90}, {"passthrough_not_enrolled", 10}},
                          .problems = {"no certificate for foo/httpbin yet"}};
  EXPECT_EQ(client_.status(), backend_.agentStatus);
}

TEST_F(ApiRoundTrip, ListConnections) {
  backend_.connections = {
      {.id = 7,
       .direction = "outbound",
       .source = {"10.244.2.2:41000", "foo/sleep-1", "spiffe://cluster.local/ns/foo/sa/sleep"},
       .destination = {"10.244.1.2:80", "foo/httpbin-1",
                       "spiffe://cluster.local/ns/foo/sa/httpbin"},
       .security = "mutual_tls",
       .bytesSent = 80,
       .bytesReceived = 1 << 20,
       .decision = "allow",
       .reason = "auto mTLS: destination is in the mesh",
       .ageMs = 1500,
       .relay = "userspace"},
      {.id = 8, .direction = "inbound", .security = "plaintext", .decision = "allow"}};
  EXPECT_EQ(client_.listConnections(), backend_.connections);
}

TEST_F(ApiRoundTrip, ListCertificates) {
  backend_.certificates = {{"spiffe://cluster.local/ns/foo/sa/sleep", "0a1b2c", 1790000000,
                            1790086400, 1790043200, "ab12"}};
  EXPECT_EQ(client_.listCertificates(), backend_.certificates);
}

TEST_F(ApiRoundTrip, ListPoliciesFiltersByNamespace) {
  backend_.policies = {{"PeerAuthentication",
                        "istio-system",
                        "default",
                        "mesh",
                        "STRICT",
                        {"foo/httpbin", "foo/sleep"},
                        ""},
                       {"AuthorizationPolicy",
                        "foo",
                        "deny-all",
                        "namespace",
                        "ALLOW, 0 rules",
                        {},
                        "no rules: denies every request to the workloads it selects"}};
  EXPECT_EQ(client_.listPolicies(""), backend_.policies);
  EXPECT_EQ(client_.listPolicies("foo"), std::vector<api::PolicyInfo>{backend_.policies[1]});
}

TEST_F(ApiRoundTrip, AddAndRemovePod) {
  const api::AddPodRequest add{.namespace_ = "foo",
                               .name = "httpbin-7d9c8f5b6-x2x4k",
                               .uid = "28ce45bc-63f8-48a3-a99b-cfb9e63c856c",
                               .containerId = "3f9a1c2b",
                               .netnsPath = "/var/run/netns/cni-1",
                               .cgroupPath = "/kubepods.slice/pod1",
                               .ips = {"10.244.1.5"},
                               .nodeName = "n1"};
  EXPECT_EQ(client_.addPod(add), backend_.addResult);
  ASSERT_EQ(backend_.added.size(), 1u);
  EXPECT_EQ(backend_.added[0], add);

  const api::RemovePodRequest remove{.namespace_ = "foo",
                                     .name = "httpbin-7d9c8f5b6-x2x4k",
                                     .containerId = "3f9a1c2b",
                                     .netnsPath = ""};
  backend_.wasEnrolled = false;
  EXPECT_FALSE(client_.removePod(remove));
  ASSERT_EQ(backend_.removed.size(), 1u);
  EXPECT_EQ(backend_.removed[0], remove);
}

TEST_F(ApiRoundTrip, AddPodWithoutNetnsIsRejectedBeforeTheBackend) {
  try {
    client_.addPod({.namespace_ = "foo", .name = "httpbin", .containerId = "3f9a1c2b"});
    FAIL() << "AddPod without netns_path was accepted";
  } catch (const api::ApiError& error) {
    EXPECT_EQ(error.kind(), api::ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(error.what()).find("netns_path"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(backend_.added.empty());
}

TEST_F(ApiRoundTrip, BackendErrorsKeepTheirKindAndMessage) {
  backend_.failure = api::ApiError(api::ErrorKind::kFailedPrecondition, "agent is still syncing");
  try {
    client_.status();
    FAIL() << "status() succeeded";
  } catch (const api::ApiError& error) {
    EXPECT_EQ(error.kind(), api::ErrorKind::kFailedPrecondition);
    EXPECT_EQ(std::string(error.what()),
              "the ztls agent at " + socket_ + " refused GetStatus: agent is still syncing");
  }
}

TEST_F(ApiRoundTrip, CallsAfterShutdownAreUnavailable) {
  server_.shutdown();
  try {
    client_.status();
    FAIL() << "status() succeeded after shutdown";
  } catch (const api::ApiError& error) {
    EXPECT_TRUE(error.transient()) << api::toString(error.kind()) << ": " << error.what();
  }
}

}  // namespace
}  // namespace ztls::test
