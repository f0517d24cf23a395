// The key log hook: where the kernel TLS hand-off will take the traffic secrets from.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <map>
#include <string>
#include <vector>

#include "mesh_fixture.h"

namespace ztls::tls::test {
namespace {

// label -> "<client random> <secret>"
using Secrets = std::map<std::string, std::string>;

ContextOptions recordInto(Secrets& secrets, const SSL*& seen) {
  return {.keylog = [&secrets, &seen](const SSL* ssl, std::string_view line) {
    const auto space = line.find(' ');
    secrets[std::string(line.substr(0, space))] = std::string(line.substr(space + 1));
    seen = ssl;
  }};
}

class Keylog : public MeshTest {};

TEST_F(Keylog, FiresWithBothTrafficSecretsOnBothSides) {
  Secrets serverSecrets, clientSecrets;
  const SSL* serverSsl = nullptr;
  const SSL* clientSsl = nullptr;
  auto [server, client] = handshake(serverContext(recordInto(serverSecrets, serverSsl)),
                                    clientContext(recordInto(clientSecrets, clientSsl)));
  ASSERT_TRUE(server.ok() && client.ok()) << describe(server) << " / " << describe(client);
  for (const Secrets* secrets : {&serverSecrets, &clientSecrets}) {
    ASSERT_TRUE(secrets->contains("CLIENT_TRAFFIC_SECRET_0"));
    ASSERT_TRUE(secrets->contains("SERVER_TRAFFIC_SECRET_0"));
  }
  // Both ends derived the same secrets for the same client random.
  EXPECT_EQ(serverSecrets.at("CLIENT_TRAFFIC_SECRET_0"),
            clientSecrets.at("CLIENT_TRAFFIC_SECRET_0"));
  EXPECT_EQ(serverSecrets.at("SERVER_TRAFFIC_SECRET_0"),
            clientSecrets.at("SERVER_TRAFFIC_SECRET_0"));
  EXPECT_NE(serverSecrets.at("CLIENT_TRAFFIC_SECRET_0"),
            serverSecrets.at("SERVER_TRAFFIC_SECRET_0"));
  // 64 hex digits of client random, a space, then the secret: 32 bytes (SHA-256) for
  // TLS_AES_128_GCM_SHA256.
  const std::string& line = clientSecrets.at("CLIENT_TRAFFIC_SECRET_0");
  EXPECT_EQ(line.size(), 64u + 1u + 64u) << line.substr(0, 70);
  // The hook gets the very SSL the session then exposes.
  EXPECT_EQ(serverSsl, server.session->nativeHandle());
  EXPECT_EQ(clientSsl, client.session->nativeHandle());
}

TEST_F(Keylog, ContextWithoutAHookAsksOpensslForNothing) {
  EXPECT_EQ(SSL_CTX_get_keylog_callback(serverContext()->native()), nullptr);
}

}  // namespace
}  // namespace ztls::tls::test
