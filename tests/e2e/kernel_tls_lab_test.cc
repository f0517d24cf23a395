// The walkthrough's mutual TLS scenarios with the sessions in kernel TLS, small enough
// to run on every CI run inside scripts/vmtest (Debian's kernel under QEMU emulation,
// where every ztls-lab or ztlsctl call costs seconds). ctest runs it there as
// vm_e2e_kernel_tls (tests/vm/CMakeLists.txt), with the agent timeouts emulation needs
// in ZTLS_LAB_AGENT_ARGS. It is not run on the host: a kernel without kernel TLS fails it.
//
// One lab for the suite, and only the pods the scenarios use: foo and bar in the mesh,
// legacy not; httpbin and a hashing sink in bar on one node, the sleep clients on the
// other, so that every mesh request crosses two agents.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "../unit/metrics/exposition.h"
#include "lab_runner.h"

namespace ztls::e2e {
namespace {

const std::vector<std::string> kNodes{"node1", "node2"};

// `yaml` with every top-level object placed in `ns` (the samples name none; the
// walkthrough gives it with `-n`). Namespaced objects only.
std::string inNamespace(const std::string& yaml, const std::string& ns) {
  std::istringstream lines(yaml);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    out += line + "\n";
    if (line == "metadata:") out += "  namespace: " + ns + "\n";
  }
  return out;
}

std::string namespaceObject(const std::string& name, bool ambient) {
  return "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n" +
         (ambient ? "  labels:\n    istio.io/dataplane-mode: ambient\n" : "");
}

// The whole lab in one `apply`: under emulation each ztls-lab call costs seconds, so the
// walkthrough's create/label/apply sequence (nine calls here) would cost a minute more.
// The objects are the same: the namespaces, labelled as the walkthrough labels them, and
// the samples. In this order the lab's least-loaded placement puts httpbin on node1 and
// both sleeps on node2 (the sink is pinned to node1); the suite checks the layout.
std::string labManifest() {
  const std::string samples = std::string(ZTLS_SOURCE_DIR) + "/samples";
  return namespaceObject("foo", true) + namespaceObject("bar", true) +
         namespaceObject("legacy", false) + "---\n" +
         inNamespace(readWholeFile(samples + "/httpbin/httpbin.yaml"), "bar") + "---\n" +
         inNamespace(hashingSinkManifest("node1"), "bar") + "---\n" +
         inNamespace(readWholeFile(samples + "/sleep/sleep.yaml"), "foo") + "---\n" +
         inNamespace(readWholeFile(samples + "/sleep/sleep.yaml"), "legacy");
}

// One command per node, run at the same time; each node's outcome. Under emulation a
// ztlsctl call takes seconds, most of them the process starting, and the two overlap on
// the VM's two CPUs.
std::map<std::string, Outcome> onEveryNode(
    const std::function<std::string(const std::string&)>& command) {
  std::map<std::string, std::unique_ptr<BackgroundShell>> running;
  for (const auto& node : kNodes) running[node] = std::make_unique<BackgroundShell>(command(node));
  std::map<std::string, Outcome> outcomes;
  for (const auto& [node, background] : running) outcomes[node] = background->wait();
  return outcomes;
}

// `ztlsctl <verb> -o json` on every node, parsed; a call that fails fails the test.
std::map<std::string, nlohmann::json> ztlsctlOnEveryNode(const Lab& lab, const std::string& verb) {
  std::map<std::string, nlohmann::json> parsed;
  for (const auto& [node, outcome] : onEveryNode([&](const std::string& node) {
         return std::string(ZTLSCTL_PATH) + " " + verb + " -o json --socket " +
                lab.agentSocket(node);
       })) {
    parsed[node] = nlohmann::json::parse(outcome.output, nullptr, false);
    if (outcome.exitCode != 0 || parsed[node].is_discarded()) {
      ADD_FAILURE() << "ztlsctl " << verb << " on " << node << " exited " << outcome.exitCode
                    << ": " << outcome.output;
      parsed[node] = nlohmann::json::object();
    }
  }
  return parsed;
}

// What one node's agent counted, from its Prometheus endpoint: the same counters as
// `ztlsctl status`, but one curl costs about a second under emulation where a ztlsctl
// call costs several, so the scenarios after the first two take their witnesses here.
struct AgentCounters {
  double handoffs = 0;          // ztls_kernel_tls_handoffs_total
  double fallbacks = 0;         // ztls_kernel_tls_fallbacks_total, every reason
  double strictRejections = 0;  // ztls_policy_rejections_total{reason="strict"}
  double mutualTlsOpened = 0;   // istio_tcp_connections_opened_total, mutual_tls series
};

std::map<std::string, AgentCounters> scrapeEveryNode(const Lab& lab) {
  std::map<std::string, AgentCounters> counters;
  for (const auto& [node, outcome] : onEveryNode([&](const std::string& node) {
         return "ip netns exec " + lab.cluster() + "." + node +
                " curl -s --max-time 20 http://127.0.0.1:15020/metrics";
       })) {
    EXPECT_EQ(outcome.exitCode, 0) << "scraping " << node << ": " << outcome.output;
    const metrics::test::Exposition exposition = metrics::test::parseExposition(outcome.output);
    AgentCounters& agent = counters[node];
    for (const auto& series : exposition.find("ztls_kernel_tls_handoffs_total"))
      agent.handoffs += series.value;
    for (const auto& series : exposition.find("ztls_kernel_tls_fallbacks_total"))
      agent.fallbacks += series.value;
    for (const auto& series :
         exposition.find("ztls_policy_rejections_total", {{"reason", "strict"}}))
      agent.strictRejections += series.value;
    for (const auto& series : exposition.find("istio_tcp_connections_opened_total",
                                              {{"connection_security_policy", "mutual_tls"}}))
      agent.mutualTlsOpened += series.value;
  }
  return counters;
}

// Between the two scrapes each agent opened exactly `connections` mutual TLS connections
// (nothing else runs in the lab), handed each to kernel TLS, and no agent ever kept a
// session in userspace.
void expectKernelTlsOnBothAgents(const std::map<std::string, AgentCounters>& before,
                                 const std::map<std::string, AgentCounters>& after,
                                 double connections, const std::string& what) {
  for (const auto& node : kNodes) {
    EXPECT_EQ(after.at(node).mutualTlsOpened - before.at(node).mutualTlsOpened, connections)
        << what << ": mutual TLS connections through the agent on " << node;
    EXPECT_EQ(after.at(node).handoffs - before.at(node).handoffs, connections)
        << what << ": kernel TLS hand-offs on " << node;
    EXPECT_EQ(after.at(node).fallbacks, 0) << what << ": kernel TLS fallbacks on " << node;
  }
}

std::string workloadOf(const nlohmann::json& end) {
  return end["workload"].is_string() ? end["workload"].get<std::string>() : "";
}

class KernelTlsLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lab_ = new Lab("ztls-ktls");
    setupError_ = new std::string;
    serverNode_ = new std::string;
    clientNode_ = new std::string;
    if (!kernelOffersTlsUlp()) {
      *setupError_ =
          "this kernel offers no TLS ULP (/proc/sys/net/ipv4/tcp_available_ulp lacks \"tls\"): "
          "the kernel TLS lab runs inside scripts/vmtest (ctest -L vm), not on a kernel "
          "without kTLS";
      return;
    }
    if (const std::string missing = missingLabPrerequisites(); !missing.empty()) {
      *setupError_ = "the lab end-to-end tests need:" + missing + " (run scripts/setup as root)";
      return;
    }
    const auto manifest = std::filesystem::temp_directory_path() / "ztls-ktls-lab.yaml";
    std::ofstream(manifest) << labManifest();
    std::vector<std::string> steps{"up --nodes 2", "apply -f " + manifest.string()};
    // A lab left by an earlier run is taken down first (`up` would keep it as it is);
    // in a fresh VM there is none, and the call would cost seconds.
    if (std::filesystem::exists(stateFile())) steps.insert(steps.begin(), "down");
    for (const std::string& step : steps) {
      const Outcome outcome = lab_->run(step);
      if (outcome.exitCode != 0) {
        *setupError_ = "ztls-lab --cluster " + lab_->cluster() + " " + step + " failed (" +
                       std::to_string(outcome.exitCode) + "):\n" + outcome.output;
        return;
      }
    }
    std::filesystem::remove(manifest);
    *setupError_ = checkLayout();
  }

  static std::filesystem::path stateFile() {
    return "/run/ztls-lab/" + lab_->cluster() + "/lab.json";
  }

  // The server pods on one node, the mesh client on the other: read from the lab's state
  // file (what `get pods` prints, without another ztls-lab call).
  static std::string checkLayout() {
    const std::string state = readWholeFile(stateFile());
    const auto json = nlohmann::json::parse(state, nullptr, false);
    if (json.is_discarded()) return "cannot read " + stateFile().string() + ": " + state;
    std::map<std::string, std::string> nodeOf;  // "namespace/app" (the name's first word)
    std::string layout;
    for (const auto& pod : json.value("pods", nlohmann::json::array())) {
      const std::string name = pod.value("name", "");
      const std::string key = pod.value("namespace", "") + "/" + name.substr(0, name.find('-'));
      nodeOf[key] = pod.value("node", "");
      layout += " " + key + "@" + nodeOf[key];
    }
    *serverNode_ = nodeOf["bar/httpbin"];
    *clientNode_ = nodeOf["foo/sleep"];
    if (serverNode_->empty() || clientNode_->empty() || *serverNode_ == *clientNode_ ||
        nodeOf["bar/sink"] != *serverNode_ || nodeOf["legacy/sleep"].empty()) {
      return "the suite needs bar's httpbin and sink on one node and foo's sleep on the other "
             "(and legacy's sleep somewhere), got:" +
             layout;
    }
    return "";
  }

  static void TearDownTestSuite() {
    takeDownLab(*lab_);
    delete lab_;
    delete setupError_;
    delete serverNode_;
    delete clientNode_;
  }

  void SetUp() override { ASSERT_TRUE(setupError_->empty()) << *setupError_; }

  // `ztls-lab exec -n from deploy/sleep -- curl ...` printing the HTTP status ("000" when
  // the connection failed). One ztls-lab call, where the walkthrough's
  // `$(kubectl get pod ...)` would cost a second one.
  static std::string sleepCurl(const std::string& from, const std::string& url) {
    return std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster() + " exec -n " + from +
           " deploy/sleep -- curl -s -o /dev/null --max-time 20 -w '%{http_code}' " + url +
           " 2>/dev/null";
  }

  // A request from `from`'s sleep that stays open until release(): curl uploads its body
  // (`curl -T -`, chunked) from a pipe the test keeps open, and httpbin's /put answers
  // once the body ends. The connection can be watched for as long as the watching takes,
  // which under emulation is seconds per ztlsctl call, more on a busy machine.
  class HeldRequest {
   public:
    HeldRequest(const std::string& from, const std::string& to)
        : release_(std::filesystem::temp_directory_path() /
                   ("ztls-ktls-release-" + std::to_string(getpid()) + "-" + from)),
          request_("rm -f " + release_.string() + "; (printf held; while [ ! -e " +
                   release_.string() + " ]; do sleep 0.2; done) | " + std::string(ZTLS_LAB_PATH) +
                   " --cluster " + lab_->cluster() + " exec -n " + from +
                   " deploy/sleep -- curl -s -o /dev/null --max-time 300 -w '%{http_code}' -T - "
                   "http://httpbin." +
                   to + ":8000/put 2>/dev/null") {}
    ~HeldRequest() {
      if (!released_) release();
    }
    HeldRequest(const HeldRequest&) = delete;
    HeldRequest& operator=(const HeldRequest&) = delete;

    // Ends the body; curl's outcome ("200" when httpbin answered).
    Outcome release() {
      released_ = true;
      std::ofstream(release_) << "";
      const Outcome outcome = request_.wait();
      std::filesystem::remove(release_);
      return outcome;
    }

   private:
    std::filesystem::path release_;
    BackgroundShell request_;
    bool released_ = false;
  };

  static Lab* lab_;
  static std::string* setupError_;
  static std::string* serverNode_;
  static std::string* clientNode_;
};

Lab* KernelTlsLab::lab_ = nullptr;
std::string* KernelTlsLab::setupError_ = nullptr;
std::string* KernelTlsLab::serverNode_ = nullptr;
std::string* KernelTlsLab::clientNode_ = nullptr;

TEST_F(KernelTlsLab, BothAgentsReportKernelTlsActive) {
  for (const auto& [node, status] : ztlsctlOnEveryNode(*lab_, "status")) {
    const nlohmann::json kernelTls = status.value("kernelTls", nlohmann::json::object());
    EXPECT_EQ(kernelTls.value("state", ""), "active") << node << ": " << kernelTls;
    EXPECT_FALSE(kernelTls.value("ciphers", nlohmann::json::array()).empty())
        << node << ": " << kernelTls;
  }
}

// The kernel TLS counters of `ztlsctl status` on each node.
struct StatusCounters {
  std::uint64_t handoffs = 0;
  nlohmann::json fallbacks;
};

std::map<std::string, StatusCounters> kernelTlsStatus(const Lab& lab) {
  std::map<std::string, StatusCounters> counters;
  for (const auto& [node, status] : ztlsctlOnEveryNode(lab, "status")) {
    const nlohmann::json kernelTls = status.value("kernelTls", nlohmann::json::object());
    counters[node] = {kernelTls.value("handoffs", std::uint64_t{0}),
                      kernelTls.value("fallbacks", nlohmann::json())};
  }
  return counters;
}

// The foo/sleep -> bar/httpbin connection as each node's agent lists it (`ztlsctl
// connections`), once both list one or `limit` has passed (asked at least once).
std::map<std::string, nlohmann::json> fooToBarOnEveryNode(const Lab& lab,
                                                          std::chrono::seconds limit) {
  std::map<std::string, nlohmann::json> seen;  // node -> the connection it listed
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    for (const auto& [node, listed] : ztlsctlOnEveryNode(lab, "connections")) {
      for (const auto& connection : listed.value("connections", nlohmann::json::array())) {
        if (workloadOf(connection["source"]).starts_with("foo/sleep-") &&
            workloadOf(connection["destination"]).starts_with("bar/httpbin-")) {
          seen[node] = connection;
        }
      }
    }
  } while (seen.size() < kNodes.size() && std::chrono::steady_clock::now() < deadline);
  return seen;
}

// foo/sleep -> bar/httpbin, watched with ztlsctl while the request is open: the client's
// agent lists it outbound, the server's inbound, both as mutual TLS relayed by kernel TLS
// with splice; `ztlsctl status` counts one hand-off on each node and no fallback.
TEST_F(KernelTlsLab, MeshRequestRunsInKernelTlsOnBothAgentsAndAnswers200) {
  const auto before = kernelTlsStatus(*lab_);
  HeldRequest request("foo", "bar");
  const auto seen = fooToBarOnEveryNode(*lab_, std::chrono::seconds(120));
  const Outcome answered = request.release();
  EXPECT_EQ(answered.output, "200") << "curl exit " << answered.exitCode;
  const auto after = kernelTlsStatus(*lab_);
  ASSERT_EQ(seen.size(), kNodes.size())
      << "the open connection was listed on " << seen.size() << " node(s) in two minutes";
  for (const auto& [node, connection] : seen) {
    EXPECT_EQ(connection["direction"], node == *clientNode_ ? "outbound" : "inbound")
        << node << ": " << connection;
    EXPECT_EQ(connection["security"], "mutual_tls") << node << ": " << connection;
    EXPECT_EQ(connection["relay"], "kernel-tls/splice") << node << ": " << connection;
    EXPECT_EQ(connection["source"]["identity"], "spiffe://cluster.local/ns/foo/sa/sleep");
    EXPECT_EQ(connection["destination"]["identity"], "spiffe://cluster.local/ns/bar/sa/httpbin");
    EXPECT_EQ(connection["decision"], "allow") << node << ": " << connection;
  }
  for (const auto& node : kNodes) {
    // One session per agent: two hand-offs in all.
    EXPECT_EQ(after.at(node).handoffs - before.at(node).handoffs, 1u) << node;
    EXPECT_TRUE(after.at(node).fallbacks.is_object() && after.at(node).fallbacks.empty())
        << node << ": kernelTls.fallbacks " << after.at(node).fallbacks;
  }
}

// Under the default PERMISSIVE mode a client outside the mesh still gets in, in
// plaintext: the server's agent lists its connection as plain.
TEST_F(KernelTlsLab, PermissiveLetsLegacyInAsPlaintext) {
  HeldRequest request("legacy", "bar");
  nlohmann::json seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (seen.is_null() && std::chrono::steady_clock::now() < deadline) {
    const nlohmann::json listed = lab_->agentConnections(*serverNode_);
    for (const auto& connection : listed.value("connections", nlohmann::json::array())) {
      if (workloadOf(connection["destination"]).starts_with("bar/httpbin-")) seen = connection;
    }
  }
  const Outcome answered = request.release();
  EXPECT_EQ(answered.output, "200") << "curl exit " << answered.exitCode;
  ASSERT_FALSE(seen.is_null()) << "the open connection was never listed on " << *serverNode_;
  EXPECT_EQ(seen["direction"], "inbound") << seen;
  EXPECT_EQ(seen["security"], "plaintext") << seen;
  EXPECT_EQ(seen["relay"], "plain") << seen;
  EXPECT_EQ(seen["decision"], "allow") << seen;
}

// Whether the agent on `node` holds the walkthrough's workload policy for httpbin.bar.
bool holdsHttpbinPolicy(const Lab& lab, const std::string& node) {
  const Outcome listed =
      shell(std::string(ZTLSCTL_PATH) + " policies -o json --socket " + lab.agentSocket(node));
  const auto json = nlohmann::json::parse(listed.output, nullptr, false);
  if (listed.exitCode != 0 || json.is_discarded()) {
    ADD_FAILURE() << "ztlsctl policies on " << node << ": " << listed.output;
    return false;
  }
  for (const auto& policy : json.value("policies", nlohmann::json::array())) {
    if (policy.value("kind", "") == "PeerAuthentication" &&
        policy.value("namespace", "") == "bar" && policy.value("name", "") == "httpbin") {
      return true;
    }
  }
  return false;
}

// Agents poll their config; under emulation a reload can take longer than on the host.
bool waitForHttpbinPolicy(const Lab& lab, const std::string& node, bool wanted) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (holdsHttpbinPolicy(lab, node) != wanted) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    usleep(200000);
  }
  return true;
}

// The walkthrough's "Enable mutual TLS per workload": a STRICT PeerAuthentication on
// httpbin.bar (with its DestinationRule) refuses the plaintext client and keeps serving
// the mesh one, still over kernel TLS. The policy is removed again at the end.
TEST_F(KernelTlsLab, StrictHttpbinRefusesLegacyAndServesFooOverKernelTls) {
  const std::string policies = "{ cat " + fixture("bar-httpbin-strict.yaml") + "; echo ---; cat " +
                               fixture("bar-httpbin-destinationrule.yaml") + "; }";
  const std::string lab = std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster();
  const Outcome applied = shell(policies + " | " + lab + " apply -n bar -f -");
  ASSERT_EQ(applied.exitCode, 0) << applied.output;
  ASSERT_TRUE(waitForHttpbinPolicy(*lab_, *serverNode_, true))
      << "the agent on " << *serverNode_ << " never loaded the STRICT policy";

  const auto before = scrapeEveryNode(*lab_);
  const Outcome legacy = shell(sleepCurl("legacy", "http://httpbin.bar:8000/ip"));
  const Outcome foo = shell(sleepCurl("foo", "http://httpbin.bar:8000/ip"));
  const auto after = scrapeEveryNode(*lab_);

  const Outcome removed = shell(policies + " | " + lab + " delete -n bar -f -");
  EXPECT_EQ(removed.exitCode, 0) << removed.output;
  EXPECT_TRUE(waitForHttpbinPolicy(*lab_, *serverNode_, false))
      << "the agent on " << *serverNode_ << " still holds the STRICT policy after its removal";

  // As the walkthrough prints it: "000" and curl's exit code 56 (connection reset).
  EXPECT_EQ(legacy.output, "000") << "sleep.legacy to httpbin.bar under STRICT";
  EXPECT_EQ(legacy.exitCode, 56) << "sleep.legacy to httpbin.bar under STRICT";
  EXPECT_EQ(after.at(*serverNode_).strictRejections - before.at(*serverNode_).strictRejections, 1)
      << "the agent on " << *serverNode_ << " should count the plaintext it refused";
  EXPECT_EQ(foo.output, "200") << "sleep.foo to httpbin.bar under STRICT (curl exit "
                               << foo.exitCode << ")";
  // legacy's request is not TLS, so the one mutual TLS connection is foo's.
  expectKernelTlsOnBothAgents(before, after, 1, "foo -> bar under STRICT");
}

// The server's agent writes X-Forwarded-Client-Cert into each request of a kept-alive
// kernel TLS session (it reads that direction as plaintext from the kTLS socket,
// rewrites, then splices), replacing whatever the client sent.
TEST_F(KernelTlsLab, XForwardedClientCertIsWrittenIntoEachRequestOfAKernelTlsSession) {
  const auto before = scrapeEveryNode(*lab_);
  const Outcome headers =
      shell(std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster() +
            " exec -n foo deploy/sleep -- curl -s"
            " -H 'X-Forwarded-Client-Cert: By=spiffe://cluster.local/ns/foo/sa/admin'"
            " -H 'X-Forwarded-Client-Cert: URI=evil'"
            " http://httpbin.bar:8000/headers http://httpbin.bar:8000/headers"
            " | grep X-Forwarded-Client-Cert");
  const auto after = scrapeEveryNode(*lab_);
  std::vector<std::string> lines;
  std::istringstream stream(headers.output);
  for (std::string line; std::getline(stream, line);) lines.push_back(line + "\n");
  ASSERT_EQ(lines.size(), 2u) << "one header per request: " << headers.output;
  for (const auto& line : lines) {
    expectXfccAsTheWalkthroughPrints(line, "spiffe://cluster.local/ns/bar/sa/httpbin",
                                     "spiffe://cluster.local/ns/foo/sa/sleep");
  }
  EXPECT_EQ(lines[0], lines[1]) << "the same client certificate, the same Hash";
  // Both requests on one connection, so one kernel TLS session per agent.
  expectKernelTlsOnBothAgents(before, after, 1, "foo -> bar /headers twice");
}

// A transfer checked end to end by SHA-256, through the client's agent and the server's,
// both relaying in kernel TLS. The host suite sends 1 GiB; under emulation this path
// (the python client's data generation and hashing, two agents, the sink's hashing)
// moves a few MiB/s, so 32 MiB, some two thousand full 16 KiB records, keeps it to
// seconds.
TEST_F(KernelTlsLab, ThirtyTwoMebibytesCrossTwoKernelTlsAgentsByteExact) {
  const std::string script = std::filesystem::temp_directory_path() / "ztls-ktls-client.py";
  std::ofstream(script) << hashingClientProgram("sink.bar", 32);
  const auto before = scrapeEveryNode(*lab_);
  const Outcome outcome = shell(std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster() +
                                " exec -n foo deploy/sleep -- /usr/bin/python3 " + script);
  const auto after = scrapeEveryNode(*lab_);
  std::filesystem::remove(script);
  EXPECT_EQ(outcome.exitCode, 0) << outcome.output;
  EXPECT_EQ(outcome.output, "match\n");
  expectKernelTlsOnBothAgents(before, after, 1, "foo -> sink.bar");
}

// An agent restart as a DaemonSet surge does it (`ztls-lab agent restart`: the new agent
// starts while the old one runs) hands established kernel TLS connections over, sockets
// and all. A response still being sent while both nodes' agents restart arrives whole,
// and each new agent lists its end as handed over, still relayed by kernel TLS. Last in
// the suite: it replaces both agents.
TEST_F(KernelTlsLab, AgentRestartsHandEstablishedKernelTlsConnectionsToTheNextAgent) {
  // httpbin's /drip sends one byte a second: the request is complete, so the server's
  // XFCC rewriter is between requests (where a relay can pause), while the response takes
  // long enough for two restarts under emulation. (A held upload, as HeldRequest makes,
  // would keep the server's relay mid-request: that one would finish in the old agent.)
  constexpr int kSeconds = 60;
  const std::string drip = "'http://httpbin.bar:8000/drip?numbytes=" + std::to_string(kSeconds) +
                           "&duration=" + std::to_string(kSeconds) + "'";
  BackgroundShell request(std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster() +
                          " exec -n foo deploy/sleep -- curl -s -o /dev/null --max-time 300"
                          " -w '%{http_code} %{size_download}' " +
                          drip);
  const auto listed = fooToBarOnEveryNode(*lab_, std::chrono::seconds(40));
  ASSERT_EQ(listed.size(), kNodes.size()) << "the request was not established at both ends";
  for (const auto& node : {*clientNode_, *serverNode_}) {
    const pid_t before = labAgentPid(*lab_, node);
    const std::string restarted = lab_->must("agent restart " + node);
    EXPECT_NE(restarted.find("took over from pid " + std::to_string(before)), std::string::npos)
        << restarted;
    EXPECT_FALSE(isLiveProcess(before)) << node << ": the old agent is still running";
  }
  const auto after = fooToBarOnEveryNode(*lab_, std::chrono::seconds(20));
  if (after.size() != kNodes.size()) {
    for (const auto& node : kNodes) {
      const std::string log = readWholeFile(agentLogPath(*lab_, node));
      ADD_FAILURE() << node << "'s agent log ends:\n"
                    << log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
    }
  }
  ASSERT_EQ(after.size(), kNodes.size()) << "the new agents do not both list the connection";
  for (const auto& [node, connection] : after) {
    EXPECT_EQ(connection["relay"], "kernel-tls/splice") << node << ": " << connection;
    EXPECT_NE(connection["reason"].get<std::string>().find("handed over by the previous agent"),
              std::string::npos)
        << node << ": " << connection;
  }
  for (const auto& [node, status] : ztlsctlOnEveryNode(*lab_, "status")) {
    EXPECT_GE(status["kernelTls"].value("takenOver", std::uint64_t{0}), 1u) << node;
  }
  const Outcome outcome = request.wait();
  EXPECT_EQ(outcome.output, "200 " + std::to_string(kSeconds))
      << "status and bytes of the response in flight during both restarts (curl exit "
      << outcome.exitCode << ")";
}

}  // namespace
}  // namespace ztls::e2e
