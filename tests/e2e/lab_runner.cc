#include "lab_runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <fstream>

namespace ztls::e2e {

Outcome shell(const std::string& script) {
  Outcome outcome;
  FILE* pipe = popen(("exec 2>&1; " + script).c_str(), "r");
  if (pipe == nullptr) return outcome;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    outcome.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  outcome.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

Outcome Lab::run(const std::string& arguments) const {
  return shell(std::string(ZTLS_LAB_PATH) + " --cluster " + cluster_ + " " + arguments);
}

std::string Lab::must(const std::string& arguments) const {
  const Outcome outcome = run(arguments);
  if (outcome.exitCode != 0) {
    ADD_FAILURE() << "ztls-lab " << arguments << " exited " << outcome.exitCode << ":\n"
                  << outcome.output;
  }
  return outcome.output;
}

std::pair<std::string, int> Lab::curlStatus(const std::string& from, const std::string& to) const {
  const std::string lab = std::string(ZTLS_LAB_PATH) + " --cluster " + cluster_;
  // The walkthrough's own command line, with kubectl replaced.
  const Outcome outcome = shell(
      lab + " exec $(" + lab + " get pod -l app=sleep -n " + from +
      " -o jsonpath={.items..metadata.name}) -c sleep -n " + from + " -- curl http://httpbin." +
      to + ":8000/ip -s -o /dev/null --max-time 10 -w '%{http_code}' 2>/dev/null");
  return {outcome.output, outcome.exitCode};
}

std::string Lab::agentSocket(const std::string& node) const {
  return "/run/ztls-lab/" + cluster_ + "/nodes/" + node + "/agent.sock";
}

nlohmann::json Lab::agentStatus(const std::string& node) const {
  const Outcome outcome =
      shell(std::string(ZTLSCTL_PATH) + " status -o json --socket " + agentSocket(node));
  if (outcome.exitCode != 0) {
    ADD_FAILURE() << "ztlsctl status on " << node << " failed: " << outcome.output;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(outcome.output);
}

nlohmann::json Lab::agentConnections(const std::string& node) const {
  const Outcome outcome =
      shell(std::string(ZTLSCTL_PATH) + " connections -o json --socket " + agentSocket(node));
  if (outcome.exitCode != 0) {
    ADD_FAILURE() << "ztlsctl connections on " << node << " failed: " << outcome.output;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(outcome.output);
}

nlohmann::json Lab::agentWorkloads(const std::string& node) const {
  const Outcome outcome =
      shell(std::string(ZTLSCTL_PATH) + " workloads -o json --socket " + agentSocket(node));
  if (outcome.exitCode != 0) {
    ADD_FAILURE() << "ztlsctl workloads on " << node << " failed: " << outcome.output;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(outcome.output);
}

}  // namespace ztls::e2e

namespace ztls::e2e {

std::string missingLabPrerequisites() {
  std::string missing;
  if (geteuid() != 0) missing += " root";
  for (const char* path : {"/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/bin/gunicorn",
                           "/usr/bin/curl", "/usr/sbin/nft", "/usr/bin/python3"}) {
    if (!std::filesystem::exists(path)) missing += std::string(" ") + path;
  }
  if (shell("/usr/bin/python3 -c 'import httpbin'").exitCode != 0) missing += " python3-httpbin";
  return missing;
}

std::string bringUpSampleLab(const Lab& lab, const std::vector<std::string>& namespaces) {
  const std::string samples = std::string(ZTLS_SOURCE_DIR) + "/samples";
  std::vector<std::string> steps{"down", "up --nodes 2"};
  for (const std::string& ns : namespaces) {
    steps.push_back("create ns " + ns);
    if (ns != "legacy") steps.push_back("label ns " + ns + " istio.io/dataplane-mode=ambient");
    steps.push_back("apply -f " + samples + "/httpbin/httpbin.yaml -n " + ns);
    steps.push_back("apply -f " + samples + "/sleep/sleep.yaml -n " + ns);
  }
  for (const auto& step : steps) {
    const Outcome outcome = lab.run(step);
    if (outcome.exitCode != 0) {
      return "ztls-lab --cluster " + lab.cluster() + " " + step + " failed (" +
             std::to_string(outcome.exitCode) + "):\n" + outcome.output;
    }
  }
  return "";
}

void takeDownLab(const Lab& lab) {
  lab.run("agent stop");
  for (const char* node : {"node1", "node2"}) {
    EXPECT_EQ(sanitizerReportIn(readWholeFile(agentLogPath(lab, node))), "")
        << "ztls-agent on " << node;
  }
  const Outcome down = lab.run("down");
  EXPECT_EQ(down.exitCode, 0) << down.output;
}

std::string readWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

PodInfo podOf(const Lab& lab, const std::string& ns, const std::string& app) {
  const Outcome listed = lab.run("get pods -n " + ns + " -l app=" + app + " -o json");
  if (listed.exitCode != 0) {
    ADD_FAILURE() << "ztls-lab get pods -n " << ns << " -l app=" << app << ": " << listed.output;
    return {};
  }
  const auto json = nlohmann::json::parse(listed.output, nullptr, false);
  if (json.is_discarded() || !json.contains("items") || json["items"].empty()) {
    ADD_FAILURE() << "no pod app=" << app << " in " << ns << ": " << listed.output;
    return {};
  }
  const auto& pod = json["items"][0];
  return {pod["metadata"].value("name", ""), pod["status"].value("podIP", ""),
          pod["spec"].value("nodeName", "")};
}

std::filesystem::path agentLogPath(const Lab& lab, const std::string& node) {
  return "/run/ztls-lab/" + lab.cluster() + "/nodes/" + node + "/agent.log";
}

pid_t labAgentPid(const Lab& lab, const std::string& node) {
  std::ifstream state("/run/ztls-lab/" + lab.cluster() + "/lab.json");
  const auto json = nlohmann::json::parse(state, nullptr, false);
  if (json.is_discarded()) return 0;
  for (const auto& recorded : json.value("nodes", nlohmann::json::array())) {
    if (recorded.value("name", "") == node) return recorded.value("agentPid", pid_t{0});
  }
  return 0;
}

bool isLiveProcess(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  // "pid (comm) S ...": the state follows the last ')', since comm may hold one.
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

std::string sanitizerReportIn(const std::string& text) {
  for (const char* marker : {"Sanitizer", "runtime error:"}) {
    if (const auto found = text.find(marker); found != std::string::npos) {
      const auto start = text.rfind('\n', found);
      return text.substr(start == std::string::npos ? 0 : start + 1, 2000);
    }
  }
  return "";
}

std::string fixture(const std::string& name) {
  return std::string(ZTLS_SOURCE_DIR) + "/tests/fixtures/walkthrough/" + name;
}

bool kernelOffersTlsUlp() {
  std::ifstream ulps("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string ulp;
  while (ulps >> ulp) {
    if (ulp == "tls") return true;
  }
  return false;
}

void expectXfccAsTheWalkthroughPrints(const std::string& line, const std::string& serverId,
                                      const std::string& clientId) {
  const std::string prefix = "    \"X-Forwarded-Client-Cert\": \"By=" + serverId + ";Hash=";
  const std::string suffix = ";Subject=\\\"\\\";URI=" + clientId + "\"\n";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  ASSERT_GE(line.size(), prefix.size() + suffix.size()) << line;
  EXPECT_EQ(line.substr(line.size() - suffix.size()), suffix) << line;
  const std::string hash = line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
  EXPECT_EQ(hash.size(), 64u) << line;
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos) << line;
}

std::string hashingSinkManifest(const std::string& nodeName) {
  return R"(
apiVersion: v1
kind: Service
metadata:
  name: sink
spec:
  selector:
    app: sink
  ports:
  - port: 9000
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sink
spec:
  selector:
    matchLabels:
      app: sink
  template:
    metadata:
      labels:
        app: sink
    spec:
)" + (nodeName.empty() ? std::string() : "      nodeName: " + nodeName + "\n") +
         R"(      containers:
      - name: sink
        image: python
        command: ["/usr/bin/python3", "-c"]
        args:
        - |
          import hashlib, socket
          server = socket.create_server(("0.0.0.0", 9000))
          while True:
              connection, _ = server.accept()
              digest, total = hashlib.sha256(), 0
              while chunk := connection.recv(1 << 20):
                  digest.update(chunk)
                  total += len(chunk)
              connection.sendall(f"{total} {digest.hexdigest()}".encode())
              connection.close()
        ports:
        - containerPort: 9000
)";
}

std::string hashingClientProgram(const std::string& host, int mebibytes) {
  return "host, mebibytes = \"" + host + "\", " + std::to_string(mebibytes) + "\n" + R"(
import hashlib, random, socket
connection = socket.create_connection((host, 9000))
digest, total = hashlib.sha256(), 0
for block in range(mebibytes):
    data = random.Random(block).randbytes(1 << 20)
    digest.update(data)
    connection.sendall(data)
    total += len(data)
connection.shutdown(socket.SHUT_WR)
reply = b""
while chunk := connection.recv(4096):
    reply += chunk
expected = f"{total} {digest.hexdigest()}"
print("match" if reply.decode() == expected else f"mismatch: sent {expected}, sink got {reply.decode()}")
)";
}

FileTail::FileTail(std::filesystem::path file) : file_(std::move(file)) {
  std::error_code error;
  start_ = std::filesystem::file_size(file_, error);
  if (error) start_ = 0;
}

std::string FileTail::added() const {
  std::ifstream in(file_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(start_));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string FileTail::addedWhen(const std::function<bool(const std::string&)>& complete,
                                std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string text = added();
  while (!complete(text) && std::chrono::steady_clock::now() < deadline) {
    usleep(50000);
    text = added();
  }
  return text;
}

BackgroundShell::BackgroundShell(const std::string& script)
    : output_(std::filesystem::temp_directory_path() /
              ("ztls-e2e-background-" + std::to_string(getpid()) + "-" +
               std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".txt")) {
  const std::string redirected = "exec >" + output_.string() + " 2>&1; " + script;
  pid_ = fork();
  if (pid_ == 0) {
    execl("/bin/sh", "sh", "-c", redirected.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid_ < 0) ADD_FAILURE() << "fork failed for: " << script;
}

BackgroundShell::~BackgroundShell() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove(output_, ignored);
}

Outcome BackgroundShell::wait() {
  Outcome outcome;
  if (pid_ <= 0) return outcome;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  outcome.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(output_);
  outcome.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return outcome;
}

}  // namespace ztls::e2e
