// Identities and contexts most TLS tests share: a server "foo/httpbin" and a client
// "foo/sleep" under the test mesh root.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "loopback.h"
#include "test_pki.h"
#include "ztls/tls/context.h"
#include "ztls/tls/errors.h"
#include "ztls/tls/handshake.h"

namespace ztls::tls::test {

using namespace std::chrono_literals;

inline const std::string kServerId = spiffeId("foo", "httpbin");
inline const std::string kClientId = spiffeId("foo", "sleep");

class MeshTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    serverLeaf_ = new KeyPair(makeLeaf(meshRoot(), kServerId));
    clientLeaf_ = new KeyPair(makeLeaf(meshRoot(), kClientId));
  }
  static void TearDownTestSuite() {
    delete serverLeaf_;
    delete clientLeaf_;
    serverLeaf_ = clientLeaf_ = nullptr;
  }

  static const KeyPair& serverLeaf() { return *serverLeaf_; }
  static const KeyPair& clientLeaf() { return *clientLeaf_; }

  std::shared_ptr<const ServerContext> serverContext(ContextOptions options = {}) {
    return ServerContext::create(credentials(serverLeaf(), meshRoot()), std::move(options));
  }
  std::shared_ptr<const ClientContext> clientContext(ContextOptions options = {}) {
    return ClientContext::create(credentials(clientLeaf(), meshRoot()), std::move(options));
  }

  // Both handshakes over one loopback connection, concurrently.
  std::pair<HandshakeResult, HandshakeResult> handshake(std::shared_ptr<const ServerContext> server,
                                                        std::shared_ptr<const ClientContext> client,
                                                        std::string expectedServerId = kServerId,
                                                        std::chrono::milliseconds timeout = 10s) {
    auto [clientSocket, serverSocket] = net.asioPair();
    return runBoth(net.io(), acceptMesh(std::move(serverSocket), std::move(server), timeout),
                   connectMesh(std::move(clientSocket), std::move(client),
                               std::move(expectedServerId), timeout));
  }

  Loopback net;

 private:
  static inline KeyPair* serverLeaf_ = nullptr;
  static inline KeyPair* clientLeaf_ = nullptr;
};

// For assertion messages.
inline std::string describe(const HandshakeResult& result) {
  if (result.ok()) return "success";
  return std::string(toString(result.error.kind)) + ": " + result.error.reason;
}

}  // namespace ztls::tls::test
