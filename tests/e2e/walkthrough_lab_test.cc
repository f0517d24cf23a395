// The lab as users run it: a 2-node cluster, the walkthrough's namespaces and samples,
// real curl against real httpbin, and the node agents' own counters as witnesses.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "lab_runner.h"

namespace ztls::e2e {
namespace {

const std::vector<std::string> kNamespaces{"foo", "bar", "legacy"};
const std::vector<std::string> kNodes{"node1", "node2"};

// A counter of `ztlsctl status -o json` (status[section][field]) summed over both nodes.
std::uint64_t statusTotal(const Lab& lab, const std::string& section, const std::string& field) {
  std::uint64_t total = 0;
  for (const auto& node : kNodes) {
    total += lab.agentStatus(node)[section].value(field, std::uint64_t{0});
  }
  return total;
}

std::uint64_t verdictTotal(const Lab& lab, const std::string& reason) {
  return statusTotal(lab, "kernelVerdicts", reason);
}

std::uint64_t relayedConnections(const Lab& lab) {
  return statusTotal(lab, "connections", "opened");
}

struct Witness {
  std::uint64_t redirected = 0;
  std::uint64_t steered = 0;
  std::uint64_t relayed = 0;
};

Witness witness(const Lab& lab) {
  return {verdictTotal(lab, "outbound_redirected"), verdictTotal(lab, "inbound_steered"),
          relayedConnections(lab)};
}

class WalkthroughLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A fixed name: if a previous run died half-way, `up` clears what it left.
    lab_ = new Lab("ztls-e2e");
    setupError_ = new std::string;
    if (const std::string missing = missingLabPrerequisites(); !missing.empty()) {
      *setupError_ = "the lab end-to-end tests need:" + missing + " (run scripts/setup as root)";
      return;
    }
    *setupError_ = bringUpSampleLab(*lab_, kNamespaces);
  }

  static void TearDownTestSuite() {
    takeDownLab(*lab_);
    delete lab_;
    delete setupError_;
  }

  void SetUp() override { ASSERT_TRUE(setupError_->empty()) << *setupError_; }

  static Lab* lab_;
  static std::string* setupError_;
};

Lab* WalkthroughLab::lab_ = nullptr;
std::string* WalkthroughLab::setupError_ = nullptr;

TEST_F(WalkthroughLab, PodsAreSpreadOverBothNodesWithAddressesFromTheirNodeCidr) {
  const std::string pods = lab_->must("get pods -A -o wide");
  EXPECT_NE(pods.find("node1"), std::string::npos) << pods;
  EXPECT_NE(pods.find("node2"), std::string::npos) << pods;
  EXPECT_NE(pods.find("10.244.1."), std::string::npos) << pods;
  EXPECT_NE(pods.find("10.244.2."), std::string::npos) << pods;
  EXPECT_NE(pods.find("Running"), std::string::npos) << pods;
}

TEST_F(WalkthroughLab, EveryPairAnswers200AndOnlyMeshTrafficGoesThroughTheAgents) {
  for (const auto& from : kNamespaces) {
    for (const auto& to : kNamespaces) {
      const Witness before = witness(*lab_);
      const auto [status, exitCode] = lab_->curlStatus(from, to);
      const Witness after = witness(*lab_);
      EXPECT_EQ(status, "200") << "sleep." << from << " to httpbin." << to << " (curl exit "
                               << exitCode << ")";
      const bool clientInMesh = from != "legacy";
      const bool serverInMesh = to != "legacy";
      EXPECT_EQ(after.redirected - before.redirected, clientInMesh ? 1u : 0u)
          << "outbound redirects for sleep." << from << " to httpbin." << to;
      EXPECT_EQ(after.steered - before.steered, serverInMesh ? 1u : 0u)
          << "inbound steering for sleep." << from << " to httpbin." << to;
      EXPECT_EQ(after.relayed - before.relayed,
                static_cast<std::uint64_t>(clientInMesh) + static_cast<std::uint64_t>(serverInMesh))
          << "relays by the agents for sleep." << from << " to httpbin." << to;
    }
  }
}

TEST_F(WalkthroughLab, AgentsReportWhichPodsTheyCaptureAndWhy) {
  std::map<std::string, bool> captured;
  for (const auto& node : kNodes) {
    // Keep the document alive: a range-for over a member of a temporary dangles.
    const nlohmann::json listed = lab_->agentWorkloads(node);
    for (const auto& workload : listed["workloads"]) {
      captured[workload["namespace"].get<std::string>() + "/" +
               workload["name"].get<std::string>().substr(
                   0, workload["name"].get<std::string>().find('-'))] =
          workload["captured"].get<bool>();
      EXPECT_FALSE(workload["reason"].get<std::string>().empty());
    }
  }
  for (const auto& ns : kNamespaces) {
    for (const auto& app : {"httpbin", "sleep"}) {
      const auto found = captured.find(ns + "/" + app);
      ASSERT_NE(found, captured.end()) << ns << "/" << app << " unknown to every agent";
      EXPECT_EQ(found->second, ns != "legacy") << ns << "/" << app;
    }
  }
}

TEST_F(WalkthroughLab, WithAgentsStoppedMeshPodsRefuseConnectionsAndLegacyStillWorks) {
  lab_->must("agent stop");
  for (const auto& from : kNamespaces) {
    for (const auto& to : kNamespaces) {
      const auto [status, exitCode] = lab_->curlStatus(from, to);
      if (from == "legacy" && to == "legacy") {
        EXPECT_EQ(status, "200") << "legacy traffic must not depend on the agent";
      } else {
        EXPECT_EQ(status, "000") << "sleep." << from << " to httpbin." << to
                                 << " must be refused while the agent is down";
        EXPECT_EQ(exitCode, 7) << "curl should see a refused connection (exit 7) for sleep." << from
                               << " to httpbin." << to;
      }
    }
  }
  lab_->must("agent start");
  for (const auto& from : kNamespaces) {
    for (const auto& to : kNamespaces) {
      EXPECT_EQ(lab_->curlStatus(from, to).first, "200")
          << "after restart: sleep." << from << " to httpbin." << to;
    }
  }
}

TEST_F(WalkthroughLab, RemovingTheNamespaceLabelReleasesPodsLiveAndAddingItBackCapturesThem) {
  lab_->must("label ns bar istio.io/dataplane-mode-");
  // The agents follow the config within a second; give them a little more.
  bool released = false;
  for (int attempt = 0; attempt < 50 && !released; ++attempt) {
    usleep(100000);
    released = true;
    for (const auto& node : kNodes) {
      // Keep the document alive: a range-for over a member of a temporary dangles.
      const nlohmann::json listed = lab_->agentWorkloads(node);
      for (const auto& workload : listed["workloads"]) {
        if (workload["namespace"] == "bar" && workload["captured"].get<bool>()) released = false;
      }
    }
  }
  EXPECT_TRUE(released) << "bar's pods are still captured after the label was removed";
  const Witness before = witness(*lab_);
  EXPECT_EQ(lab_->curlStatus("bar", "legacy").first, "200");
  EXPECT_EQ(witness(*lab_).relayed, before.relayed) << "released pods must bypass the agent";

  lab_->must("label ns bar istio.io/dataplane-mode=ambient");
  bool recaptured = false;
  for (int attempt = 0; attempt < 50 && !recaptured; ++attempt) {
    usleep(100000);
    int count = 0;
    for (const auto& node : kNodes) {
      // Keep the document alive: a range-for over a member of a temporary dangles.
      const nlohmann::json listed = lab_->agentWorkloads(node);
      for (const auto& workload : listed["workloads"]) {
        if (workload["namespace"] == "bar" && workload["captured"].get<bool>()) ++count;
      }
    }
    recaptured = count == 2;
  }
  EXPECT_TRUE(recaptured) << "bar's pods were not captured again";
  const Witness again = witness(*lab_);
  EXPECT_EQ(lab_->curlStatus("bar", "legacy").first, "200");
  EXPECT_EQ(witness(*lab_).redirected - again.redirected, 1u);
}

TEST_F(WalkthroughLab, OneGibibyteCrossesTwoAgentsByteExact) {
  const std::string sink = hashingSinkManifest();
  std::ofstream(std::filesystem::temp_directory_path() / "ztls-e2e-sink.yaml") << sink;
  lab_->must("apply -n bar -f " +
             (std::filesystem::temp_directory_path() / "ztls-e2e-sink.yaml").string());
  const std::string client = hashingClientProgram("sink.bar", 1024);
  const std::string script = std::filesystem::temp_directory_path() / "ztls-e2e-client.py";
  std::ofstream(script) << client;
  const Witness before = witness(*lab_);
  const Outcome outcome = shell(std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster() +
                                " exec -n foo deploy/sleep -- /usr/bin/python3 " + script);
  EXPECT_EQ(outcome.exitCode, 0) << outcome.output;
  EXPECT_EQ(outcome.output, "match\n");
  EXPECT_EQ(witness(*lab_).relayed - before.relayed, 2u) << "both agents should have relayed it";
  std::filesystem::remove(script);
  std::filesystem::remove(std::filesystem::temp_directory_path() / "ztls-e2e-sink.yaml");
}

}  // namespace
}  // namespace ztls::e2e

namespace ztls::e2e {
namespace {

bool capturedOnSomeNode(const Lab& lab, const std::string& ns, const std::string& app) {
  for (const auto& node : kNodes) {
    const nlohmann::json listed = lab.agentWorkloads(node);
    for (const auto& workload : listed["workloads"]) {
      if (workload["namespace"] == ns &&
          workload["name"].get<std::string>().rfind(app + "-", 0) == 0) {
        return workload["captured"].get<bool>();
      }
    }
  }
  return false;
}

bool waitForCapture(const Lab& lab, const std::string& ns, const std::string& app, bool wanted) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (capturedOnSomeNode(lab, ns, app) == wanted) return true;
    usleep(100000);
  }
  return false;
}

TEST_F(WalkthroughLab, AgentsListLiveConnectionsWithBothEnds) {
  // A request that takes three seconds keeps its connection open while we look.
  const std::string lab = std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster();
  const Outcome started = shell("(" + lab +
                                " exec -n foo deploy/sleep -- curl -s -o /dev/null "
                                "http://httpbin.bar:8000/delay/3 >/dev/null 2>&1 &) ; sleep 1.5");
  ASSERT_EQ(started.exitCode, 0) << started.output;
  bool outboundSeen = false;
  bool inboundSeen = false;
  for (const auto& node : kNodes) {
    const nlohmann::json listed = lab_->agentConnections(node);
    for (const auto& connection : listed["connections"]) {
      const std::string source = connection["source"]["workload"].is_string()
                                     ? connection["source"]["workload"].get<std::string>()
                                     : "";
      const std::string destination = connection["destination"]["workload"].is_string()
                                          ? connection["destination"]["workload"].get<std::string>()
                                          : "";
      if (source.rfind("foo/sleep-", 0) != 0 || destination.rfind("bar/httpbin-", 0) != 0) continue;
      EXPECT_EQ(connection["security"], "mutual_tls") << "auto mTLS between mesh pods";
      EXPECT_EQ(connection["source"]["identity"], "spiffe://cluster.local/ns/foo/sa/sleep");
      EXPECT_EQ(connection["destination"]["identity"], "spiffe://cluster.local/ns/bar/sa/httpbin");
      EXPECT_EQ(connection["decision"], "allow");
      EXPECT_GT(connection["bytesSent"].get<std::uint64_t>(), 0u) << connection;
      EXPECT_TRUE(connection["destination"]["address"].get<std::string>().ends_with(":80"))
          << connection;
      (connection["direction"] == "outbound" ? outboundSeen : inboundSeen) = true;
    }
  }
  EXPECT_TRUE(outboundSeen) << "node2's agent should list the connection it relays out";
  EXPECT_TRUE(inboundSeen) << "node1's agent should list the connection it relays in";
  sleep(2);
}

// scripts/vmtest runs this suite on Debian's kernel, which has kernel TLS, and says so
// with ZTLS_EXPECT_KERNEL_TLS=1, so that an agent that fails to use it fails there.
// Elsewhere the kernel's own ULP list says what to expect.
bool kernelTlsExpected() {
  if (const char* expected = std::getenv("ZTLS_EXPECT_KERNEL_TLS")) {
    return std::string(expected) == "1";
  }
  return kernelOffersTlsUlp();
}

std::uint64_t kernelTlsHandoffs(const Lab& lab) {
  return statusTotal(lab, "kernelTls", "handoffs");
}

// The mutual TLS connections both agents list, once a request started in the background
// shows at both ends (inbound and outbound) or `limit` has passed: its handshakes take a
// moment, seconds under emulation.
std::vector<nlohmann::json> meshConnections(const Lab& lab, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::vector<nlohmann::json> found;
    std::set<std::string> directions;
    for (const auto& node : kNodes) {
      // Named: a temporary's member would not outlive the loop's first line (before C++23).
      const nlohmann::json listed = lab.agentConnections(node);
      for (const auto& connection : listed["connections"]) {
        if (connection["security"] != "mutual_tls") continue;
        directions.insert(connection["direction"].get<std::string>());
        found.push_back(connection);
      }
    }
    if (directions.size() == 2 || std::chrono::steady_clock::now() > deadline) return found;
    usleep(200'000);
  }
}

std::set<std::string> directionsOf(const std::vector<nlohmann::json>& connections) {
  std::set<std::string> directions;
  for (const auto& connection : connections) {
    directions.insert(connection["direction"].get<std::string>());
  }
  return directions;
}

TEST_F(WalkthroughLab, MeshSessionsMoveToKernelTlsWhereTheKernelHasIt) {
  const bool expected = kernelTlsExpected();
  for (const auto& node : kNodes) {
    const nlohmann::json kernelTls = lab_->agentStatus(node)["kernelTls"];
    EXPECT_EQ(kernelTls["state"], expected ? "active" : "unavailable") << node << ": " << kernelTls;
    if (!expected) {
      EXPECT_NE(kernelTls["detail"].get<std::string>().find("no TLS ULP"), std::string::npos)
          << kernelTls;
    }
  }
  const std::uint64_t before = kernelTlsHandoffs(*lab_);
  // A request that takes a while keeps its connection open while we look.
  const std::string lab = std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster();
  // A response dripped over some seconds keeps the connection open while we look (httpbin
  // caps /delay at 10 s). Emulation, where kernel TLS is tested, needs seconds per step.
  const int seconds = expected ? 30 : 5;
  BackgroundShell request(lab +
                          " exec -n foo deploy/sleep -- curl -s -o /dev/null -w '%{http_code}' "
                          "'http://httpbin.bar:8000/drip?numbytes=" +
                          std::to_string(seconds) + "&duration=" + std::to_string(seconds) + "'");
  const auto connections = meshConnections(*lab_, std::chrono::seconds(seconds - 3));
  for (const auto& connection : connections) {
    EXPECT_EQ(connection["relay"], expected ? "kernel-tls/splice" : "userspace") << connection;
  }
  EXPECT_EQ(directionsOf(connections), (std::set<std::string>{"inbound", "outbound"}));
  EXPECT_EQ(request.wait().output, "200");
  // Every mutual TLS session of the request (one per agent) went to the kernel, and none
  // fell back.
  EXPECT_GE(kernelTlsHandoffs(*lab_) - before, expected ? 2u : 0u);
  for (const auto& node : kNodes) {
    const nlohmann::json kernelTls = lab_->agentStatus(node)["kernelTls"];
    EXPECT_TRUE(kernelTls["fallbacks"].empty()) << node << ": " << kernelTls;
  }
}

// An agent restart (`agent restart`, a DaemonSet surge: the new agent starts while the
// old one runs) keeps established mesh connections: kernel TLS ones move to the new agent
// with their sockets, the rest finish in the old agent, which exits when they have ended.
// Either way the request in flight completes, and new connections work.
TEST_F(WalkthroughLab, AnAgentRestartKeepsEstablishedConnectionsAndServesNewOnes) {
  const bool kernelTls = kernelTlsExpected();
  const std::string lab = std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster();
  std::map<std::string, pid_t> before;
  for (const auto& node : kNodes) before[node] = labAgentPid(*lab_, node);
  // Long enough to outlast both restarts where they hand over (they return at once, but
  // emulation is slow); where the old agent drains, each restart waits for the request.
  const int seconds = kernelTls ? 45 : 4;
  BackgroundShell request(lab +
                          " exec -n foo deploy/sleep -- curl -s -o /dev/null -w '%{http_code}' "
                          "'http://httpbin.bar:8000/drip?numbytes=" +
                          std::to_string(seconds) + "&duration=" + std::to_string(seconds) + "'");
  // Established at both ends before the restarts.
  ASSERT_EQ(directionsOf(meshConnections(*lab_, std::chrono::seconds(kernelTls ? 20 : 3))),
            (std::set<std::string>{"inbound", "outbound"}));
  for (const auto& node : kNodes) {
    const std::string restarted = lab_->must("agent restart " + node);
    EXPECT_NE(restarted.find("took over from pid " + std::to_string(before[node])),
              std::string::npos)
        << restarted;
    EXPECT_FALSE(isLiveProcess(before[node])) << node << ": the old agent is still running";
    EXPECT_NE(labAgentPid(*lab_, node), before[node]);
  }
  if (kernelTls) {
    // Both ends of the request now belong to the new agents, still in the kernel.
    const auto connections = meshConnections(*lab_, std::chrono::seconds(0));
    for (const auto& connection : connections) {
      EXPECT_EQ(connection["relay"], "kernel-tls/splice") << connection;
      EXPECT_NE(connection["reason"].get<std::string>().find("handed over"), std::string::npos)
          << connection;
    }
    EXPECT_EQ(directionsOf(connections), (std::set<std::string>{"inbound", "outbound"}));
    EXPECT_GE(statusTotal(*lab_, "kernelTls", "takenOver"), 2u);
  }
  const Outcome outcome = request.wait();
  EXPECT_EQ(outcome.exitCode, 0) << outcome.output;
  EXPECT_EQ(outcome.output, "200") << "the request in flight during both restarts";
  EXPECT_EQ(lab_->curlStatus("foo", "bar").first, "200") << "a new connection after the restart";
}

TEST_F(WalkthroughLab, APodLabelledNoneLeavesTheMeshWithoutRestarting) {
  const std::string pod =
      lab_->must("get pod -l app=httpbin -n foo -o jsonpath={.items..metadata.name}");
  ASSERT_FALSE(pod.empty());
  lab_->must("label pod " + pod + " -n foo istio.io/dataplane-mode=none");
  EXPECT_TRUE(waitForCapture(*lab_, "foo", "httpbin", false));
  EXPECT_EQ(lab_->must("get pod -l app=httpbin -n foo -o jsonpath={.items..metadata.name}"), pod)
      << "labelling must not re-create the pod";
  const Witness before = witness(*lab_);
  EXPECT_EQ(lab_->curlStatus("legacy", "foo").first, "200");
  EXPECT_EQ(witness(*lab_).steered, before.steered) << "an opted-out pod is not steered";

  lab_->must("label pod " + pod + " -n foo istio.io/dataplane-mode-");
  EXPECT_TRUE(waitForCapture(*lab_, "foo", "httpbin", true));
  const Witness again = witness(*lab_);
  EXPECT_EQ(lab_->curlStatus("legacy", "foo").first, "200");
  EXPECT_EQ(witness(*lab_).steered - again.steered, 1u);
}

TEST_F(WalkthroughLab, ExecPassesStdinThroughAndReturnsTheCommandsExitCode) {
  const Outcome echoed =
      shell("printf 'through the pod' | " + std::string(ZTLS_LAB_PATH) + " --cluster " +
            lab_->cluster() + " exec -n foo deploy/sleep -- cat");
  EXPECT_EQ(echoed.exitCode, 0);
  EXPECT_EQ(echoed.output, "through the pod");
  const Outcome failed = lab_->run("exec -n foo deploy/sleep -- sh -c 'exit 42'");
  EXPECT_EQ(failed.exitCode, 42);
  EXPECT_EQ(failed.output, "command terminated with exit code 42\n") << "kubectl's wording";
  const Outcome hosts =
      lab_->run("exec -n foo deploy/sleep -- getent hosts httpbin.bar.svc.cluster.local");
  EXPECT_NE(hosts.output.find("10.96."), std::string::npos) << hosts.output;
}

TEST_F(WalkthroughLab, AMeshPodCannotStartWhileItsNodeAgentIsDown) {
  lab_->must("agent stop node1");
  const std::string manifest = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: late
spec:
  selector:
    matchLabels: {app: late}
  template:
    metadata:
      labels: {app: late}
    spec:
      nodeName: node1
      containers:
      - name: late
        image: curlimages/curl
        command: ["/bin/sleep", "infinity"]
)";
  const Outcome refused = shell("printf '%s' '" + manifest + "' | " + std::string(ZTLS_LAB_PATH) +
                                " --cluster " + lab_->cluster() + " apply -n foo -f -");
  EXPECT_NE(refused.exitCode, 0) << refused.output;
  EXPECT_NE(refused.output.find("ztls-cni"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("is ztls-agent running?"), std::string::npos) << refused.output;
  lab_->must("agent start node1");
  lab_->must("delete deployment late -n foo");
  for (const auto& from : {"foo", "legacy"}) {
    EXPECT_EQ(lab_->curlStatus(from, "foo").first, "200") << "after the agent came back";
  }
}

}  // namespace
}  // namespace ztls::e2e

namespace ztls::e2e {
namespace {

using Matrix = std::map<std::pair<std::string, std::string>, std::string>;

// The walkthrough's loop: every sleep to every httpbin; "000" pairs must fail the way
// the walkthrough shows (curl exit code 56: connection reset).
void expectMatrix(const Lab& lab, const std::string& step, const Matrix& failing) {
  // Agents follow the config within a second.
  usleep(1200000);
  for (const auto& from : kNamespaces) {
    for (const auto& to : kNamespaces) {
      const bool fails = failing.contains({from, to});
      const auto [status, exitCode] = lab.curlStatus(from, to);
      EXPECT_EQ(status, fails ? "000" : "200")
          << step << ": sleep." << from << " to httpbin." << to;
      if (fails) {
        EXPECT_EQ(exitCode, 56) << step << ": sleep." << from << " to httpbin." << to;
      }
    }
  }
}

TEST_F(WalkthroughLab, PolicyStepsOfTheWalkthroughComeOutAsPrinted) {
  const Matrix none;
  const Matrix legacyToMesh{{{"legacy", "foo"}, "000"}, {{"legacy", "bar"}, "000"}};
  const Matrix legacyToFoo{{{"legacy", "foo"}, "000"}};

  lab_->must("apply -f " + fixture("mesh-strict.yaml"));
  expectMatrix(*lab_, "mesh-wide STRICT", legacyToMesh);
  lab_->must("delete peerauthentication -n istio-system default");
  expectMatrix(*lab_, "mesh-wide STRICT removed", none);

  lab_->must("apply -f " + fixture("foo-namespace-strict.yaml"));
  expectMatrix(*lab_, "namespace STRICT in foo", legacyToFoo);

  lab_->must("apply -n bar -f " + fixture("bar-httpbin-strict.yaml"));
  lab_->must("apply -n bar -f " + fixture("bar-httpbin-destinationrule.yaml"));
  expectMatrix(*lab_, "workload STRICT on httpbin.bar", legacyToMesh);

  lab_->must("apply -n bar -f " + fixture("bar-httpbin-port-level.yaml"));
  lab_->must("apply -n bar -f " + fixture("bar-httpbin-destinationrule-port-level.yaml"));
  expectMatrix(*lab_, "port 80 of httpbin.bar DISABLE", legacyToFoo);

  lab_->must("apply -n foo -f " + fixture("foo-overwrite-example.yaml"));
  lab_->must("apply -n foo -f " + fixture("foo-overwrite-example-destinationrule.yaml"));
  expectMatrix(*lab_, "workload DISABLE overrides namespace STRICT in foo", none);

  lab_->must("delete peerauthentication default overwrite-example -n foo");
  lab_->must("delete peerauthentication httpbin -n bar");
  lab_->must("delete destinationrules overwrite-example -n foo");
  lab_->must("delete destinationrules httpbin -n bar");
  expectMatrix(*lab_, "policies removed", none);
}

}  // namespace
}  // namespace ztls::e2e

namespace ztls::e2e {
namespace {

// Everything that crosses between nodes goes over the underlay bridge: capture there.
class UnderlayCapture {
 public:
  explicit UnderlayCapture(const Lab& lab)
      : file_(std::filesystem::temp_directory_path() /
              ("ztls-e2e-wire-" + std::to_string(getpid()) + ".txt")) {
    const Outcome started = shell("ip netns exec " + lab.cluster() +
                                  ".underlay tcpdump -i underlay -n -l -A -s 0 tcp > " +
                                  file_.string() + " 2>/dev/null & echo $!");
    pid_ = std::stoi(started.output);
    usleep(1500000);  // tcpdump needs a moment before it sees packets
  }
  ~UnderlayCapture() {
    stop();
    std::filesystem::remove(file_);
  }
  std::string stop() {
    if (pid_ > 0) {
      usleep(500000);
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
    std::ifstream in(file_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  std::filesystem::path file_;
  pid_t pid_ = 0;
};

TEST_F(WalkthroughLab, MeshTrafficIsEncryptedOnTheWireAndLegacyTrafficIsNot) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/tcpdump")) << "the wire check needs tcpdump";
  const std::string lab = std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster();
  const std::string meshMarker = "ztls-wire-probe-mesh-" + std::to_string(getpid());
  const std::string legacyMarker = "ztls-wire-probe-legacy-" + std::to_string(getpid());
  UnderlayCapture capture(*lab_);
  for (const auto& [from, marker] :
       {std::pair{"foo", meshMarker}, std::pair{"legacy", legacyMarker}}) {
    const Outcome sent =
        shell(lab + " exec -n " + from +
              " deploy/sleep -- curl -s -o /dev/null -w '%{http_code}' -H 'X-Probe: " + marker +
              "' http://httpbin.bar:8000/headers");
    EXPECT_EQ(sent.output, "200") << from;
  }
  const std::string wire = capture.stop();
  EXPECT_NE(wire.find("GET /headers"), std::string::npos)
      << "the capture saw no plaintext request at all: is it on the right link?";
  EXPECT_EQ(wire.find(meshMarker), std::string::npos)
      << "a mesh-to-mesh request crossed the underlay in plaintext";
  EXPECT_NE(wire.find(legacyMarker), std::string::npos)
      << "the legacy request should be visible: it is plaintext by design";
}

}  // namespace
}  // namespace ztls::e2e

namespace ztls::e2e {
namespace {

TEST_F(WalkthroughLab, APlaintextConnectionIsClosedWhenItsPortTurnsStrict) {
  const std::string lab = std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster();
  const std::string result =
      std::filesystem::temp_directory_path() / ("ztls-e2e-live-" + std::to_string(getpid()));
  // /delay/6 keeps a plaintext legacy → foo connection open for six seconds.
  const auto started = std::chrono::steady_clock::now();
  shell("(" + lab +
        " exec -n legacy deploy/sleep -- curl -s -o /dev/null -w '%{http_code}' "
        "http://httpbin.foo:8000/delay/6 > " +
        result + " 2>/dev/null; echo \" $?\" >> " + result +
        ") >/dev/null 2>&1 &");  // detached from our pipe, or shell() would wait
  usleep(1500000);
  lab_->must("apply -f " + fixture("foo-namespace-strict.yaml"));
  std::string outcome;
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(10)) {
    std::ifstream in(result);
    outcome.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (outcome.find(' ') != std::string::npos) break;
    usleep(100000);
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  lab_->must("delete peerauthentication default -n foo");
  std::filesystem::remove(result);
  EXPECT_EQ(outcome.rfind("000", 0), 0u) << "curl got: " << outcome;
  EXPECT_LT(elapsed, std::chrono::seconds(5))
      << "the connection lived on after foo turned STRICT: " << outcome;
}

}  // namespace
}  // namespace ztls::e2e

namespace ztls::e2e {
namespace {

TEST_F(WalkthroughLab, EachNodeHoldsCertificatesOnlyForItsMeshServiceAccountsUnderOneRoot) {
  std::set<std::string> roots;
  std::map<std::string, std::set<std::string>> idsByNode;
  for (const auto& node : kNodes) {
    const Outcome listed =
        shell(std::string(ZTLSCTL_PATH) + " certs -o json --socket " + lab_->agentSocket(node));
    ASSERT_EQ(listed.exitCode, 0) << listed.output;
    const auto json = nlohmann::json::parse(listed.output);
    for (const auto& certificate : json["certificates"]) {
      idsByNode[node].insert(certificate["spiffeId"].get<std::string>());
      roots.insert(certificate["rootFingerprint"].get<std::string>());
      EXPECT_LT(certificate["nextRotation"].get<std::string>(),
                certificate["notAfter"].get<std::string>());
    }
  }
  EXPECT_EQ(roots.size(), 1u) << "every node must trust the same mesh root";
  // Exactly the identities of the pods each agent captures (issued when it captures them),
  // so never one of a pod on the other node.
  for (const auto& node : kNodes) {
    std::set<std::string> captured;
    const nlohmann::json listed = lab_->agentWorkloads(node);
    for (const auto& workload : listed["workloads"]) {
      if (workload["captured"].get<bool>())
        captured.insert(workload["identity"].get<std::string>());
    }
    EXPECT_EQ(idsByNode[node], captured) << node;
  }
  // httpbin pods run on node1 and sleep pods on node2 (least-loaded placement).
  EXPECT_TRUE(idsByNode["node1"].contains("spiffe://cluster.local/ns/foo/sa/httpbin"));
  EXPECT_TRUE(idsByNode["node1"].contains("spiffe://cluster.local/ns/bar/sa/httpbin"));
  EXPECT_TRUE(idsByNode["node2"].contains("spiffe://cluster.local/ns/foo/sa/sleep"));
  EXPECT_TRUE(idsByNode["node2"].contains("spiffe://cluster.local/ns/bar/sa/sleep"));
  EXPECT_FALSE(idsByNode["node1"].contains("spiffe://cluster.local/ns/foo/sa/sleep"));
  EXPECT_FALSE(idsByNode["node2"].contains("spiffe://cluster.local/ns/foo/sa/httpbin"));
}

}  // namespace
}  // namespace ztls::e2e

namespace ztls::e2e {
namespace {

// A shell prefix under which the walkthrough's `kubectl` command lines run on this lab.
std::string kubectlIs(const Lab& lab) {
  return "export ZTLS_LAB_CLUSTER=" + lab.cluster() + "; kubectl() { " + ZTLS_LAB_PATH +
         " \"$@\"; }; ";
}

// The walkthrough's loop exactly as printed, kubectl being ztls-lab, with its output
// (stdout and stderr as a terminal shows them) compared line for line.
std::string walkthroughLoop(const Lab& lab) {
  const Outcome outcome = shell(
      kubectlIs(lab) +
      R"loop(for from in "foo" "bar" "legacy"; do for to in "foo" "bar"; do kubectl exec "$(kubectl get pod -l app=sleep -n ${from} -o jsonpath={.items..metadata.name})" -c sleep -n ${from} -- curl http://httpbin.${to}:8000/ip -s -o /dev/null -w "sleep.${from} to httpbin.${to}: %{http_code}\n"; done; done)loop");
  return outcome.output;
}

TEST_F(WalkthroughLab, MigrationSectionComesOutAsPrinted) {
  EXPECT_EQ(walkthroughLoop(*lab_),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.foo: 200\n"
            "sleep.legacy to httpbin.bar: 200\n");
  EXPECT_EQ(lab_->run("get destinationrule --all-namespaces").output, "No resources found.\n");
  EXPECT_EQ(lab_->run("get peerauthentication --all-namespaces").output, "No resources found.\n");

  // Lock down foo once every client is in the mesh.
  lab_->must("apply -n foo -f " + fixture("namespace-default-strict.yaml"));
  usleep(1200000);  // agents follow the config within a second
  EXPECT_EQ(walkthroughLoop(*lab_),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.foo: 000\n"
            "command terminated with exit code 56\n"
            "sleep.legacy to httpbin.bar: 200\n");

  // Then the whole mesh.
  lab_->must("apply -n istio-system -f " + fixture("namespace-default-strict.yaml"));
  usleep(1200000);
  EXPECT_EQ(walkthroughLoop(*lab_),
            "sleep.foo to httpbin.foo: 200\n"
            "sleep.foo to httpbin.bar: 200\n"
            "sleep.bar to httpbin.foo: 200\n"
            "sleep.bar to httpbin.bar: 200\n"
            "sleep.legacy to httpbin.foo: 000\n"
            "command terminated with exit code 56\n"
            "sleep.legacy to httpbin.bar: 000\n"
            "command terminated with exit code 56\n");

  // The walkthrough's uninstall step.
  lab_->must("delete peerauthentication --all-namespaces --all");
  usleep(1200000);
  EXPECT_EQ(lab_->run("get peerauthentication --all-namespaces").output, "No resources found.\n");
  EXPECT_EQ(walkthroughLoop(*lab_).find("000"), std::string::npos);
}

}  // namespace
}  // namespace ztls::e2e

namespace ztls::e2e {
namespace {

TEST_F(WalkthroughLab, PoliciesShowWhatEachNodeEnforcesOnItsOwnPods) {
  lab_->must("apply -f " + fixture("foo-namespace-strict.yaml"));
  lab_->must("apply -n bar -f " + fixture("bar-httpbin-strict.yaml"));
  usleep(1200000);
  std::map<std::string, nlohmann::json> byNode;
  for (const auto& node : kNodes) {
    const Outcome listed =
        shell(std::string(ZTLSCTL_PATH) + " policies -o json --socket " + lab_->agentSocket(node));
    ASSERT_EQ(listed.exitCode, 0) << listed.output;
    byNode[node] = nlohmann::json::parse(listed.output)["policies"];
  }
  const Outcome table =
      shell(std::string(ZTLSCTL_PATH) + " policies --socket " + lab_->agentSocket("node1"));
  lab_->must("delete peerauthentication default -n foo");
  lab_->must("delete peerauthentication httpbin -n bar");

  // Both nodes hold every policy; each lists only its own pods under it. httpbin pods
  // run on node1, sleep pods on node2.
  const auto workloadsOf = [](const nlohmann::json& policies, const std::string& ns,
                              const std::string& name) {
    std::vector<std::string> apps;
    for (const auto& policy : policies) {
      if (policy["namespace"] != ns || policy["name"] != name) continue;
      EXPECT_EQ(policy["kind"], "PeerAuthentication");
      for (const auto& workload : policy["workloads"]) {
        const std::string qualified = workload.get<std::string>();
        apps.push_back(qualified.substr(0, qualified.find('-')));
      }
      return apps;
    }
    ADD_FAILURE() << "no policy " << ns << "/" << name << " in " << policies.dump();
    return apps;
  };
  EXPECT_EQ(workloadsOf(byNode["node1"], "foo", "default"),
            std::vector<std::string>{"foo/httpbin"});
  EXPECT_EQ(workloadsOf(byNode["node2"], "foo", "default"), std::vector<std::string>{"foo/sleep"});
  EXPECT_EQ(workloadsOf(byNode["node1"], "bar", "httpbin"),
            std::vector<std::string>{"bar/httpbin"});
  EXPECT_TRUE(workloadsOf(byNode["node2"], "bar", "httpbin").empty());
  EXPECT_NE(table.output.find("STRICT; selector app=httpbin"), std::string::npos) << table.output;
}

}  // namespace
}  // namespace ztls::e2e

namespace ztls::e2e {
namespace {

// `kubectl exec <sleep in from> -c sleep -n from -- <command>` as the walkthrough writes it.
std::string execInSleep(const Lab& lab, const std::string& from, const std::string& command) {
  return shell(kubectlIs(lab) + "kubectl exec $(kubectl get pod -l app=sleep -n " + from +
               " -o jsonpath={.items..metadata.name}) -c sleep -n " + from + " -- " + command)
      .output;
}

TEST_F(WalkthroughLab, MutualTlsRequestsCarryXForwardedClientCertAsTheWalkthroughPrints) {
  const std::string grep = " -s | grep X-Forwarded-Client-Cert";
  const std::string mesh = execInSleep(*lab_, "foo", "curl http://httpbin.foo:8000/headers" + grep);
  ASSERT_NO_FATAL_FAILURE(expectXfccAsTheWalkthroughPrints(
      mesh, "spiffe://cluster.local/ns/foo/sa/httpbin", "spiffe://cluster.local/ns/foo/sa/sleep"));

  // No agent at the server: plaintext, no header.
  EXPECT_EQ(execInSleep(*lab_, "foo", "curl http://httpbin.legacy:8000/headers" + grep), "");

  // A client cannot forge it: the agent replaces whatever the request carried, and the
  // Hash is the same for the same client certificate.
  const std::string forged =
      execInSleep(*lab_, "foo",
                  "curl -H 'X-Forwarded-Client-Cert: By=spiffe://cluster.local/ns/foo/sa/admin' "
                  "-H 'X-Forwarded-Client-Cert: URI=evil' http://httpbin.foo:8000/headers" +
                      grep);
  EXPECT_EQ(forged, mesh);

  // Keep-alive: every request on one connection gets its own header.
  const std::string twice = execInSleep(
      *lab_, "bar",
      "curl http://httpbin.foo:8000/headers http://httpbin.foo:8000/headers" + grep + " -c");
  EXPECT_EQ(twice, "2\n");
}

}  // namespace
}  // namespace ztls::e2e
