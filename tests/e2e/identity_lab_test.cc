// Identity failures against the real agents: clients whose certificates the server agent
// must refuse, and servers whose certificates the client agent must refuse. A lab of its
// own ("ztls-idn": foo in the mesh, legacy outside, httpbin and sleep in each), so that
// replacing an agent never disturbs another suite.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "lab_runner.h"

namespace ztls::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kHttpbinIdentity = "spiffe://cluster.local/ns/foo/sa/httpbin";
constexpr const char* kImpostorIdentity = "spiffe://cluster.local/ns/foo/sa/impostor";
// What the test peer's certificates claim: a mesh identity no workload has.
constexpr const char* kPeerIdentity = "spiffe://cluster.local/ns/legacy/sa/ztls-test-peer";

// The lines of `text` that contain every one of `fragments`.
std::vector<std::string> linesWithAll(const std::string& text,
                                      const std::vector<std::string>& fragments) {
  std::vector<std::string> found;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    bool all = true;
    for (const auto& fragment : fragments) all = all && line.find(fragment) != std::string::npos;
    if (all) found.push_back(line);
  }
  return found;
}

// Renames `from` to `to` in the serviceAccountName of every object of namespace `ns` in
// a multi-document YAML file as the lab writes it ("---" lines between objects); returns
// how many objects changed.
int renameServiceAccount(std::string& yaml, const std::string& ns, const std::string& from,
                         const std::string& to) {
  const std::string separator = "---\n";
  const std::string inNamespace = "  namespace: " + ns + "\n";
  const std::string account = "serviceAccountName: " + from + "\n";
  int renamed = 0;
  std::size_t start = 0;
  while (start < yaml.size()) {
    std::size_t end = yaml.find("\n" + separator, start);
    end = end == std::string::npos ? yaml.size() : end + 1;
    const std::string_view document(yaml.data() + start, end - start);
    if (const auto at = document.find(account);
        at != std::string_view::npos && document.find(inNamespace) != std::string_view::npos) {
      yaml.replace(start + at, account.size(), "serviceAccountName: " + to + "\n");
      end += to.size() - from.size();
      ++renamed;
    }
    start = end;
  }
  return renamed;
}

// A directory under the temporary directory, removed with everything in it at scope exit
// (also when an assertion returns early).
class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& name)
      : path_(fs::temp_directory_path() / (name + "-" + std::to_string(getpid()))) {
    fs::remove_all(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

fs::path cgroupMountPoint() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    if (line.find(" - cgroup2 ") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 5; ++i) fields >> field;  // the fifth field is the mount point
    return field;
  }
  return {};
}

// A node's agent replaced by one we start ourselves with some arguments changed, the
// way the lab starts its own: same binary and arguments (read from the running agent),
// same log, in the agent's cgroup (outside the pods' subtree, whose connect programs
// would capture the agent's own connections, and where `down` finds it if we crash) and
// the node's network namespace. Destroying it stops our agent by its pid and has the lab
// start the real one again.
class StandInAgent {
 public:
  StandInAgent(const Lab& lab, std::string node, const std::map<std::string, std::string>& changed)
      : lab_(lab), node_(std::move(node)) {
    const pid_t labAgent = labAgentPid(lab_, node_);
    if (!isLiveProcess(labAgent)) {
      error_ = "the lab records no running agent on " + node_;
      return;
    }
    std::vector<std::string> argv = commandLineOf(labAgent);
    const fs::path cgroup = cgroupOf(labAgent);
    netns_ =
        ::open(("/proc/" + std::to_string(labAgent) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
    if (argv.empty() || cgroup.empty() || netns_ < 0) {
      error_ = "cannot read the command line, cgroup or network namespace of ztls-agent " +
               std::to_string(labAgent);
      return;
    }
    for (const auto& [flag, value] : changed) {
      auto found = std::find(argv.begin(), argv.end(), flag);
      if (found == argv.end() || found + 1 == argv.end()) {
        error_ = "the lab's agent has no " + flag + " argument to change";
        return;
      }
      *(found + 1) = value;
    }
    if (const Outcome stopped = lab_.run("agent stop " + node_); stopped.exitCode != 0) {
      error_ = "ztls-lab agent stop " + node_ + ": " + stopped.output;
      return;
    }
    labAgentStopped_ = true;
    pid_ = spawn(argv, cgroup / "cgroup.procs", agentLogPath(lab_, node_));
    if (pid_ < 0) {
      error_ = "fork failed";
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (
        shell(std::string(ZTLSCTL_PATH) + " status --socket " + lab_.agentSocket(node_)).exitCode !=
        0) {
      if (!isLiveProcess(pid_) || std::chrono::steady_clock::now() > deadline) {
        error_ = "the stand-in agent on " + node_ + " did not come up; its log:\n" +
                 readWholeFile(agentLogPath(lab_, node_));
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  ~StandInAgent() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      if (!waitFor(pid_, 10s)) {
        ADD_FAILURE() << "the stand-in agent " << pid_ << " ignored SIGTERM";
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (netns_ >= 0) ::close(netns_);
    if (labAgentStopped_) {
      const Outcome started = lab_.run("agent start " + node_);
      EXPECT_EQ(started.exitCode, 0)
          << "restoring the lab's agent on " << node_ << ": " << started.output;
    }
  }

  StandInAgent(const StandInAgent&) = delete;
  StandInAgent& operator=(const StandInAgent&) = delete;

  const std::string& error() const { return error_; }

 private:
  static std::vector<std::string> commandLineOf(pid_t pid) {
    const std::string raw = readWholeFile("/proc/" + std::to_string(pid) + "/cmdline");
    std::vector<std::string> argv;
    for (std::size_t start = 0; start < raw.size();) {
      const std::size_t end = raw.find('\0', start);
      argv.push_back(raw.substr(start, end - start));
      start = end == std::string::npos ? raw.size() : end + 1;
    }
    return argv;
  }

  static fs::path cgroupOf(pid_t pid) {
    // cgroup v2 only: one line, "0::/path".
    const std::string line = readWholeFile("/proc/" + std::to_string(pid) + "/cgroup");
    const auto path = line.find("0::/");
    if (path == std::string::npos || cgroupMountPoint().empty()) return {};
    std::string relative = line.substr(path + 4);
    relative.erase(relative.find_last_not_of('\n') + 1);
    return cgroupMountPoint() / relative;
  }

  pid_t spawn(const std::vector<std::string>& argv, const fs::path& cgroupProcs,
              const fs::path& log) const {
    // Everything the child needs is prepared here: between fork and exec it only makes
    // system calls.
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const std::string procs = cgroupProcs.string();
    const std::string logFile = log.string();
    const int netns = netns_;
    const pid_t pid = fork();
    if (pid != 0) return pid;
    ::setsid();
    const int devNull = ::open("/dev/null", O_RDONLY);
    const int logFd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (devNull < 0 || logFd < 0) _exit(126);
    ::dup2(devNull, STDIN_FILENO);
    ::dup2(logFd, STDOUT_FILENO);
    ::dup2(logFd, STDERR_FILENO);
    if (devNull > STDERR_FILENO) ::close(devNull);
    if (logFd > STDERR_FILENO) ::close(logFd);
    // The cgroup, then the network namespace, as the lab's launcher does. setns leaves our
    // mounts alone, so cgroup.procs stays reachable (`ip netns exec` would remount /sys
    // and hide cgroup v2).
    const int procsFd = ::open(procs.c_str(), O_WRONLY);
    if (procsFd < 0 || ::write(procsFd, "0\n", 2) != 2) _exit(126);
    ::close(procsFd);
    if (::setns(netns, CLONE_NEWNET) != 0) _exit(126);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(args[0], args.data());
    _exit(127);
  }

  static bool waitFor(pid_t pid, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  const Lab& lab_;
  std::string node_;
  std::string error_;
  int netns_ = -1;
  bool labAgentStopped_ = false;
  pid_t pid_ = -1;
};

class IdentityLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lab_ = new Lab("ztls-idn");
    setupError_ = new std::string;
    if (const std::string missing = missingLabPrerequisites(); !missing.empty()) {
      *setupError_ = "the lab end-to-end tests need:" + missing + " (run scripts/setup as root)";
      return;
    }
    if (!fs::exists(ZTLS_TEST_PEER_PATH)) {
      *setupError_ = std::string(ZTLS_TEST_PEER_PATH) + " is missing: build ztls-test-peer";
      return;
    }
    *setupError_ = bringUpSampleLab(*lab_, {"foo", "legacy"});
  }

  static void TearDownTestSuite() {
    takeDownLab(*lab_);
    delete lab_;
    delete setupError_;
  }

  void SetUp() override {
    ASSERT_TRUE(setupError_->empty()) << *setupError_;
    httpbin_ = podOf(*lab_, "foo", "httpbin");
    sleep_ = podOf(*lab_, "foo", "sleep");
    ASSERT_FALSE(httpbin_.ip.empty());
    ASSERT_NE(httpbin_.node, sleep_.node)
        << "the server-identity tests need sleep.foo and httpbin.foo on different nodes";
  }

  // ztls-test-peer `arguments` from the legacy sleep pod, outside the mesh.
  static Outcome peerFromLegacy(const std::string& arguments) {
    return lab_->run("exec -n legacy deploy/sleep -- " + std::string(ZTLS_TEST_PEER_PATH) + " " +
                     arguments);
  }

  // A mesh handshake to httpbin.foo's pod, straight from legacy. The Service maps 8000
  // to the container's port 80; without the Service's DNAT, the pod's own port it is.
  Outcome meshHandshake(const std::string& certificate) const {
    return peerFromLegacy("mesh --connect " + httpbin_.ip + ":80 --ca-dir /run/ztls-lab/" +
                          lab_->cluster() + "/mesh-ca --cert " + certificate + " --identity " +
                          kPeerIdentity + " --http-get /status/200");
  }

  // The server agent turns the handshake down, says why in its log, and the app never
  // sees the request.
  void expectClientRejected(const std::string& certificate, const std::string& alert,
                            const std::vector<std::string>& reasonFragments) {
    const FileTail serverLog(agentLogPath(*lab_, httpbin_.node));
    const Outcome outcome = meshHandshake(certificate);
    EXPECT_EQ(outcome.exitCode, 1) << outcome.output;
    // The TLS alert the agent sent, as OpenSSL names it on the client's side.
    EXPECT_NE(outcome.output.find("handshake failed: " + alert), std::string::npos)
        << outcome.output;
    EXPECT_EQ(outcome.output.find("HTTP 200"), std::string::npos) << outcome.output;
    std::vector<std::string> wanted{"inbound rejected", httpbin_.ip + ":80"};
    wanted.insert(wanted.end(), reasonFragments.begin(), reasonFragments.end());
    const std::string logged = serverLog.addedWhen(
        [&](const std::string& text) { return !linesWithAll(text, wanted).empty(); });
    EXPECT_EQ(linesWithAll(logged, wanted).size(), 1u)
        << "cert=" << certificate << ": expected one rejection line with all of {"
        << ::testing::PrintToString(wanted) << "} in the log of " << httpbin_.node << ":\n"
        << logged;
  }

  // The walkthrough's request from sleep.foo, which crosses both agents.
  static std::pair<std::string, int> curlFooToFoo() { return lab_->curlStatus("foo", "foo"); }

  // The same request keeping curl's own error message ("curl: (56) Recv failure: ...").
  static Outcome curlFooToFooExplained() {
    return lab_->run(
        "exec -n foo deploy/sleep -- curl -sS -o /dev/null --max-time 10 -w "
        "'http_code=%{http_code}\\n' "
        "http://httpbin.foo:8000/ip");
  }

  // How a connection the client agent refuses ends for curl. The kernel completes curl's
  // connect on the agent's listener at once; the agent then fails the mutual TLS
  // handshake upstream and resets curl's connection (SO_LINGER 0). Mostly the reset
  // lands after curl sent its request: exit 56, "Recv failure: Connection reset by peer".
  // When it beats curl's own check of the fresh connection (seen: "Failed to connect ...
  // after 11 ms"), curl reports a failed connect: exit 7. Both are the same refusal; an
  // empty reply (52, a FIN) or any HTTP status would not be.
  static void expectResetByClientAgent(const Outcome& curl) {
    EXPECT_NE(curl.output.find("http_code=000"), std::string::npos) << curl.output;
    if (curl.exitCode == 56) {
      EXPECT_NE(curl.output.find("Connection reset by peer"), std::string::npos) << curl.output;
    } else {
      EXPECT_EQ(curl.exitCode, 7) << curl.output;
      EXPECT_NE(curl.output.find("Failed to connect"), std::string::npos) << curl.output;
    }
  }

  static Lab* lab_;
  static std::string* setupError_;
  PodInfo httpbin_;
  PodInfo sleep_;
};

Lab* IdentityLab::lab_ = nullptr;
std::string* IdentityLab::setupError_ = nullptr;

TEST_F(IdentityLab, AClientWithoutACertificateIsRefused) {
  expectClientRejected("none", "tlsv13 alert certificate required",
                       {"(no-peer-certificate)", "client sent no certificate"});
}

TEST_F(IdentityLab, AClientCertificateFromAnotherRootIsRefused) {
  expectClientRejected("other-root", "tlsv1 alert unknown ca",
                       {"(unknown-ca)", "does not chain to the mesh root",
                        std::string("client certificate (") + kPeerIdentity});
}

TEST_F(IdentityLab, AnExpiredClientCertificateSignedByTheMeshRootIsRefused) {
  expectClientRejected(
      "expired", "sslv3 alert certificate expired",
      {"(certificate-expired)", "client certificate expired", kPeerIdentity, "not valid after"});
}

TEST_F(IdentityLab, AValidClientCertificateFromTheMeshRootGetsThrough) {
  // The control for the three refusals above: same peer, same path, a good certificate.
  const Outcome outcome = meshHandshake("valid");
  EXPECT_EQ(outcome.exitCode, 0) << outcome.output;
  EXPECT_NE(
      outcome.output.find(std::string("handshake ok: server ") + kHttpbinIdentity + "; HTTP 200"),
      std::string::npos)
      << outcome.output;
}

// httpbin.foo's node runs an agent whose config says httpbin runs as "impostor": it
// terminates mutual TLS with an impostor certificate from the real mesh root. The client
// agent expects the identity its own config gives the endpoint, and must refuse.
TEST_F(IdentityLab, AServerPresentingAnotherIdentityIsRefusedByTheClientAgent) {
  const ScratchDirectory scratch("ztls-idn-impostor-config");
  const fs::path& configDir = scratch.path();
  fs::copy("/run/ztls-lab/" + lab_->cluster() + "/config", configDir, fs::copy_options::recursive);
  const fs::path clusterYaml = configDir / "cluster.yaml";
  std::string config = readWholeFile(clusterYaml);
  // The httpbin Deployment of foo and its pod; legacy's keep their account.
  const int renamed = renameServiceAccount(config, "foo", "httpbin", "impostor");
  ASSERT_EQ(renamed, 2) << "expected foo's httpbin Deployment and pod in " << clusterYaml << ":\n"
                        << config;
  std::ofstream(clusterYaml, std::ios::trunc) << config;

  {
    const FileTail clientLog(agentLogPath(*lab_, sleep_.node));
    StandInAgent impostor(*lab_, httpbin_.node, {{"--config-dir", configDir.string()}});
    ASSERT_TRUE(impostor.error().empty()) << impostor.error();
    expectResetByClientAgent(curlFooToFooExplained());
    const std::vector<std::string> wanted{
        "outbound rejected", "(wrong-identity)",
        std::string("server presented ") + kImpostorIdentity + ", expected " + kHttpbinIdentity};
    const std::string logged = clientLog.addedWhen(
        [&](const std::string& text) { return !linesWithAll(text, wanted).empty(); });
    EXPECT_EQ(linesWithAll(logged, wanted).size(), 1u) << "the log of " << sleep_.node << ":\n"
                                                       << logged;
  }
  EXPECT_EQ(curlFooToFoo().first, "200") << "after the lab's agent came back";
}

// httpbin.foo's node runs an agent with a mesh root of its own: its certificate does not
// chain to the root the client agent trusts.
TEST_F(IdentityLab, AServerCertificateFromAnotherRootIsRefusedByTheClientAgent) {
  const ScratchDirectory scratch("ztls-idn-other-root");
  const fs::path& caDir = scratch.path();
  {
    const FileTail clientLog(agentLogPath(*lab_, sleep_.node));
    StandInAgent otherRoot(*lab_, httpbin_.node, {{"--ca-dir", caDir.string()}});
    ASSERT_TRUE(otherRoot.error().empty()) << otherRoot.error();
    ASSERT_TRUE(fs::exists(caDir / "root-cert.pem")) << "the stand-in made no root of its own";
    expectResetByClientAgent(curlFooToFooExplained());
    const std::vector<std::string> wanted{"outbound rejected", "(unknown-ca)",
                                          std::string("server certificate (") + kHttpbinIdentity,
                                          "does not chain to the mesh root"};
    const std::string logged = clientLog.addedWhen(
        [&](const std::string& text) { return !linesWithAll(text, wanted).empty(); });
    EXPECT_EQ(linesWithAll(logged, wanted).size(), 1u) << "the log of " << sleep_.node << ":\n"
                                                       << logged;
  }
  EXPECT_EQ(curlFooToFoo().first, "200") << "after the lab's agent came back";
}

}  // namespace
}  // namespace ztls::e2e
