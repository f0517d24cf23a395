// SPIFFE ID syntax and extraction from certificates.
#include "ztls/tls/spiffe.h"

#include <gtest/gtest.h>

#include "test_pki.h"

namespace ztls::tls::test {
namespace {

using namespace std::string_view_literals;

TEST(SpiffeId, Syntax) {
  EXPECT_TRUE(isSpiffeId("spiffe://cluster.local/ns/foo/sa/httpbin"));
  EXPECT_TRUE(isSpiffeId("spiffe://example.org/a"));
  EXPECT_TRUE(isSpiffeId("spiffe://td_1-x.y/A.b-c_d"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local/"));
  EXPECT_FALSE(isSpiffeId("spiffe:///ns/foo"));
  EXPECT_FALSE(isSpiffeId("spiffe://Cluster.local/ns/foo"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local/ns//foo"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local/ns/./foo"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local/ns/../foo"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local/ns/foo/"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local/ns/f%6fo"));
  EXPECT_FALSE(isSpiffeId("spiffe://user@cluster.local/ns/foo"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local:8080/ns/foo"));
  EXPECT_FALSE(isSpiffeId("SPIFFE://cluster.local/ns/foo"));
  EXPECT_FALSE(isSpiffeId("https://cluster.local/ns/foo"));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local/ns/foo\0x"sv));
  EXPECT_FALSE(isSpiffeId("spiffe://cluster.local/" + std::string(2048, 'a')));
}

TEST(SpiffeId, FromCertificates) {
  const KeyPair one = makeLeaf(meshRoot(), spiffeId("foo", "bar"));
  EXPECT_EQ(spiffeIdOf(one.cert.get()).id, "spiffe://cluster.local/ns/foo/sa/bar");
  EXPECT_TRUE(spiffeIdOf(one.cert.get()).ok());

  const KeyPair none = makeLeaf(meshRoot(), LeafOptions{});
  EXPECT_EQ(spiffeIdOf(none.cert.get()).problem, "no subjectAltName extension");

  const KeyPair two = makeLeaf(meshRoot(), LeafOptions{{spiffeId("a", "b"), spiffeId("c", "d")}});
  EXPECT_EQ(spiffeIdOf(two.cert.get()).problem, "2 URI subjectAltNames, expected one");

  const KeyPair web = makeLeaf(meshRoot(), "https://example.com/");
  EXPECT_EQ(spiffeIdOf(web.cert.get()).problem,
            "URI subjectAltName 'https://example.com/' is not a SPIFFE ID");

  EXPECT_FALSE(spiffeIdOf(nullptr).ok());
  EXPECT_FALSE(spiffeIdOf(meshRoot().cert.get()).ok());
}

}  // namespace
}  // namespace ztls::tls::test
