// Two rough edges of civetweb (the HTTP server under both endpoints), smoothed:
// - it reports any listening failure as "null context ... problem binding to port";
//   binding a socket ourselves tells which problem it was;
// - its listener polls with a 2 s timeout and only then notices a stop request, so a
//   stop takes up to 2 s (the agent must stop well within the lab's 5 s grace); a
//   connection to the listener wakes it at once.
#pragma once

#include <functional>
#include <string>

namespace ztls::metrics {

// "cannot serve <what> on <address>: <why> (<civetweb's message>)", where <why> is, e.g.,
// "Address already in use" or what is malformed in "host:port" (IPv4, or [IPv6]).
std::string listenFailure(const std::string& what, const std::string& address,
                          const std::string& serverMessage);

// Runs `stop` (which stops a civetweb server listening on `address`, really bound to
// `port`) on a helper thread while poking the listener until it returns.
void stopPromptly(const std::string& address, int port, const std::function<void()>& stop);

}  // namespace ztls::metrics
