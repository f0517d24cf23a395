// When the agent says it is ready, and what the probe endpoint answers.
#include "ztls/metrics/readiness.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "http_get.h"
#include "ztls/metrics/http_endpoints.h"

namespace ztls::metrics {
namespace {

ReadinessFacts healthy() {
  ReadinessFacts facts;
  facts.configGeneration = 1;
  facts.meshRootLoaded = true;
  return facts;
}

TEST(JudgeReadiness, ReadyWithAConfigTheMeshRootAndEveryCertificate) {
  const Readiness readiness = judgeReadiness(healthy());
  EXPECT_TRUE(readiness.ready);
  EXPECT_EQ(readiness.reason, "ready");
}

TEST(JudgeReadiness, NotReadyBeforeTheFirstConfigLoads) {
  ReadinessFacts facts = healthy();
  facts.configGeneration = 0;
  EXPECT_FALSE(judgeReadiness(facts).ready);
  EXPECT_EQ(judgeReadiness(facts).reason, "no config snapshot loaded yet");
  facts.configError = "cluster.yaml:3: error: bad";
  EXPECT_EQ(judgeReadiness(facts).reason,
            "no valid config snapshot loaded: cluster.yaml:3: error: bad");
}

TEST(JudgeReadiness, ARejectedLaterConfigKeepsTheAgentReadyOnThePreviousSnapshot) {
  ReadinessFacts facts = healthy();
  facts.configGeneration = 4;
  facts.configError = "cluster.yaml:3: error: bad";
  EXPECT_TRUE(judgeReadiness(facts).ready);
}

TEST(JudgeReadiness, NotReadyWithoutTheMeshRoot) {
  ReadinessFacts facts = healthy();
  facts.meshRootLoaded = false;
  EXPECT_FALSE(judgeReadiness(facts).ready);
  EXPECT_EQ(judgeReadiness(facts).reason, "the mesh root certificate is not loaded");
}

TEST(JudgeReadiness, NotReadyWhenACapturedWorkloadGetsNoCertificate) {
  ReadinessFacts facts = healthy();
  facts.certificateFailures = {"spiffe://cluster.local/ns/foo/sa/a: disk full",
                               "spiffe://cluster.local/ns/foo/sa/b: disk full"};
  const Readiness readiness = judgeReadiness(facts);
  EXPECT_FALSE(readiness.ready);
  EXPECT_EQ(readiness.reason,
            "cannot get workload certificates: spiffe://cluster.local/ns/foo/sa/a: disk full; "
            "spiffe://cluster.local/ns/foo/sa/b: disk full");
}

TEST(ReadinessEndpoint, Answers200WhenReadyAnd503WithTheReasonOtherwise) {
  std::atomic<bool> ready{true};
  ReadinessEndpoint endpoint("127.0.0.1:0", [&ready] {
    return ready ? Readiness{true, "ready"} : Readiness{false, "no config snapshot\nloaded yet"};
  });
  ASSERT_GT(endpoint.port(), 0);
  auto reply = test::httpGet(endpoint.port(), "/healthz/ready");
  EXPECT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(reply.body, "ready\n");
  ready = false;
  reply = test::httpGet(endpoint.port(), "/healthz/ready");
  EXPECT_EQ(reply.status, 503) << reply.error;
  EXPECT_EQ(reply.body, "no config snapshot loaded yet\n");
}

TEST(ReadinessEndpoint, AThrowingCheckIsNotReady) {
  ReadinessEndpoint endpoint("127.0.0.1:0",
                             []() -> Readiness { throw std::runtime_error("issuer gone"); });
  const auto reply = test::httpGet(endpoint.port(), "/healthz/ready");
  EXPECT_EQ(reply.status, 503) << reply.error;
  EXPECT_EQ(reply.body, "readiness check failed: issuer gone\n");
}

TEST(ReadinessEndpoint, OnlyTheProbePathIsServed) {
  ReadinessEndpoint endpoint("127.0.0.1:0", [] { return Readiness{true, "ready"}; });
  EXPECT_EQ(test::httpGet(endpoint.port(), "/healthz/readyness").status, 404);
  EXPECT_EQ(test::httpGet(endpoint.port(), "/metrics").status, 404);
}

TEST(ReadinessEndpoint, IsGoneOnceDestroyed) {
  int port = 0;
  {
    ReadinessEndpoint endpoint("127.0.0.1:0", [] { return Readiness{true, "ready"}; });
    port = endpoint.port();
  }
  const auto reply = test::httpGet(port, "/healthz/ready");
  EXPECT_EQ(reply.status, 0);
  EXPECT_EQ(reply.error, "Connection refused");
}

TEST(ReadinessEndpoint, StopsPromptlyEvenAfterIdling) {
  // civetweb alone notices a stop only when its 2 s listener poll times out.
  auto endpoint = std::make_unique<ReadinessEndpoint>("0.0.0.0:0", [] {
    return Readiness{true, "ready"};
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  endpoint.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1000));
}

TEST(ReadinessEndpoint, APortInUseIsAClearStartupError) {
  ReadinessEndpoint first("127.0.0.1:0", [] { return Readiness{true, "ready"}; });
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  try {
    ReadinessEndpoint second(address, [] { return Readiness{true, "ready"}; });
    FAIL() << "a second endpoint bound " << address;
  } catch (const std::runtime_error& error) {
    EXPECT_NE(
        std::string(error.what())
            .find("cannot serve the readiness probe on " + address + ": Address already in use"),
        std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace ztls::metrics
