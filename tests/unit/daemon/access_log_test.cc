#include "daemon/access_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ztls::daemon {
namespace {

// ConnectionRecord holds atomics, so tests fill one in place.
void fillMeshRecord(ConnectionRecord& record) {
  record.direction = "inbound";
  record.source = {"10.244.2.5:41000", "foo/sleep-1", "spiffe://cluster.local/ns/foo/sa/sleep"};
  record.destination = {"10.244.1.7:80", "foo/httpbin-1",
                        "spiffe://cluster.local/ns/foo/sa/httpbin"};
  record.security = "mutual_tls";
  record.decision = "allow";
  record.reason = "mutual TLS accepted on port 80 in PERMISSIVE mode";
}

TEST(AccessLog, FormatNames) {
  EXPECT_EQ(parseAccessLogFormat("text"), AccessLogFormat::kText);
  EXPECT_EQ(parseAccessLogFormat("json"), AccessLogFormat::kJson);
  EXPECT_EQ(parseAccessLogFormat("JSON"), std::nullopt);
  EXPECT_EQ(parseAccessLogFormat(""), std::nullopt);
}

TEST(AccessLog, ClosedConnectionCarriesIdentitiesBytesAndDuration) {
  proxy::RelayResult result;
  result.bytesDownstreamToUpstream = 78;
  result.bytesUpstreamToDownstream = 612;
  result.duration = std::chrono::milliseconds(42);
  ConnectionRecord record;
  fillMeshRecord(record);
  const auto line = nlohmann::json::parse(AccessLog::closedJson(record, result));
  EXPECT_EQ(line["event"], "closed");
  EXPECT_EQ(line["direction"], "inbound");
  EXPECT_EQ(line["source"]["address"], "10.244.2.5:41000");
  EXPECT_EQ(line["source"]["workload"], "foo/sleep-1");
  EXPECT_EQ(line["source"]["identity"], "spiffe://cluster.local/ns/foo/sa/sleep");
  EXPECT_EQ(line["destination"]["identity"], "spiffe://cluster.local/ns/foo/sa/httpbin");
  EXPECT_EQ(line["security"], "mutual_tls");
  EXPECT_EQ(line["decision"], "allow");
  EXPECT_EQ(line["bytesSent"], 78);
  EXPECT_EQ(line["bytesReceived"], 612);
  EXPECT_EQ(line["durationMs"], 42);
  EXPECT_EQ(line["end"], std::string(proxy::toString(result.end)));
  const std::string time = line["time"];
  EXPECT_EQ(time.size(), std::string("2026-11-26T04:00:00.000Z").size()) << time;
  EXPECT_EQ(time.back(), 'Z');
}

TEST(AccessLog, RejectionNamesTheReasonAndLeavesUnknownsNull) {
  ConnectionRecord record;
  record.direction = "inbound";
  record.source = {"10.244.3.2:5000", "", ""};
  record.destination = {"10.244.1.7:80", "foo/httpbin-1", ""};
  const auto line = nlohmann::json::parse(AccessLog::rejectedJson(
      record, "STRICT mutual TLS on port 80 (namespace foo) refuses plaintext traffic"));
  EXPECT_EQ(line["event"], "rejected");
  EXPECT_EQ(line["decision"], "deny");
  EXPECT_EQ(line["reason"],
            "STRICT mutual TLS on port 80 (namespace foo) refuses plaintext traffic");
  EXPECT_TRUE(line["source"]["workload"].is_null());
  EXPECT_TRUE(line["source"]["identity"].is_null());
  EXPECT_TRUE(line["security"].is_null());
}

TEST(AccessLog, HostileNamesStayOneJsonLine) {
  ConnectionRecord record;
  fillMeshRecord(record);
  record.reason = "quote \" newline \n and \x01 control";
  const std::string text = AccessLog::closedJson(record, {});
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(text)["reason"], record.reason);
}

}  // namespace
}  // namespace ztls::daemon
