// One line per connection: when its relay ends, or when the agent refuses it. Text
// (key=value, for people reading agent logs) or JSON (one object per line, for log
// pipelines). Both carry the same facts: who talked to whom, with which identities,
// how it was secured, how many bytes, how long, and why a refusal happened.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/connection_table.h"
#include "ztls/proxy/relay.h"

namespace spdlog {
class logger;
}

namespace ztls::daemon {

enum class AccessLogFormat { kText, kJson };
std::optional<AccessLogFormat> parseAccessLogFormat(std::string_view name);

class AccessLog {
 public:
  explicit AccessLog(AccessLogFormat format = AccessLogFormat::kText);

  void rejected(const ConnectionRecord& record, std::string_view why) const;
  void closed(const ConnectionRecord& record, const proxy::RelayResult& result) const;

  // The JSON objects, exposed so that tests can check fields without parsing logs.
  static std::string rejectedJson(const ConnectionRecord& record, std::string_view why);
  static std::string closedJson(const ConnectionRecord& record, const proxy::RelayResult& result);

 private:
  AccessLogFormat format_;
  // JSON lines go to their own logger whose pattern is the bare message, so every line
  // is one parseable object.
  std::shared_ptr<spdlog::logger> json_;
};

}  // namespace ztls::daemon
