#include "ztls/identity/workload_certificates.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "temp_dir.h"
#include "ztls/identity/local_ca.h"
#include "ztls/identity/verify.h"

namespace ztls::identity {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// LocalCa, counting its calls, and failing on demand.
class CountingIssuer : public CertificateIssuer {
 public:
  explicit CountingIssuer(const std::filesystem::path& dir) : ca_(LocalCa::openOrCreate(dir)) {}

  std::shared_ptr<const CertifiedKey> issue(const SpiffeId& id,
                                            std::chrono::seconds lifetime) override {
    ++calls;
    if (fail) throw std::runtime_error("CA unavailable");
    return ca_.issue(id, lifetime);
  }
  X509* root() const override { return ca_.root(); }
  std::string rootPem() const override { return ca_.rootPem(); }

  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};

 private:
  LocalCa ca_;
};

class WorkloadCertificatesTest : public ::testing::Test {
 protected:
  // The clock get() consults; rotateDue() takes its time as an argument.
  system_clock::time_point now = system_clock::now();
  test::TempDir tmp;
  std::shared_ptr<CountingIssuer> issuer = std::make_shared<CountingIssuer>(tmp.path());
  WorkloadCertificates certs{issuer, 24h, [this] { return now; }};
  SpiffeId a{"cluster.local", "foo", "a"};
  SpiffeId b{"cluster.local", "foo", "b"};
  SpiffeId c{"cluster.local", "bar", "c"};

  bool usable(const std::shared_ptr<const CertifiedKey>& key) {
    return X509_check_private_key(key->certificate(), key->privateKey()) == 1 &&
           verifyPeer(key->certificate(), nullptr, issuer->root(), system_clock::now()).ok;
  }
};

TEST_F(WorkloadCertificatesTest, SecondGetReturnsTheCachedCertificate) {
  auto first = certs.get(a);
  EXPECT_EQ(first->id, a);
  EXPECT_EQ(certs.get(a), first);
  EXPECT_EQ(issuer->calls, 1);
  EXPECT_NE(certs.get(b), first);
  EXPECT_EQ(issuer->calls, 2);
  EXPECT_EQ(certs.lifetime(), 24h);
  EXPECT_EQ(&certs.issuer(), issuer.get());
}

TEST_F(WorkloadCertificatesTest, DefaultsToTwentyFourHours) {
  WorkloadCertificates defaults(issuer);
  auto key = defaults.get(a);
  EXPECT_NEAR(std::chrono::duration<double>(key->notAfter - key->notBefore).count(),
              std::chrono::duration<double>(24h + 5min).count(), 2);
}

TEST_F(WorkloadCertificatesTest, RotateDueReplacesExactlyThoseThatReachedHalfLife) {
  auto longLived = certs.get(a);  // 24 h: renews after ~12 h
  certs.setLifetime(2h);
  auto shortLived = certs.get(b);  // 2 h: renews after ~1 h
  auto start = system_clock::now();

  EXPECT_EQ(certs.rotateDue(start), 0u);
  EXPECT_EQ(certs.rotateDue(start + 90min), 1u);
  auto renewed = certs.get(b);
  EXPECT_NE(renewed, shortLived);
  EXPECT_NE(renewed->serialHex, shortLived->serialHex);
  EXPECT_EQ(certs.get(a), longLived);
  // Connections still holding the old certificate keep a working one.
  EXPECT_TRUE(usable(shortLived));
  EXPECT_TRUE(usable(renewed));

  // Past 12 h both are due: a's first and b's second certificate.
  EXPECT_EQ(certs.rotateDue(start + 13h), 2u);
  EXPECT_NE(certs.get(a), longLived);
  EXPECT_NE(certs.get(b), renewed);
  EXPECT_TRUE(usable(longLived));
  EXPECT_EQ(issuer->calls, 5);
}

TEST_F(WorkloadCertificatesTest, GetRenewsACertificateThatIsDue) {
  auto first = certs.get(a);
  now = first->renewAt() - 1s;
  EXPECT_EQ(certs.get(a), first);
  now = first->renewAt();
  auto second = certs.get(a);
  EXPECT_NE(second, first);
  // LocalCa dates certificates by the real clock, which is 12 h behind `now` here.
  now = second->renewAt() - 1s;
  EXPECT_EQ(certs.get(a), second);
  EXPECT_EQ(issuer->calls, 2);
}

TEST_F(WorkloadCertificatesTest, RetainDropsIdentitiesNoLongerWanted) {
  auto keptA = certs.get(a);
  auto droppedB = certs.get(b);
  certs.get(c);
  certs.retain({a, SpiffeId("cluster.local", "foo", "never-issued")});

  auto all = certs.all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], keptA);
  EXPECT_TRUE(usable(droppedB));      // holders keep theirs
  EXPECT_NE(certs.get(b), droppedB);  // asking again issues anew

  certs.retain({});
  EXPECT_TRUE(certs.all().empty());
}

TEST_F(WorkloadCertificatesTest, AllIsOrderedByIdentity) {
  certs.get(b);
  certs.get(a);
  certs.get(c);
  auto all = certs.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->id, c);  // namespace "bar" first
  EXPECT_EQ(all[1]->id, a);
  EXPECT_EQ(all[2]->id, b);
}

TEST_F(WorkloadCertificatesTest, FailedRenewalKeepsTheOldCertificateWhileValid) {
  auto first = certs.get(a);
  issuer->fail = true;
  EXPECT_EQ(certs.rotateDue(first->renewAt()), 0u);
  EXPECT_EQ(certs.all().front(), first);

  now = first->renewAt();
  EXPECT_EQ(certs.get(a), first);  // due, renewal failed, still valid
  now = first->notAfter;
  EXPECT_THROW(certs.get(a), std::runtime_error);  // expired: no silent fallback
  EXPECT_THROW(certs.get(b), std::runtime_error);  // nothing cached at all

  issuer->fail = false;
  EXPECT_EQ(certs.rotateDue(first->renewAt()), 1u);
}

TEST_F(WorkloadCertificatesTest, ConcurrentFirstGetsIssueOnce) {
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<const CertifiedKey>> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back([&, i] { results[i] = certs.get(a); });
  for (std::thread& thread : threads) thread.join();
  for (const auto& result : results) EXPECT_EQ(result, results[0]);
  EXPECT_EQ(issuer->calls, 1);
}

TEST_F(WorkloadCertificatesTest, ConcurrentUseIsSafe) {
  std::atomic<bool> stop{false};
  std::thread rotator([&] {
    while (!stop) {
      certs.rotateDue(system_clock::now() + 13h);
      certs.retain({a, b});
    }
  });
  for (int i = 0; i < 50; ++i) {
    for (const SpiffeId& id : {a, b, c}) EXPECT_EQ(certs.get(id)->id, id);
    for (const auto& key : certs.all()) EXPECT_NE(key->certificate(), nullptr);
  }
  stop = true;
  rotator.join();
}

TEST_F(WorkloadCertificatesTest, RejectsBadSettings) {
  EXPECT_THROW(WorkloadCertificates(nullptr), std::invalid_argument);
  EXPECT_THROW(WorkloadCertificates(issuer, 0s, {}), std::invalid_argument);
  EXPECT_THROW(certs.setLifetime(-1s), std::invalid_argument);
}

}  // namespace
}  // namespace ztls::identity
