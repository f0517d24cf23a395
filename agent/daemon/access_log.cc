#include "daemon/access_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "ztls/api/endpoint_json.h"

namespace ztls::daemon {
namespace {

std::string utcNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + length, sizeof text - length, ".%03dZ", static_cast<int>(millis));
  return text;
}

nlohmann::json common(const ConnectionRecord& record) {
  return {{"time", utcNow()},
          {"direction", record.direction},
          {"source", api::toJson(record.source)},
          {"destination", api::toJson(record.destination)},
          {"security",
           record.security.empty() ? nlohmann::json(nullptr) : nlohmann::json(record.security)}};
}

// A kernel TLS relay paused for the next agent ends here but not on the wire.
bool handedOver(const ConnectionRecord& record) {
  return record.pause && record.pause->state() == tls::KernelRelayPause::State::kPaused;
}

std::string_view endOf(const ConnectionRecord& record, const proxy::RelayResult& result) {
  return handedOver(record) ? "handed_over" : proxy::toString(result.end);
}

}  // namespace

std::optional<AccessLogFormat> parseAccessLogFormat(std::string_view name) {
  if (name == "text") return AccessLogFormat::kText;
  if (name == "json") return AccessLogFormat::kJson;
  return std::nullopt;
}

AccessLog::AccessLog(AccessLogFormat format) : format_(format) {
  if (format_ != AccessLogFormat::kJson) return;
  // stdout like the agent's own log; spdlog's console sinks share one mutex, so lines
  // of the two loggers never interleave mid-line.
  json_ =
      std::make_shared<spdlog::logger>("access", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  json_->set_pattern("%v");
  json_->flush_on(spdlog::level::info);
}

std::string AccessLog::rejectedJson(const ConnectionRecord& record, std::string_view why) {
  nlohmann::json line = common(record);
  line["event"] = "rejected";
  line["decision"] = "deny";
  line["reason"] = why;
  return line.dump();
}

std::string AccessLog::closedJson(const ConnectionRecord& record,
                                  const proxy::RelayResult& result) {
  nlohmann::json line = common(record);
  line["event"] = handedOver(record) ? "handed_over" : "closed";
  line["decision"] = record.decision;
  line["reason"] = record.reason;
  line["bytesSent"] = result.bytesDownstreamToUpstream;
  line["bytesReceived"] = result.bytesUpstreamToDownstream;
  line["end"] = endOf(record, result);
  line["durationMs"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(result.duration).count();
  return line.dump();
}

void AccessLog::rejected(const ConnectionRecord& record, std::string_view why) const {
  if (json_) {
    json_->warn(rejectedJson(record, why));
    return;
  }
  spdlog::warn(
      "{} rejected src={} src_workload={} src_identity={} dst={} dst_workload={} dst_identity={} "
      "reason=\"{}\"",
      record.direction, record.source.address, record.source.workload, record.source.identity,
      record.destination.address, record.destination.workload, record.destination.identity, why);
}

void AccessLog::closed(const ConnectionRecord& record, const proxy::RelayResult& result) const {
  if (json_) {
    json_->info(closedJson(record, result));
    return;
  }
  spdlog::info(
      "{} src={} src_workload={} src_identity={} dst={} dst_workload={} dst_identity={} "
      "security={} bytes_sent={} bytes_received={} end={} duration_ms={}",
      record.direction, record.source.address, record.source.workload, record.source.identity,
      record.destination.address, record.destination.workload, record.destination.identity,
      record.security, result.bytesDownstreamToUpstream, result.bytesUpstreamToDownstream,
      endOf(record, result),
      std::chrono::duration_cast<std::chrono::milliseconds>(result.duration).count());
}

}  // namespace ztls::daemon
