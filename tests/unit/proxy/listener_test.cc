#include "ztls/proxy/listener.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <thread>

#include "test_sockets.h"
#include "ztls/netns/netns.h"
#include "ztls/netns/sockets.h"

namespace ztls::proxy::test {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

int loopbackListener() {
  return netns::makeListener(netns::Netns::current(), *netns::SocketAddress::parse("127.0.0.1:0"),
                             16);
}

// Polls a condition the io thread makes true.
template <class F>
bool eventually(F condition, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class ListenerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    listener.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }
  void start(Listener::Handler handler) {
    std::error_code error;
    listener =
        Listener::adopt(io.get_executor(), loopbackListener(), std::move(handler), counters, error);
    ASSERT_TRUE(listener) << error.message();
    thread = std::thread([this] { io.run(); });
  }

  asio::io_context io;
  RelayCounters counters;
  std::unique_ptr<Listener> listener;
  std::thread thread;
};

TEST_F(ListenerTest, HandlerExceptionIsCountedAndAcceptingGoesOn) {
  std::atomic<int> served{0};
  start([&](tcp::socket socket) -> asio::awaitable<void> {
    if (served.fetch_add(1) == 0) throw std::runtime_error("first connection fails");
    const char reply = 'y';
    co_await asio::async_write(socket, asio::buffer(&reply, 1), asio::use_awaitable);
  });
  Fd first = connectLoopback(listener->localEndpoint().port());
  ASSERT_TRUE(eventually([&] { return counters.handlerErrors.load() == 1; }));
  Fd second = connectLoopback(listener->localEndpoint().port());
  char reply = 0;
  ASSERT_EQ(::recv(second.get(), &reply, 1, 0), 1);
  EXPECT_EQ(reply, 'y');
  EXPECT_EQ(served.load(), 2);
  EXPECT_EQ(counters.handlerErrors.load(), 1u);
  EXPECT_EQ(counters.acceptErrors.load(), 0u);
}

TEST_F(ListenerTest, StopClosesTheListeningSocketButNotOpenConnections) {
  std::atomic<bool> handlerStarted{false};
  std::atomic<bool> handlerFinished{false};
  start([&](tcp::socket socket) -> asio::awaitable<void> {
    handlerStarted = true;
    char byte = 0;
    co_await asio::async_read(socket, asio::buffer(&byte, 1), asio::use_awaitable);
    co_await asio::async_write(socket, asio::buffer(&byte, 1), asio::use_awaitable);
    handlerFinished = true;
  });
  const std::uint16_t port = listener->localEndpoint().port();
  Fd open = connectLoopback(port);
  ASSERT_TRUE(eventually([&] { return handlerStarted.load(); }));
  listener->stop();
  ASSERT_TRUE(eventually([&] {
    try {
      connectLoopback(port);
      return false;
    } catch (const std::system_error& error) {
      return error.code().value() == ECONNREFUSED;
    }
  })) << "the listener still accepts after stop()";
  // The connection accepted before stop() is still served.
  const char ping = 'p';
  ASSERT_EQ(::send(open.get(), &ping, 1, 0), 1);
  char echo = 0;
  ASSERT_EQ(::recv(open.get(), &echo, 1, 0), 1);
  EXPECT_EQ(echo, 'p');
  EXPECT_TRUE(eventually([&] { return handlerFinished.load(); }));
}

TEST(ListenerAdopt, RejectsASocketThatIsNotListeningAndClosesIt) {
  asio::io_context io;
  RelayCounters counters;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  std::error_code error;
  auto listener = Listener::adopt(
      io.get_executor(), fd, [](tcp::socket) -> asio::awaitable<void> { co_return; }, counters,
      error);
  EXPECT_FALSE(listener);
  EXPECT_EQ(error, std::errc::invalid_argument) << error.message();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "adopt() must close the fd it was given";
}

}  // namespace
}  // namespace ztls::proxy::test
