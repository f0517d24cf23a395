// Accepting connections on a listening socket that was created elsewhere (typically by
// netns::makeListener inside a pod's namespace) and handing each to a coroutine.
#pragma once

#include <functional>
#include <memory>
#include <system_error>

#include "ztls/proxy/asio.h"
#include "ztls/proxy/counters.h"

namespace ztls::proxy {

class Listener {
 public:
  // Runs once per accepted connection, detached, on a strand of its own. An exception
  // escaping it is logged and counted (handlerErrors); the listener carries on.
  using Handler = std::function<asio::awaitable<void>(asio::ip::tcp::socket)>;

  // Takes ownership of listeningFd whatever happens and starts accepting on executor.
  // Returns nullptr with `error` set when the fd is not a listening TCP socket. `counters`
  // must outlive the listener and every connection it accepted; the listener must be
  // destroyed before the executor's io_context.
  static std::unique_ptr<Listener> adopt(asio::any_io_executor executor, int listeningFd,
                                         Handler handler, RelayCounters& counters,
                                         std::error_code& error);

  // Stops (see stop()).
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Closes the listening socket; connections already accepted keep running. Safe from
  // any thread and more than once; takes effect on the listener's strand shortly after.
  void stop();

  asio::ip::tcp::endpoint localEndpoint() const { return localEndpoint_; }

  // Shared by the listener, its accept loop and every connection; defined in listener.cc.
  struct State;

 private:
  Listener(std::shared_ptr<State> state, asio::ip::tcp::endpoint localEndpoint);

  std::shared_ptr<State> state_;
  asio::ip::tcp::endpoint localEndpoint_;
};

}  // namespace ztls::proxy
