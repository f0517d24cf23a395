// Hostile and broken clients against the real agent: garbage, cut-off ClientHellos,
// silence, resets in the middle of a handshake and a flood of idle connections, each on
// a PERMISSIVE port and on a STRICT one. Whatever they do, the agent must stay the same
// process, keep answering its API and keep relaying other traffic; and under STRICT none
// of it may reach the app. A lab of its own ("ztls-bad"), the identity suite's layout.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "lab_runner.h"

namespace ztls::e2e {
namespace {

using namespace std::chrono_literals;

// httpbin listens on 80 (the Service's 8000 maps there): that port stays PERMISSIVE, the
// namespace default. Port 81 of the same pod is STRICT; nothing listens there, which does
// not matter, since under STRICT nothing but mutual TLS gets as far as the app.
constexpr int kPermissivePort = 80;
constexpr int kStrictPort = 81;
const char* const kStrictPortPolicy = R"(apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: httpbin-strict-port
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  mtls:
    mode: PERMISSIVE
  portLevelMtls:
    81:
      mode: STRICT
)";

// The key=value fields of one line of ztls-test-peer output.
std::map<std::string, std::string> fieldsOf(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::istringstream words(line);
  std::string word;
  while (words >> word) {
    const auto equals = word.find('=');
    if (equals != std::string::npos) fields[word.substr(0, equals)] = word.substr(equals + 1);
  }
  return fields;
}

std::vector<std::string> linesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) found.push_back(line);
  }
  return found;
}

int countOf(const std::string& text, const std::string& fragment) {
  int count = 0;
  for (auto at = text.find(fragment); at != std::string::npos; at = text.find(fragment, at + 1)) {
    ++count;
  }
  return count;
}

// The log's new text once it holds `count` lines with `fragment` (or after a while).
std::string loggedWith(const FileTail& log, const std::string& fragment, int count) {
  return log.addedWhen([&](const std::string& text) { return countOf(text, fragment) >= count; });
}

// user + system time the process has used so far.
std::chrono::milliseconds cpuTime(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  for (int i = 1; i <= 13 && fields >> field; ++i) {
    if (i >= 12) ticks += std::stol(field);
  }
  return std::chrono::milliseconds(ticks * 1000 / sysconf(_SC_CLK_TCK));
}

// An agent with no clients is idle; one spinning on a connection burns most of a core.
constexpr auto kIdleWindow = 500ms;
constexpr auto kIdleCpuLimit = 200ms;

// CPU the process uses while we wait `window`.
std::chrono::milliseconds cpuTimeOver(pid_t pid, std::chrono::milliseconds window) {
  const auto before = cpuTime(pid);
  std::this_thread::sleep_for(window);
  return cpuTime(pid) - before;
}

class BadInputLab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lab_ = new Lab("ztls-bad");
    setupError_ = new std::string;
    if (const std::string missing = missingLabPrerequisites(); !missing.empty()) {
      *setupError_ = "the lab end-to-end tests need:" + missing + " (run scripts/setup as root)";
      return;
    }
    if (!std::filesystem::exists(ZTLS_TEST_PEER_PATH)) {
      *setupError_ = std::string(ZTLS_TEST_PEER_PATH) + " is missing: build ztls-test-peer";
      return;
    }
    if (*setupError_ = bringUpSampleLab(*lab_, {"foo", "legacy"}); !setupError_->empty()) return;
    const Outcome applied = shell("printf '%s' '" + std::string(kStrictPortPolicy) + "' | " +
                                  ZTLS_LAB_PATH + " --cluster " + lab_->cluster() + " apply -f -");
    if (applied.exitCode != 0) {
      *setupError_ = "applying the STRICT port policy failed: " + applied.output;
      return;
    }
    const PodInfo httpbin = podOf(*lab_, "foo", "httpbin");
    serverNode_ = new std::string(httpbin.node);
    serverIp_ = new std::string(httpbin.ip);
    serverAgentPid_ = labAgentPid(*lab_, httpbin.node);
    // Agents follow the config within a second.
    std::this_thread::sleep_for(1500ms);
  }

  static void TearDownTestSuite() {
    takeDownLab(*lab_);
    delete lab_;
    delete setupError_;
    delete serverNode_;
    delete serverIp_;
  }

  void SetUp() override {
    ASSERT_TRUE(setupError_->empty()) << *setupError_;
    ASSERT_TRUE(isLiveProcess(serverAgentPid_)) << "no agent on " << *serverNode_;
  }

  static std::string target(int port) { return *serverIp_ + ":" + std::to_string(port); }

  // ztls-test-peer from the legacy sleep pod, outside the mesh, so that its bytes reach
  // the server agent exactly as written.
  static std::string peerCommand(const std::string& arguments) {
    return std::string(ZTLS_LAB_PATH) + " --cluster " + lab_->cluster() +
           " exec -n legacy deploy/sleep -- " + ZTLS_TEST_PEER_PATH + " " + arguments;
  }
  static Outcome peer(const std::string& arguments) { return shell(peerCommand(arguments)); }

  static std::filesystem::path serverLog() { return agentLogPath(*lab_, *serverNode_); }

  // Once a hostile client is gone: the same agent process, idle (nothing left spinning),
  // its API answering, and an ordinary mesh request relayed promptly; no sanitizer report
  // anywhere in its log.
  static void expectAgentUnharmed(const std::string& after) {
    EXPECT_EQ(labAgentPid(*lab_, *serverNode_), serverAgentPid_) << after;
    EXPECT_TRUE(isLiveProcess(serverAgentPid_)) << "the agent died after " << after;
    const Outcome status =
        shell(std::string(ZTLSCTL_PATH) + " status --socket " + lab_->agentSocket(*serverNode_));
    EXPECT_EQ(status.exitCode, 0) << "ztlsctl status after " << after << ": " << status.output;
    const auto started = std::chrono::steady_clock::now();
    const auto [code, curlExit] = lab_->curlStatus("foo", "foo");
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(code, "200") << "sleep.foo to httpbin.foo after " << after << " (curl exit "
                           << curlExit << ")";
    EXPECT_LT(took, 5s) << "sleep.foo to httpbin.foo was slow after " << after;
    // Last, so that whatever the clients' departure set off has finished.
    EXPECT_LT(cpuTimeOver(serverAgentPid_, kIdleWindow), kIdleCpuLimit)
        << "the agent keeps working with no client left, after " << after;
    std::ifstream log(serverLog());
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_EQ(sanitizerReportIn(text), "") << "after " << after;
  }

  static Lab* lab_;
  static std::string* setupError_;
  static std::string* serverNode_;
  static std::string* serverIp_;
  static pid_t serverAgentPid_;
};

Lab* BadInputLab::lab_ = nullptr;
std::string* BadInputLab::setupError_ = nullptr;
std::string* BadInputLab::serverNode_ = nullptr;
std::string* BadInputLab::serverIp_ = nullptr;
pid_t BadInputLab::serverAgentPid_ = 0;

TEST_F(BadInputLab, GarbageIsRelayedUnderPermissiveAndResetUnderStrict) {
  const FileTail log(serverLog());
  const Outcome permissive =
      peer("garbage --bytes 256 --watch-ms 1000 --connect " + target(kPermissivePort));
  ASSERT_EQ(permissive.exitCode, 0) << permissive.output;
  // Not TLS, so PERMISSIVE passes it to the app untouched; what the app makes of it is
  // its business, but the agent must not have dropped it.
  EXPECT_NE(fieldsOf(permissive.output)["server"], "reset") << permissive.output;

  const Outcome strict =
      peer("garbage --bytes 256 --watch-ms 2000 --connect " + target(kStrictPort));
  ASSERT_EQ(strict.exitCode, 0) << strict.output;
  auto fields = fieldsOf(strict.output);
  EXPECT_EQ(fields["server"], "reset") << strict.output;
  EXPECT_EQ(fields["received"], "0") << strict.output;
  EXPECT_LT(std::stoi(fields["after_ms"]), 1000) << "garbage is plaintext from its first byte";
  const std::string logged = loggedWith(log, "STRICT mutual TLS on port 81", 1);
  EXPECT_EQ(countOf(logged, "STRICT mutual TLS on port 81"), 1) << logged;
  EXPECT_NE(logged.find("refuses plaintext traffic"), std::string::npos) << logged;
  expectAgentUnharmed("garbage bytes");
}

// Inside the record header, right after it, inside the handshake header, inside the
// body, and well into it: every one is "need more" to the sniffer.
const std::string kCuts = "--cut 1 --cut 3 --cut 5 --cut 6 --cut 9 --cut 60 --cut 120";
constexpr std::size_t kCutCount = 7;

TEST_F(BadInputLab, CutOffClientHellosAreDecidedWhenTheHandshakeTimeoutEnds) {
  const FileTail log(serverLog());
  const auto cpuBefore = cpuTime(serverAgentPid_);
  BackgroundShell permissiveHold(peerCommand("truncated-hello --then hold --watch-ms 7000 " +
                                             kCuts + " --connect " + target(kPermissivePort)));
  const Outcome strict = peer("truncated-hello --then hold --watch-ms 7000 " + kCuts +
                              " --connect " + target(kStrictPort));
  const Outcome permissive = permissiveHold.wait();
  const auto cpuUsed = cpuTime(serverAgentPid_) - cpuBefore;

  for (const auto* outcome : {&permissive, &strict}) {
    ASSERT_EQ(outcome->exitCode, 0) << outcome->output;
    ASSERT_EQ(linesStartingWith(outcome->output, "truncated-hello:").size(), kCutCount)
        << outcome->output;
  }
  for (const auto& line : linesStartingWith(strict.output, "truncated-hello:")) {
    auto fields = fieldsOf(line);
    EXPECT_EQ(fields["server"], "reset") << "STRICT: " << line;
    EXPECT_EQ(fields["received"], "0") << "STRICT: " << line;
    // The agent's handshake timeout (5 s) ends the wait: not sooner, or a slow client
    // would be cut off, and not much later.
    EXPECT_GE(std::stoi(fields["after_ms"]), 4500) << line;
    EXPECT_LT(std::stoi(fields["after_ms"]), 6500) << line;
  }
  for (const auto& line : linesStartingWith(permissive.output, "truncated-hello:")) {
    // PERMISSIVE: after the timeout the bytes are relayed as plaintext; the app waits for
    // the rest of a request that never comes.
    EXPECT_EQ(fieldsOf(line)["server"], "open") << "PERMISSIVE: " << line;
  }
  const std::string logged =
      loggedWith(log, "STRICT mutual TLS on port 81", static_cast<int>(kCutCount));
  EXPECT_EQ(countOf(logged, "STRICT mutual TLS on port 81"), static_cast<int>(kCutCount)) << logged;
  // Fourteen connections waiting five seconds cost the agent timers, not CPU.
  EXPECT_LT(cpuUsed, 1000ms) << "agent CPU while cut-off ClientHellos waited";
  expectAgentUnharmed("cut-off ClientHellos");
}

// The same cut-off ClientHellos, but the client then gives up: FIN or RST. No more bytes
// can come, so the connection must be decided (STRICT: refused and logged; PERMISSIVE:
// passed on, and the app sees the end) within the handshake timeout at the latest, and
// the agent must be idle again once the clients are gone.
TEST_F(BadInputLab, CutOffClientHellosFollowedByFinOrResetAreDecidedAndNotSpunOn) {
  const FileTail log(serverLog());
  BackgroundShell permissiveClose(peerCommand("truncated-hello --then close --watch-ms 7000 " +
                                              kCuts + " --connect " + target(kPermissivePort)));
  BackgroundShell strictReset(
      peerCommand("truncated-hello --then reset " + kCuts + " --connect " + target(kStrictPort)));
  BackgroundShell permissiveReset(peerCommand("truncated-hello --then reset " + kCuts +
                                              " --connect " + target(kPermissivePort)));
  const Outcome strictClose = peer("truncated-hello --then close --watch-ms 7000 " + kCuts +
                                   " --connect " + target(kStrictPort));
  const Outcome permissive = permissiveClose.wait();
  for (auto* background : {&strictReset, &permissiveReset}) {
    const Outcome reset = background->wait();
    EXPECT_EQ(reset.exitCode, 0) << reset.output;
    EXPECT_EQ(linesStartingWith(reset.output, "truncated-hello:").size(), kCutCount)
        << reset.output;
  }
  for (const auto* outcome : {&permissive, &strictClose}) {
    ASSERT_EQ(outcome->exitCode, 0) << outcome->output;
    ASSERT_EQ(linesStartingWith(outcome->output, "truncated-hello:").size(), kCutCount)
        << outcome->output;
  }
  EXPECT_EQ(countOf(strictClose.output, "server=open"), 0)
      << "STRICT: FIN after the cut, and still undecided at the end:\n"
      << strictClose.output;
  EXPECT_EQ(countOf(strictClose.output, "received=0"), static_cast<int>(kCutCount))
      << strictClose.output;
  EXPECT_EQ(countOf(permissive.output, "server=open"), 0)
      << "PERMISSIVE: FIN after the cut, and the end never reached the app:\n"
      << permissive.output;
  const std::string logged =
      loggedWith(log, "STRICT mutual TLS on port 81", static_cast<int>(2 * kCutCount));
  EXPECT_EQ(countOf(logged, "STRICT mutual TLS on port 81"), static_cast<int>(2 * kCutCount))
      << "every STRICT connection (FIN and RST) refused and logged:\n"
      << logged;

  // Every client is gone now: an idle agent uses next to no CPU.
  const auto idleUsed = cpuTimeOver(serverAgentPid_, kIdleWindow);
  EXPECT_LT(idleUsed, kIdleCpuLimit)
      << "the agent keeps spinning on connections whose clients left";
  if (idleUsed >= kIdleCpuLimit) {
    // Those connections would spin for the rest of the agent's life and skew every later
    // measurement: start a fresh agent for the tests that follow.
    lab_->must("agent restart " + *serverNode_);
    serverAgentPid_ = labAgentPid(*lab_, *serverNode_);
    return;
  }
  expectAgentUnharmed("cut-off ClientHellos followed by FIN or RST");
}

TEST_F(BadInputLab, ASilentClientIsPlaintextUnderPermissiveAndClosedUnderStrict) {
  const FileTail log(serverLog());
  // PERMISSIVE: after the 200 ms first-bytes window the connection is relayed as
  // plaintext (server-speaks-first protocols work); the app says nothing until asked,
  // and answers once asked.
  const Outcome permissive =
      peer("silent --watch-ms 1000 --http-get /status/200 --connect " + target(kPermissivePort));
  ASSERT_EQ(permissive.exitCode, 0) << permissive.output;
  auto fields = fieldsOf(permissive.output);
  EXPECT_EQ(fields["server"], "open") << permissive.output;
  EXPECT_EQ(fields["received"], "0") << permissive.output;
  EXPECT_EQ(fields["http_status"], "200") << permissive.output;

  const Outcome strict = peer("silent --watch-ms 2000 --connect " + target(kStrictPort));
  ASSERT_EQ(strict.exitCode, 0) << strict.output;
  fields = fieldsOf(strict.output);
  EXPECT_EQ(fields["server"], "reset") << strict.output;
  EXPECT_GE(std::stoi(fields["after_ms"]), 150) << "closed before the first-bytes window ended";
  EXPECT_LT(std::stoi(fields["after_ms"]), 1000) << strict.output;
  const std::string logged = loggedWith(log, "refuses a silent client", 1);
  EXPECT_EQ(countOf(logged, "refuses a silent client"), 1) << logged;
  expectAgentUnharmed("silent clients");
}

TEST_F(BadInputLab, AResetInTheMiddleOfTheHandshakeIsLoggedAndForgotten) {
  const FileTail log(serverLog());
  for (const int port : {kPermissivePort, kStrictPort}) {
    const Outcome outcome = peer("reset-mid-handshake --watch-ms 3000 --connect " + target(port));
    ASSERT_EQ(outcome.exitCode, 0) << outcome.output;
    auto fields = fieldsOf(outcome.output);
    // The agent answered the mesh ClientHello with its flight (it is mid-handshake,
    // waiting for our certificate) before our reset.
    EXPECT_EQ(fields["server"], "open") << outcome.output;
    EXPECT_NE(fields["received"], "0") << outcome.output;
  }
  const std::string logged = loggedWith(log, "mutual TLS handshake failed (reset)", 2);
  EXPECT_EQ(countOf(logged, "mutual TLS handshake failed (reset)"), 2) << logged;
  expectAgentUnharmed("resets mid-handshake");
}

TEST_F(BadInputLab, FiveHundredIdleConnectionsOnAPermissivePortDoNotStopTheAgent) {
  BackgroundShell flood(
      peerCommand("flood --connections 500 --hold-ms 3000 --connect " + target(kPermissivePort)));
  std::this_thread::sleep_for(1500ms);  // all connected and past the first-bytes window
  // While they are all held: the agent still answers its API and still terminates mutual
  // TLS. (Not HTTP: the app, gunicorn with eight threads, is itself stuck behind the
  // silent connections the agent rightly passed on to it.)
  const Outcome status =
      shell(std::string(ZTLSCTL_PATH) + " status --socket " + lab_->agentSocket(*serverNode_));
  EXPECT_EQ(status.exitCode, 0) << status.output;
  const Outcome handshake = peer("mesh --cert valid --ca-dir /run/ztls-lab/" + lab_->cluster() +
                                 "/mesh-ca --verdict-ms 300 --connect " + target(kPermissivePort));
  EXPECT_EQ(handshake.exitCode, 0) << "mesh handshake during the flood: " << handshake.output;
  const Outcome flooded = flood.wait();
  ASSERT_EQ(flooded.exitCode, 0) << flooded.output;
  auto fields = fieldsOf(flooded.output);
  EXPECT_EQ(fields["connected"], "500") << flooded.output;
  // Silent ones are relayed as plaintext and stay open; none of them is dropped.
  EXPECT_EQ(fields["silent_open"], "250") << flooded.output;
  EXPECT_EQ(fields["silent_reset"], "0") << flooded.output;
  EXPECT_EQ(fields["half_closed_reset"], "0") << flooded.output;
  expectAgentUnharmed("a flood of 500 idle connections (PERMISSIVE)");
}

TEST_F(BadInputLab, FiveHundredIdleConnectionsOnAStrictPortAreAllClosed) {
  const FileTail log(serverLog());
  const Outcome flooded =
      peer("flood --connections 500 --hold-ms 2500 --connect " + target(kStrictPort));
  ASSERT_EQ(flooded.exitCode, 0) << flooded.output;
  auto fields = fieldsOf(flooded.output);
  EXPECT_EQ(fields["connected"], "500") << flooded.output;
  EXPECT_EQ(fields["silent_open"], "0")
      << "silent connections outlived the first-bytes window: " << flooded.output;
  EXPECT_EQ(fields["half_closed_open"], "0") << flooded.output;
  const std::string logged = loggedWith(log, "STRICT mutual TLS on port 81", 500);
  EXPECT_EQ(countOf(logged, "STRICT mutual TLS on port 81"), 500);
  expectAgentUnharmed("a flood of 500 idle connections (STRICT)");
}

}  // namespace
}  // namespace ztls::e2e
