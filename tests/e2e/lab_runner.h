// Runs the real lab and CLI binaries for the end-to-end tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace ztls::e2e {

struct Outcome {
  int exitCode = -1;
  std::string output;  // stdout and stderr together, in order
};

// `sh -c script`; the script sees ZTLS_LAB_CLUSTER set to the test's cluster.
Outcome shell(const std::string& script);

class Lab {
 public:
  explicit Lab(std::string cluster) : cluster_(std::move(cluster)) {}
  const std::string& cluster() const { return cluster_; }

  // ztls-lab with these arguments (already shell-quoted where needed).
  Outcome run(const std::string& arguments) const;
  // Fails the current test (ADD_FAILURE) with the output when the exit code is not 0.
  std::string must(const std::string& arguments) const;

  // The HTTP status curl gets from sleep in `from` for http://httpbin.<to>:8000/ip, or
  // "000" when the connection failed, plus curl's exit code.
  std::pair<std::string, int> curlStatus(const std::string& from, const std::string& to) const;

  std::string agentSocket(const std::string& node) const;
  nlohmann::json agentStatus(const std::string& node) const;
  nlohmann::json agentWorkloads(const std::string& node) const;
  nlohmann::json agentConnections(const std::string& node) const;

 private:
  std::string cluster_;
};

}  // namespace ztls::e2e

// Helpers for the suites that bring up a small lab of their own (identity, bad input).
namespace ztls::e2e {

// What the lab end-to-end tests need on this host and do not find ("" when nothing).
std::string missingLabPrerequisites();

// `down` (clearing whatever a crashed run left), `up --nodes 2`, then each namespace with
// the httpbin and sleep samples; every namespace but "legacy" is labelled ambient (the
// walkthrough's sidecar injection). "" or what failed.
std::string bringUpSampleLab(const Lab& lab, const std::vector<std::string>& namespaces);

// The end of a suite's lab: stops every agent first, so that sanitizer reports written at
// exit (leaks) land in their logs, fails the current test for any report in node1's or
// node2's log, then takes the lab down and fails the test if that fails.
void takeDownLab(const Lab& lab);

// The whole file; "" when it cannot be read.
std::string readWholeFile(const std::filesystem::path& path);

struct PodInfo {
  std::string name;
  std::string ip;
  std::string node;
};
// The first pod with label app=`app` in `ns`; fails the current test when there is none.
PodInfo podOf(const Lab& lab, const std::string& ns, const std::string& app);

std::filesystem::path agentLogPath(const Lab& lab, const std::string& node);
// The agent pid the lab recorded for `node`; 0 when it records none.
pid_t labAgentPid(const Lab& lab, const std::string& node);
// Running (a zombie is not).
bool isLiveProcess(pid_t pid);

// The first sanitizer report (ASan, UBSan, LSan) in `text` with some context, or "".
std::string sanitizerReportIn(const std::string& text);

// tests/fixtures/walkthrough/`name`: the walkthrough's policy files.
std::string fixture(const std::string& name);

// Whether the running kernel offers the "tls" ULP (/proc/sys/net/ipv4/tcp_available_ulp).
bool kernelOffersTlsUlp();

// Checks `line`, the X-Forwarded-Client-Cert line httpbin's /headers echoes, against what
// the walkthrough prints: "By=<server>;Hash=<sha256 of the client leaf, 64 lowercase hex
// digits>;Subject=\"\";URI=<client>", indented and quoted as in httpbin's JSON.
void expectXfccAsTheWalkthroughPrints(const std::string& line, const std::string& serverId,
                                      const std::string& clientId);

// A Deployment "sink" with a Service on port 9000: for each connection it reads to the
// end, then answers "<bytes> <sha256 hex>" and closes. `nodeName` pins it when not "".
std::string hashingSinkManifest(const std::string& nodeName = "");
// A python3 program that sends `mebibytes` MiB of seeded random data to `host`:9000,
// half-closes, and prints "match" when the sink answers with the same count and digest
// (or "mismatch: ..." saying both).
std::string hashingClientProgram(const std::string& host, int mebibytes);

// What a file gained after the moment the tail was made: the lines an agent logged
// because of one test step.
class FileTail {
 public:
  explicit FileTail(std::filesystem::path file);
  std::string added() const;
  // added() once `complete` says it holds everything expected, or when `limit` passes
  // (the caller's assertions then say what is missing). Agents log right after they
  // act, so the line may trail the client's view by a moment.
  std::string addedWhen(const std::function<bool(const std::string&)>& complete,
                        std::chrono::milliseconds limit = std::chrono::seconds(3)) const;

 private:
  std::filesystem::path file_;
  std::uintmax_t start_ = 0;
};

// `sh -c script` as a child of the test, stdout and stderr to a temporary file, so the
// test can act while it runs. The destructor kills it if wait() was never called.
class BackgroundShell {
 public:
  explicit BackgroundShell(const std::string& script);
  ~BackgroundShell();
  BackgroundShell(const BackgroundShell&) = delete;
  BackgroundShell& operator=(const BackgroundShell&) = delete;

  Outcome wait();

 private:
  pid_t pid_ = -1;
  std::filesystem::path output_;
};

}  // namespace ztls::e2e
