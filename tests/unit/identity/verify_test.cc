// verifyPeer and spiffeIdOf against the mesh root, with leaves LocalCa would never make.
#include "ztls/identity/verify.h"

#include <gtest/gtest.h>

#include "temp_dir.h"
#include "test_certs.h"
#include "ztls/identity/local_ca.h"

namespace ztls::identity {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

class VerifyTest : public ::testing::Test {
 protected:
  // A leaf signed with the mesh root's own key, as LocalCa would sign it, but with the
  // names given.
  X509Ptr signedByRoot(test::CertSpec spec) {
    EvpPkeyPtr rootKey = test::readKey(tmp.path() / "root-key.pem");
    return test::makeCert(spec, leafKey.get(), ca.root(), rootKey.get());
  }
  VerifyResult verifyNow(X509* leaf) {
    return verifyPeer(leaf, nullptr, ca.root(), system_clock::now());
  }

  test::TempDir tmp;
  LocalCa ca = LocalCa::openOrCreate(tmp.path());
  SpiffeId id{"cluster.local", "foo", "sleep"};
  EvpPkeyPtr leafKey = test::newKey();
};

TEST_F(VerifyTest, LeafOfAnotherCaIsNotSignedByTheMeshRoot) {
  // Same trust domain, so the same issuer name: only the key tells the roots apart.
  test::TempDir otherDir;
  LocalCa other = LocalCa::openOrCreate(otherDir.path());
  auto foreign = other.issue(id, 24h);
  VerifyResult result = verifyNow(foreign->certificate());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, "not signed by the mesh root");
  EXPECT_FALSE(result.id.has_value());

  // Even when the peer sends the other root along as a chain.
  X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), upRef(other.root()).release());
  result = verifyPeer(foreign->certificate(), chain.get(), ca.root(), system_clock::now());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, "not signed by the mesh root");
}

TEST_F(VerifyTest, SelfSignedLeafIsNotSignedByTheMeshRoot) {
  X509Ptr self = test::makeCert({{"URI:" + id.uri()}}, leafKey.get(), nullptr, leafKey.get());
  EXPECT_EQ(verifyNow(self.get()).reason, "not signed by the mesh root");
  EXPECT_EQ(spiffeIdOf(self.get()), id);  // the name alone proves nothing
}

TEST_F(VerifyTest, ExpiryIsReportedWithTheTime) {
  auto key = ca.issue(id, 1h);
  VerifyResult result = verifyPeer(key->certificate(), nullptr, ca.root(), key->notAfter + 1s);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason.rfind("certificate expired at ", 0), 0u) << result.reason;
  // notAfter in UTC, e.g. 2030-01-31T12:00:00Z.
  std::time_t t = system_clock::to_time_t(key->notAfter);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char expected[32];
  std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%SZ", &tm);
  EXPECT_EQ(result.reason, std::string("certificate expired at ") + expected);

  EXPECT_TRUE(verifyPeer(key->certificate(), nullptr, ca.root(), key->notAfter - 1s).ok);
}

TEST_F(VerifyTest, NotYetValidIsReported) {
  auto key = ca.issue(id, 1h);
  VerifyResult result = verifyPeer(key->certificate(), nullptr, ca.root(), key->notBefore - 1s);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason.rfind("certificate not valid before ", 0), 0u) << result.reason;
  // The 5-minute backdating: a peer whose clock runs 4 minutes behind still accepts it.
  EXPECT_TRUE(verifyPeer(key->certificate(), nullptr, ca.root(), system_clock::now() - 4min).ok);
}

TEST_F(VerifyTest, TwoUriSansAreRejected) {
  X509Ptr leaf = signedByRoot({{"URI:" + id.uri(), "URI:spiffe://cluster.local/ns/foo/sa/other"}});
  VerifyResult result = verifyNow(leaf.get());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, "more than one URI SAN");
  EXPECT_FALSE(spiffeIdOf(leaf.get()).has_value());
}

TEST_F(VerifyTest, TwoSanExtensionsAreRejected) {
  test::CertSpec spec{{"URI:" + id.uri()}};
  spec.sanTwice = true;
  X509Ptr leaf = signedByRoot(spec);
  VerifyResult result = verifyNow(leaf.get());
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(spiffeIdOf(leaf.get()).has_value());
}

TEST_F(VerifyTest, NoUriSanIsRejected) {
  for (const test::CertSpec& spec : {test::CertSpec{}, test::CertSpec{{"DNS:sleep.foo.svc"}}}) {
    X509Ptr leaf = signedByRoot(spec);
    VerifyResult result = verifyNow(leaf.get());
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.reason, "no SPIFFE URI SAN");
    EXPECT_FALSE(spiffeIdOf(leaf.get()).has_value());
  }
}

TEST_F(VerifyTest, OtherNamesBesideOneSpiffeUriAreFine) {
  X509Ptr leaf = signedByRoot({{"DNS:sleep.foo.svc", "URI:" + id.uri()}});
  VerifyResult result = verifyNow(leaf.get());
  EXPECT_TRUE(result.ok) << result.reason;
  EXPECT_EQ(result.id, id);
}

TEST_F(VerifyTest, UriThatIsNotAnIstioSpiffeIdIsRejected) {
  for (const char* uri : {"URI:https://example.com/", "URI:spiffe://cluster.local/workload",
                          "URI:spiffe://Cluster.local/ns/foo/sa/sleep"}) {
    X509Ptr leaf = signedByRoot({{uri}});
    VerifyResult result = verifyNow(leaf.get());
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.reason.rfind("URI SAN is not a valid SPIFFE ID: ", 0), 0u) << result.reason;
  }
}

TEST_F(VerifyTest, CaCertificateIsNotAWorkload) {
  X509Ptr leaf = signedByRoot({{"URI:" + id.uri()}, /*ca=*/true});
  EXPECT_EQ(verifyNow(leaf.get()).reason, "leaf certificate is a CA");
  // Nor is the root itself.
  EXPECT_EQ(verifyNow(ca.root()).reason, "leaf certificate is a CA");
}

TEST_F(VerifyTest, AChainThatIncludesTheLeafAndRootStillVerifies) {
  // What SSL_get_peer_cert_chain gives a client: the leaf first; peers may add the root.
  auto key = ca.issue(id, 24h);
  X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), upRef(key->certificate()).release());
  sk_X509_push(chain.get(), upRef(ca.root()).release());
  VerifyResult result = verifyPeer(key->certificate(), chain.get(), ca.root(), system_clock::now());
  EXPECT_TRUE(result.ok) << result.reason;
  EXPECT_EQ(result.id, id);
}

TEST_F(VerifyTest, MissingInputsAreFailuresNotCrashes) {
  auto key = ca.issue(id, 24h);
  EXPECT_EQ(verifyPeer(nullptr, nullptr, ca.root(), system_clock::now()).reason,
            "no peer certificate");
  EXPECT_FALSE(verifyPeer(key->certificate(), nullptr, nullptr, system_clock::now()).ok);
  EXPECT_FALSE(spiffeIdOf(nullptr).has_value());
}

}  // namespace
}  // namespace ztls::identity
