// kube-proxy's job in the lab: endpoints from the cluster YAML, the nft ruleset and the
// pods' hosts files.
#include "lab/service_rules.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace ztls::lab {
namespace {

// sleep: numeric targetPort, one running pod. httpbin: named targetPort, two running
// pods and one that has no IP yet. other/web: no pods at all.
const char* const kCluster = R"(---
apiVersion: v1
kind: Namespace
metadata:
  name: foo
---
apiVersion: v1
kind: Namespace
metadata:
  name: other
---
apiVersion: v1
kind: Service
metadata:
  name: sleep
  namespace: foo
spec:
  clusterIP: 10.96.0.11
  selector:
    app: sleep
  ports:
  - port: 80
    targetPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: foo
spec:
  clusterIP: 10.96.0.10
  selector:
    app: httpbin
  ports:
  - name: http
    port: 8000
    targetPort: http-web
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: other
spec:
  clusterIP: 10.96.0.12
  selector:
    app: web
  ports:
  - port: 8080
    protocol: UDP
---
apiVersion: v1
kind: Pod
metadata:
  name: sleep-1
  namespace: foo
  labels:
    app: sleep
spec:
  containers:
  - name: sleep
    image: curlimages/curl
status:
  podIP: 10.244.1.2
---
apiVersion: v1
kind: Pod
metadata:
  name: httpbin-2
  namespace: foo
  labels:
    app: httpbin
spec:
  containers:
  - name: httpbin
    image: kennethreitz/httpbin
    ports:
    - containerPort: 8080
      name: http-web
status:
  podIP: 10.244.2.4
---
apiVersion: v1
kind: Pod
metadata:
  name: httpbin-1
  namespace: foo
  labels:
    app: httpbin
spec:
  containers:
  - name: httpbin
    image: kennethreitz/httpbin
    ports:
    - containerPort: 8080
      name: http-web
status:
  podIP: 10.244.1.3
---
apiVersion: v1
kind: Pod
metadata:
  name: httpbin-pending
  namespace: foo
  labels:
    app: httpbin
spec:
  containers:
  - name: httpbin
    image: kennethreitz/httpbin
    ports:
    - containerPort: 8080
      name: http-web
)";

const ServiceEndpoints* find(const std::vector<ServiceEndpoints>& services,
                             const std::string& name) {
  for (const auto& service : services) {
    if (service.name == name) return &service;
  }
  return nullptr;
}

std::vector<std::string> endpointStrings(const ServicePortEndpoints& port) {
  std::vector<std::string> result;
  for (const auto& endpoint : port.endpoints) {
    result.push_back(endpoint.ip + ":" + std::to_string(endpoint.port));
  }
  return result;
}

class ServiceRulesTest : public ::testing::Test {
 protected:
  std::vector<ServiceEndpoints> services_ = serviceEndpoints(kCluster);
  NodeState node1_{"node1", 1, 0};
};

TEST_F(ServiceRulesTest, NumericTargetPortGoesToTheRunningPod) {
  const ServiceEndpoints* sleep = find(services_, "sleep");
  ASSERT_NE(sleep, nullptr);
  EXPECT_EQ(sleep->namespace_, "foo");
  EXPECT_EQ(sleep->clusterIp, "10.96.0.11");
  ASSERT_EQ(sleep->ports.size(), 1u);
  EXPECT_EQ(sleep->ports[0].port, 80);
  EXPECT_EQ(sleep->ports[0].protocol, "tcp");
  EXPECT_EQ(endpointStrings(sleep->ports[0]), (std::vector<std::string>{"10.244.1.2:80"}));
}

TEST_F(ServiceRulesTest, NamedTargetPortResolvesPerPodAndSkipsPodsWithoutIp) {
  const ServiceEndpoints* httpbin = find(services_, "httpbin");
  ASSERT_NE(httpbin, nullptr);
  ASSERT_EQ(httpbin->ports.size(), 1u);
  EXPECT_EQ(httpbin->ports[0].port, 8000);
  EXPECT_EQ(endpointStrings(httpbin->ports[0]),
            (std::vector<std::string>{"10.244.1.3:8080", "10.244.2.4:8080"}));
}

TEST_F(ServiceRulesTest, ServiceWithoutPodsHasNoEndpoints) {
  const ServiceEndpoints* web = find(services_, "web");
  ASSERT_NE(web, nullptr);
  ASSERT_EQ(web->ports.size(), 1u);
  EXPECT_EQ(web->ports[0].protocol, "udp");
  EXPECT_TRUE(web->ports[0].endpoints.empty());
}

TEST(ServiceEndpointsErrors, BrokenClusterYamlIsAnError) {
  EXPECT_THROW(serviceEndpoints("apiVersion: v1\nkind: Service\nmetadata: {}\n"),
               std::runtime_error);
}

TEST_F(ServiceRulesTest, RulesetReplacesTheTableInOneTransaction) {
  const std::string rules = renderServiceRules(services_, node1_);
  EXPECT_EQ(rules.rfind("table ip ztls_lab\ndelete table ip ztls_lab\ntable ip ztls_lab {\n", 0),
            0u)
      << rules;
}

TEST_F(ServiceRulesTest, OneEndpointIsAPlainDnat) {
  EXPECT_NE(renderServiceRules(services_, node1_)
                .find("    ip daddr 10.96.0.11 tcp dport 80 dnat ip to 10.244.1.2:80\n"),
            std::string::npos);
}

TEST_F(ServiceRulesTest, SeveralEndpointsAreChosenByNumgen) {
  EXPECT_NE(renderServiceRules(services_, node1_)
                .find("    ip daddr 10.96.0.10 tcp dport 8000 dnat ip to numgen random mod 2 map "
                      "{ 0 : 10.244.1.3 . 8080, 1 : 10.244.2.4 . 8080 }\n"),
            std::string::npos);
}

TEST_F(ServiceRulesTest, ServiceWithoutEndpointsGetsNoDnat) {
  EXPECT_EQ(renderServiceRules(services_, node1_).find("10.96.0.12"), std::string::npos);
}

TEST_F(ServiceRulesTest, HairpinMasqueradesTheNodesPodCidr) {
  EXPECT_NE(renderServiceRules(services_, NodeState{"node2", 2, 0})
                .find("ct status dnat ip saddr 10.244.2.0/24 ip daddr 10.244.2.0/24 masquerade"),
            std::string::npos);
}

// Check mode still needs a network namespace to resolve the table against; a throwaway
// one keeps the host's ruleset out of it.
class ScratchNetns {
 public:
  ScratchNetns() : name_("ztls-t-" + std::to_string(::getpid())) {
    created_ = run("ip netns add " + name_) == 0;
  }
  ~ScratchNetns() {
    if (created_) run("ip netns delete " + name_);
  }
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  bool created() const { return created_; }
  const std::string& name() const { return name_; }

  static int run(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string name_;
  bool created_ = false;
};

TEST_F(ServiceRulesTest, RulesetPassesNftCheck) {
  ASSERT_EQ(ScratchNetns::run("command -v nft >/dev/null 2>&1"), 0)
      << "nft is not installed; the ruleset cannot be validated (apt-get install nftables)";
  ScratchNetns netns;
  ASSERT_TRUE(netns.created()) << "cannot create network namespace " << netns.name()
                               << " (needs root and iproute2)";
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("ztls-lab-rules-" + std::to_string(::getpid()) + ".nft");
  {
    std::ofstream out(file);
    out << renderServiceRules(services_, node1_);
  }
  const std::string log = file.string() + ".log";
  const int code = ScratchNetns::run("ip netns exec " + netns.name() + " nft -c -f " +
                                     file.string() + " >" + log + " 2>&1");
  std::ifstream logFile(log);
  const std::string output((std::istreambuf_iterator<char>(logFile)), {});
  std::filesystem::remove(file);
  std::filesystem::remove(log);
  EXPECT_EQ(code, 0) << "nft -c rejected the ruleset:\n" << output;
}

TEST_F(ServiceRulesTest, EmptyRulesetPassesNftCheck) {
  ASSERT_EQ(ScratchNetns::run("command -v nft >/dev/null 2>&1"), 0)
      << "nft is not installed; the ruleset cannot be validated (apt-get install nftables)";
  ScratchNetns netns;
  ASSERT_TRUE(netns.created()) << "cannot create network namespace " << netns.name();
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("ztls-lab-empty-" + std::to_string(::getpid()) + ".nft");
  {
    std::ofstream out(file);
    out << renderServiceRules({}, node1_);
  }
  EXPECT_EQ(ScratchNetns::run("ip netns exec " + netns.name() + " nft -c -f " + file.string()), 0);
  std::filesystem::remove(file);
}

TEST_F(ServiceRulesTest, HostsFileNamesEveryServiceAndShortNamesOnlyInThePodsNamespace) {
  PodState pod;
  pod.namespace_ = "foo";
  pod.name = "sleep-1";
  pod.ip = "10.244.1.2";
  EXPECT_EQ(renderHostsFile(services_, pod),
            "# Written by ztls-lab for this pod, as kubelet writes /etc/hosts.\n"
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "10.244.1.2\tsleep-1\n"
            "10.96.0.11\tsleep.foo.svc.cluster.local sleep.foo.svc sleep.foo sleep\n"
            "10.96.0.10\thttpbin.foo.svc.cluster.local httpbin.foo.svc httpbin.foo httpbin\n"
            "10.96.0.12\tweb.other.svc.cluster.local web.other.svc web.other\n");
}

}  // namespace
}  // namespace ztls::lab
