// What LocalCa::issue puts in a workload certificate.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <set>
#include <stdexcept>
#include <thread>

#include "temp_dir.h"
#include "test_certs.h"
#include "ztls/identity/local_ca.h"
#include "ztls/identity/pem.h"
#include "ztls/identity/verify.h"

namespace ztls::identity {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

class LeafTest : public ::testing::Test {
 protected:
  test::TempDir tmp;
  LocalCa ca = LocalCa::openOrCreate(tmp.path());
  SpiffeId id{"cluster.local", "foo", "httpbin"};
};

TEST_F(LeafTest, CarriesTheIdentityAsItsOnlyName) {
  auto key = ca.issue(id, 24h);
  X509* leaf = key->certificate();
  EXPECT_EQ(key->id, id);
  EXPECT_EQ(test::uriSans(leaf), std::vector<std::string>{id.uri()});
  // No other kind of SAN either, and the SAN is critical because the subject is empty.
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  ASSERT_NE(names, nullptr);
  EXPECT_EQ(sk_GENERAL_NAME_num(names.get()), 1);
  EXPECT_TRUE(test::extensionIsCritical(leaf, NID_subject_alt_name));
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(ca.root())), 0);
  EXPECT_EQ(spiffeIdOf(leaf), id);
}

TEST_F(LeafTest, IsAnEcdsaP256ServerAndClientLeaf) {
  auto key = ca.issue(id, 24h);
  X509* leaf = key->certificate();

  EVP_PKEY* publicKey = X509_get0_pubkey(leaf);
  EXPECT_EQ(EVP_PKEY_get_base_id(publicKey), EVP_PKEY_EC);
  char group[64];
  size_t groupLength = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(publicKey, group, sizeof group, &groupLength), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_check_private_key(leaf, key->privateKey()), 1);

  EXPECT_EQ(X509_check_ca(leaf), 0);
  EXPECT_TRUE(test::extensionIsCritical(leaf, NID_basic_constraints));
  EXPECT_EQ(X509_get_key_usage(leaf),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  EXPECT_TRUE(test::extensionIsCritical(leaf, NID_key_usage));
  EXPECT_EQ(X509_get_extended_key_usage(leaf),
            static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);

  const ASN1_OCTET_STRING* authorityKeyId = X509_get0_authority_key_id(leaf);
  ASSERT_NE(authorityKeyId, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(authorityKeyId, X509_get0_subject_key_id(ca.root())), 0);
}

TEST_F(LeafTest, LifetimeIsTheRequestedOneWithClockSkewBefore) {
  auto before = system_clock::now();
  auto key = ca.issue(id, 2h);
  auto after = system_clock::now();

  // Certificate times are whole seconds.
  EXPECT_GE(key->notAfter, before + 2h - 1s);
  EXPECT_LE(key->notAfter, after + 2h);
  EXPECT_GE(key->notBefore, before - 5min - 1s);
  EXPECT_LE(key->notBefore, after - 5min);
  EXPECT_EQ(key->renewAt(), key->notBefore + (key->notAfter - key->notBefore) / 2);
  EXPECT_EQ(key->chain().size(), 1u);
  EXPECT_EQ(key->chain().front().get(), key->certificate());
}

TEST_F(LeafTest, EveryIssueHasAFreshKeyAndSerial) {
  auto a = ca.issue(id, 24h);
  auto b = ca.issue(id, 24h);
  EXPECT_NE(a->serialHex, b->serialHex);
  EXPECT_EQ(EVP_PKEY_eq(a->privateKey(), b->privateKey()), 0);

  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(a->certificate()), nullptr));
  char* hex = BN_bn2hex(serial.get());
  EXPECT_EQ(a->serialHex, hex);
  OPENSSL_free(hex);
}

TEST_F(LeafTest, VerifiesAgainstTheRootEvenStrictly) {
  auto key = ca.issue(id, 24h);
  VerifyResult result = verifyPeer(key->certificate(), nullptr, ca.root(), system_clock::now());
  EXPECT_TRUE(result.ok) << result.reason;
  EXPECT_EQ(result.id, id);
  EXPECT_EQ(result.reason, "");

  // RFC 5280 conformance as OpenSSL's strict mode checks it, for both root and leaf.
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.root());
  X509StoreCtxPtr context(X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), key->certificate(), nullptr);
  X509_STORE_CTX_set_flags(context.get(), X509_V_FLAG_X509_STRICT);
  X509_STORE_CTX_set_purpose(context.get(), X509_PURPOSE_SSL_SERVER);
  EXPECT_EQ(X509_verify_cert(context.get()), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
  X509StoreCtxPtr client(X509_STORE_CTX_new());
  X509_STORE_CTX_init(client.get(), store.get(), key->certificate(), nullptr);
  X509_STORE_CTX_set_flags(client.get(), X509_V_FLAG_X509_STRICT);
  X509_STORE_CTX_set_purpose(client.get(), X509_PURPOSE_SSL_CLIENT);
  EXPECT_EQ(X509_verify_cert(client.get()), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(client.get()));
}

TEST_F(LeafTest, ConcurrentIssuesShareTheRootSafely) {
  std::vector<std::shared_ptr<const CertifiedKey>> keys(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    threads.emplace_back([&, i] { keys[i] = ca.issue(id, 1h); });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> serials;
  for (const auto& key : keys) {
    ASSERT_NE(key, nullptr);
    serials.insert(key->serialHex);
    EXPECT_TRUE(verifyPeer(key->certificate(), nullptr, ca.root(), system_clock::now()).ok);
  }
  EXPECT_EQ(serials.size(), keys.size());
}

TEST_F(LeafTest, AReopenedCaIssuesLeavesTheFirstRootAccepts) {
  LocalCa again = LocalCa::openOrCreate(tmp.path());
  auto key = again.issue(id, 24h);
  EXPECT_TRUE(verifyPeer(key->certificate(), nullptr, ca.root(), system_clock::now()).ok);
}

TEST_F(LeafTest, RefusesForeignTrustDomainAndBadLifetimes) {
  EXPECT_THROW(ca.issue(SpiffeId("example.org", "foo", "bar"), 24h), std::invalid_argument);
  EXPECT_THROW(ca.issue(id, 0s), std::invalid_argument);
  EXPECT_THROW(ca.issue(id, -1s), std::invalid_argument);
  EXPECT_THROW(ca.issue(id, std::chrono::hours(24 * 365 * 11)), std::invalid_argument);
}

TEST_F(LeafTest, PemExportIsTheLeafAndParsesBack) {
  auto key = ca.issue(id, 24h);
  std::string pem = certificatePem(*key);
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(pem.find("PRIVATE KEY"), std::string::npos);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr parsed(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(X509_cmp(parsed.get(), key->certificate()), 0);
  EXPECT_EQ(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), nullptr);  // just one
  ERR_clear_error();
}

TEST_F(LeafTest, CertifiedKeyRejectsMismatchedOrAnonymousMaterial) {
  auto key = ca.issue(id, 24h);
  EXPECT_THROW(CertifiedKey(upRef(key->certificate()), test::newKey()), std::invalid_argument);
  EXPECT_THROW(CertifiedKey(nullptr, test::newKey()), std::invalid_argument);
  EXPECT_THROW(CertifiedKey(upRef(key->certificate()), nullptr), std::invalid_argument);
  // A matching pair without a SPIFFE identity.
  EvpPkeyPtr own = test::newKey();
  X509Ptr anonymous = test::makeCert({{"DNS:example.com"}}, own.get(), nullptr, own.get());
  EXPECT_THROW(CertifiedKey(std::move(anonymous), std::move(own)), std::invalid_argument);
  // The same objects, shared, make an equal CertifiedKey.
  CertifiedKey copy(upRef(key->certificate()), upRef(key->privateKey()));
  EXPECT_EQ(copy.id, key->id);
  EXPECT_EQ(copy.serialHex, key->serialHex);
  EXPECT_EQ(copy.notAfter, key->notAfter);
}

}  // namespace
}  // namespace ztls::identity
