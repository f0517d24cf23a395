#include "session_cache.h"

#include <ctime>

namespace ztls::tls::detail {

namespace {

bool usable(const SSL_SESSION* session) {
  if (SSL_SESSION_is_resumable(session) != 1) return false;
  const long age = static_cast<long>(std::time(nullptr)) - SSL_SESSION_get_time(session);
  return age >= 0 && age < SSL_SESSION_get_timeout(session);
}

}  // namespace

SslSessionPtr SessionCache::take(const std::string& server) {
  std::lock_guard lock(mutex_);
  const auto found = tickets_.find(server);
  if (found == tickets_.end()) return nullptr;
  auto& queue = found->second;
  while (!queue.empty()) {
    SslSessionPtr newest = std::move(queue.back());
    queue.pop_back();
    if (usable(newest.get())) return newest;
  }
  return nullptr;
}

void SessionCache::put(const std::string& server, SslSessionPtr session) {
  if (!session || !usable(session.get())) return;
  std::lock_guard lock(mutex_);
  auto [found, inserted] = tickets_.try_emplace(server);
  if (inserted) {
    order_.push_back(server);
    while (tickets_.size() > kMaxServers && !order_.empty()) {
      tickets_.erase(order_.front());
      order_.pop_front();
    }
  }
  auto& queue = found->second;
  queue.push_back(std::move(session));
  while (queue.size() > kTicketsPerServer) queue.pop_front();
}

std::string sessionCacheKey(const std::string& serverEndpoint, const std::string& serverId) {
  return serverEndpoint + ' ' + serverId;
}

}  // namespace ztls::tls::detail
