// Building contexts: what credentials are accepted, and what the result is set to.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "mesh_fixture.h"

namespace ztls::tls::test {
namespace {

using ::testing::HasSubstr;

class Context : public MeshTest {};

TEST_F(Context, TakesItsLocalIdentityFromTheLeaf) {
  EXPECT_EQ(serverContext()->localId(), kServerId);
  EXPECT_EQ(serverContext()->role(), Role::kServer);
  EXPECT_EQ(clientContext()->localId(), kClientId);
  EXPECT_EQ(clientContext()->role(), Role::kClient);
}

TEST_F(Context, IsTls13Only) {
  const auto context = serverContext();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(context->native()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(context->native()), TLS1_3_VERSION);
}

TEST_F(Context, KeepsItsOwnReferences) {
  std::shared_ptr<const ServerContext> context;
  {
    const KeyPair leaf = makeLeaf(meshRoot(), kServerId);
    context = ServerContext::create(credentials(leaf, meshRoot()));
  }
  // The leaf and key were freed by their owner; the context still has them.
  EXPECT_NE(SSL_CTX_get0_certificate(context->native()), nullptr);
  EXPECT_EQ(context->localId(), kServerId);
}

TEST_F(Context, RefusesAKeyThatIsNotTheLeafs) {
  const KeyPair other = makeLeaf(meshRoot(), kServerId);
  Credentials mismatched = credentials(serverLeaf(), meshRoot());
  mismatched.key = other.key.get();
  try {
    ServerContext::create(mismatched);
    FAIL() << "expected ContextError";
  } catch (const ContextError& error) {
    EXPECT_THAT(error.what(), HasSubstr("private key"));
  }
}

TEST_F(Context, RefusesALeafWithoutExactlyOneSpiffeId) {
  const KeyPair none = makeLeaf(meshRoot(), LeafOptions{});
  const KeyPair two = makeLeaf(meshRoot(), LeafOptions{{kServerId, kClientId}});
  const KeyPair notSpiffe = makeLeaf(meshRoot(), "https://example.com/x");
  EXPECT_THROW(ServerContext::create(credentials(none, meshRoot())), ContextError);
  EXPECT_THROW(ClientContext::create(credentials(two, meshRoot())), ContextError);
  EXPECT_THROW(ServerContext::create(credentials(notSpiffe, meshRoot())), ContextError);
}

TEST_F(Context, RefusesMissingPieces) {
  Credentials noRoot = credentials(serverLeaf(), meshRoot());
  noRoot.root = nullptr;
  EXPECT_THROW(ServerContext::create(noRoot), ContextError);
  EXPECT_THROW(ServerContext::create(Credentials{}), ContextError);
}

}  // namespace
}  // namespace ztls::tls::test
