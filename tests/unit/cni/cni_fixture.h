// A node as ztls-cni sees it: an agent socket (served or not) and the invocation a
// kubelet-driven runtime makes for pod foo/httpbin after bridge + host-local ran.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fake_backend.h"
#include "plugin_runner.h"
#include "temp_dir.h"
#include "ztls/api/server.h"

namespace ztls::test {

using Json = nlohmann::ordered_json;

inline constexpr const char* kContainerId =
    "3f9a1c2b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
inline constexpr const char* kNetns = "/var/run/netns/cni-5c1f3a2e-8b7d-4c6e-9f01-2a3b4c5d6e7f";
inline constexpr const char* kPodUid = "28ce45bc-63f8-48a3-a99b-cfb9e63c856c";

// What the bridge plugin (with host-local IPAM, dual stack) prints for that pod.
inline Json bridgeResult(const std::string& cniVersion = "1.0.0") {
  Json result = Json::parse(R"({
    "interfaces": [
      {"name": "cni0", "mac": "5a:3c:8e:11:2f:01"},
      {"name": "veth8f3a2c1d", "mac": "16:5e:a7:0b:9c:44"},
      {"name": "eth0", "mac": "0a:58:0a:f4:01:05", "sandbox": ""}
    ],
    "ips": [
      {"interface": 2, "address": "10.244.1.5/24", "gateway": "10.244.1.1"},
      {"interface": 2, "address": "fd00:10:244:1::5/64", "gateway": "fd00:10:244:1::1"}
    ],
    "routes": [{"dst": "0.0.0.0/0", "gw": "10.244.1.1"}, {"dst": "::/0"}],
    "dns": {}
  })");
  result["interfaces"][2]["sandbox"] = kNetns;
  if (cniVersion == "0.4.0") {
    result["ips"][0]["version"] = "4";
    result["ips"][1]["version"] = "6";
  }
  Json withVersion = {{"cniVersion", cniVersion}};
  withVersion.update(result);
  return withVersion;
}

class CniTest : public ::testing::Test {
 protected:
  void TearDown() override { server_.reset(); }

  void startAgent() { server_ = std::make_unique<api::AgentServer>(socket_, backend_); }

  // The configuration the runtime hands the last plugin of the chain.
  Json config(const std::string& cniVersion = "1.0.0") const {
    Json conf = {{"cniVersion", cniVersion},
                 {"name", "kindnet"},
                 {"type", "ztls-cni"},
                 {"agentSocket", "unix:" + socket_},
                 {"agentTimeoutSeconds", 5},
                 {"runtimeConfig",
                  {{"cgroupPath",
                    "/kubepods.slice/kubepods-besteffort.slice/"
                    "kubepods-besteffort-pod28ce45bc_63f8_48a3_a99b_cfb9e63c856c.slice"}}},
                 {"prevResult", bridgeResult(cniVersion)}};
    return conf;
  }

  std::map<std::string, std::string> env(const std::string& command,
                                         const std::string& podNamespace = "foo") const {
    return {{"CNI_COMMAND", command},
            {"CNI_CONTAINERID", kContainerId},
            {"CNI_NETNS", kNetns},
            {"CNI_IFNAME", "eth0"},
            {"CNI_PATH", "/opt/cni/bin:/usr/lib/cni"},
            {"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + podNamespace +
                             ";K8S_POD_NAME=httpbin-7d9c8f5b6-x2x4k;K8S_POD_INFRA_CONTAINER_ID=" +
                             kContainerId + ";K8S_POD_UID=" + kPodUid}};
  }

  PluginRun run(const std::map<std::string, std::string>& vars, const Json& conf) const {
    return runCniPlugin(vars, conf.dump());
  }

  TempDir dir_;
  std::string socket_ = dir_ / "agent.sock";
  FakeBackend backend_;
  std::unique_ptr<api::AgentServer> server_;
};

}  // namespace ztls::test
