// Both apps of a path sending a pattern to each other at once and checking every byte
// they receive; done when both saw EOF.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>

#include "pattern.h"

namespace ztls::tls::test {

struct Exchange {
  proxy::test::Transfer clientSent, serverSent, clientReceived, serverReceived;
};

// Runs while the test does something else (pauses a relay, say); finish() joins.
class BackgroundExchange {
 public:
  BackgroundExchange(int clientFd, int serverFd, std::uint64_t bytes)
      : serverReader_([this, serverFd] {
          result_.serverReceived = proxy::test::receivePattern(serverFd, 1);
        }),
        clientReader_([this, clientFd] {
          result_.clientReceived = proxy::test::receivePattern(clientFd, 2);
        }),
        serverWriter_([this, serverFd, bytes] {
          result_.serverSent = proxy::test::sendPattern(serverFd, 2, bytes);
        }),
        clientWriter_([this, clientFd, bytes] {
          result_.clientSent = proxy::test::sendPattern(clientFd, 1, bytes);
        }) {}
  ~BackgroundExchange() { join(); }
  BackgroundExchange(const BackgroundExchange&) = delete;
  BackgroundExchange& operator=(const BackgroundExchange&) = delete;

  Exchange finish() {
    join();
    return result_;
  }

 private:
  void join() {
    for (auto* thread : {&clientWriter_, &serverWriter_, &clientReader_, &serverReader_}) {
      if (thread->joinable()) thread->join();
    }
  }

  Exchange result_;
  std::thread serverReader_;
  std::thread clientReader_;
  std::thread serverWriter_;
  std::thread clientWriter_;
};

inline Exchange exchange(int clientFd, int serverFd, std::uint64_t bytes) {
  return BackgroundExchange(clientFd, serverFd, bytes).finish();
}

inline void expectExact(const Exchange& result, std::uint64_t bytes) {
  EXPECT_EQ(result.clientSent.bytes, bytes);
  EXPECT_EQ(result.serverSent.bytes, bytes);
  EXPECT_EQ(result.serverReceived.bytes, bytes) << "error " << result.serverReceived.error;
  EXPECT_EQ(result.clientReceived.bytes, bytes) << "error " << result.clientReceived.error;
  EXPECT_FALSE(result.serverReceived.mismatch.has_value());
  EXPECT_FALSE(result.clientReceived.mismatch.has_value());
}

}  // namespace ztls::tls::test
