// The socket file: root only, stale ones replaced, live ones and other files left alone,
// and a client that says plainly why it cannot connect.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "fake_backend.h"
#include "temp_dir.h"
#include "ztls/api/client.h"
#include "ztls/api/server.h"

namespace ztls::test {
namespace {

mode_t modeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode;
}

std::string connectError(const std::string& target) {
  try {
    api::AgentClient client(target, {.connectTimeout = std::chrono::milliseconds(500)});
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

class ApiSocket : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string socket_ = dir_ / "agent.sock";
  FakeBackend backend_;
};

TEST_F(ApiSocket, SocketFileIsRootOnly) {
  const mode_t oldMask = ::umask(0);  // the server must not rely on the caller's umask
  {
    api::AgentServer server(socket_, backend_);
    EXPECT_TRUE(S_ISSOCK(modeOf(socket_)));
    EXPECT_EQ(modeOf(socket_) & 07777, 0600u);
  }
  ::umask(oldMask);
}

TEST_F(ApiSocket, ServerRemovesItsSocketOnExit) {
  { api::AgentServer server(socket_, backend_); }
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(ApiSocket, StaleSocketIsReplaced) {
  makeStaleSocket(socket_);
  api::AgentServer server("unix://" + socket_, backend_);
  api::AgentClient client(socket_);
  EXPECT_NO_THROW(client.status());
}

TEST_F(ApiSocket, LiveAgentIsNotDisplaced) {
  api::AgentServer first(socket_, backend_);
  EXPECT_THROW(
      {
        try {
          api::AgentServer second(socket_, backend_);
        } catch (const api::ApiError& error) {
          EXPECT_NE(std::string(error.what()).find("already serving"), std::string::npos)
              << error.what();
          throw;
        }
      },
      api::ApiError);
  api::AgentClient client(socket_);
  EXPECT_NO_THROW(client.status());
}

TEST_F(ApiSocket, OtherFilesAreNotDeleted) {
  std::ofstream(socket_) << "not a socket";
  EXPECT_THROW(api::AgentServer(socket_, backend_), api::ApiError);
  EXPECT_TRUE(std::filesystem::is_regular_file(socket_));
}

TEST_F(ApiSocket, ClientNamesTheReason) {
  EXPECT_EQ(connectError(socket_), "cannot reach the ztls agent at " + socket_ +
                                       ": no such socket file — is ztls-agent running?");
  makeStaleSocket(socket_);
  EXPECT_EQ(connectError("unix:" + socket_), "cannot reach the ztls agent at " + socket_ +
                                                 ": connection refused — is ztls-agent running?");
  EXPECT_NE(connectError("agent.sock").find("absolute path"), std::string::npos);
}

}  // namespace
}  // namespace ztls::test
