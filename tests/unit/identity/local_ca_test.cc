#include "ztls/identity/local_ca.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <stdexcept>
#include <thread>

#include "temp_dir.h"
#include "test_certs.h"

namespace ztls::identity {
namespace {

using test::der;
using test::modeOf;
using test::readFile;
using test::TempDir;
using test::writeFile;
namespace fs = std::filesystem;

std::string errorOf(const fs::path& dir) {
  try {
    LocalCa::openOrCreate(dir);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "no error";
}

TEST(LocalCaTest, CreatesRootFilesWithPrivateModes) {
  TempDir tmp;
  fs::path dir = tmp.path() / "nested" / "ca";
  LocalCa ca = LocalCa::openOrCreate(dir);

  EXPECT_EQ(modeOf(dir), 0700u);
  EXPECT_EQ(modeOf(dir / "root-key.pem"), 0600u);
  EXPECT_EQ(modeOf(dir / "root-cert.pem"), 0644u);
  EXPECT_EQ(readFile(dir / "root-cert.pem"), ca.rootPem());
  EXPECT_NE(readFile(dir / "root-key.pem").find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  // Nothing left behind from write-then-rename.
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  EXPECT_EQ(names, (std::set<std::string>{".lock", "root-cert.pem", "root-key.pem"}));
  EXPECT_EQ(ca.trustDomain(), "cluster.local");
}

TEST(LocalCaTest, ExistingDirectoryIsTightenedWhenTheRootIsCreated) {
  TempDir tmp;
  fs::permissions(tmp.path(), fs::perms(0755));
  LocalCa::openOrCreate(tmp.path());
  EXPECT_EQ(modeOf(tmp.path()), 0700u);
}

TEST(LocalCaTest, RootIsAnEcdsaCaNamedForTheTrustDomain) {
  TempDir tmp;
  LocalCa ca = LocalCa::openOrCreate(tmp.path(), "example.org");
  X509* root = ca.root();

  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(root), subject, sizeof subject);
  EXPECT_STREQ(subject, "/O=ztls/CN=ztls mesh root example.org");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(root), X509_get_issuer_name(root)), 0);
  EXPECT_EQ(X509_self_signed(root, 1), 1);
  EXPECT_EQ(X509_check_ca(root), 1);
  EXPECT_TRUE(test::extensionIsCritical(root, NID_basic_constraints));
  EXPECT_TRUE(test::extensionIsCritical(root, NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(root), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(root), nullptr);
  EXPECT_EQ(X509_get_signature_nid(root), NID_ecdsa_with_SHA256);

  EVP_PKEY* key = X509_get0_pubkey(root);
  char group[64];
  size_t groupLength = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, &groupLength), 1);
  EXPECT_STREQ(group, "prime256v1");

  // 10 years (3650 days).
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(root), X509_get0_notAfter(root)),
            1);
  EXPECT_NEAR(days, 3650, 1);

  // A random 128-bit serial: at most 17 DER content bytes (leading zero for the sign).
  const ASN1_INTEGER* serial = X509_get0_serialNumber(root);
  EXPECT_GE(ASN1_STRING_length(serial), 12);
  EXPECT_LE(ASN1_STRING_length(serial), 17);
}

TEST(LocalCaTest, ReopeningGivesTheSameRoot) {
  TempDir tmp;
  std::string first = der(LocalCa::openOrCreate(tmp.path()).root());
  std::string keyBefore = readFile(tmp.path() / "root-key.pem");
  LocalCa again = LocalCa::openOrCreate(tmp.path());
  EXPECT_EQ(der(again.root()), first);
  EXPECT_EQ(readFile(tmp.path() / "root-key.pem"), keyBefore);
}

TEST(LocalCaTest, ConcurrentThreadsAgreeOnOneRoot) {
  TempDir tmp;
  fs::path dir = tmp.path() / "ca";
  constexpr int kThreads = 4;
  std::string roots[kThreads];
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        roots[i] = der(LocalCa::openOrCreate(dir).root());
      } catch (const std::exception& error) {
        roots[i] = std::string("error: ") + error.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_FALSE(roots[0].starts_with("error: ")) << roots[0];
  for (int i = 1; i < kThreads; ++i) EXPECT_EQ(roots[i], roots[0]);
  EXPECT_EQ(roots[0], der(LocalCa::openOrCreate(dir).root()));
}

TEST(LocalCaTest, ConcurrentProcessesAgreeOnOneRoot) {
  TempDir tmp;
  fs::path dir = tmp.path() / "ca";
  // Both children block on the pipe until the parent closes it, then race to create.
  int start[2];
  ASSERT_EQ(::pipe(start), 0);
  pid_t children[2];
  for (int i = 0; i < 2; ++i) {
    children[i] = ::fork();
    ASSERT_GE(children[i], 0);
    if (children[i] == 0) {
      ::close(start[1]);
      char byte;
      while (::read(start[0], &byte, 1) > 0) {
      }
      int status = 0;
      try {
        writeFile(tmp.path() / ("child-" + std::to_string(i)),
                  der(LocalCa::openOrCreate(dir).root()));
      } catch (...) {
        status = 1;
      }
      ::_exit(status);
    }
  }
  ::close(start[0]);
  ::close(start[1]);
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed: " << status;
  }
  std::string first = readFile(tmp.path() / "child-0");
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(readFile(tmp.path() / "child-1"), first);
  EXPECT_EQ(der(LocalCa::openOrCreate(dir).root()), first);
}

// Damage must be reported, never repaired by making a new root.
class DamagedCaTest : public ::testing::Test {
 protected:
  void SetUp() override { LocalCa::openOrCreate(tmp.path()); }
  fs::path cert() const { return tmp.path() / "root-cert.pem"; }
  fs::path key() const { return tmp.path() / "root-key.pem"; }

  TempDir tmp;
};

TEST_F(DamagedCaTest, CorruptedKeyIsAnErrorNamingTheFile) {
  std::string keyPem = readFile(key());
  std::string certPem = readFile(cert());
  std::string corrupted = keyPem;
  corrupted[corrupted.size() / 2] = corrupted[corrupted.size() / 2] == 'A' ? 'B' : 'A';
  corrupted.resize(corrupted.size() - 40);  // and truncated
  writeFile(key(), corrupted);

  std::string error = errorOf(tmp.path());
  EXPECT_NE(error.find(key().string()), std::string::npos) << error;
  EXPECT_EQ(readFile(key()), corrupted);
  EXPECT_EQ(readFile(cert()), certPem);

  writeFile(key(), "not a key at all\n");
  error = errorOf(tmp.path());
  EXPECT_NE(error.find(key().string()), std::string::npos) << error;
  EXPECT_EQ(readFile(key()), "not a key at all\n");
  EXPECT_EQ(readFile(cert()), certPem);
}

TEST_F(DamagedCaTest, CorruptedCertificateIsAnErrorNamingTheFile) {
  std::string keyPem = readFile(key());
  writeFile(cert(), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  std::string error = errorOf(tmp.path());
  EXPECT_NE(error.find(cert().string()), std::string::npos) << error;
  EXPECT_EQ(readFile(key()), keyPem);
}

TEST_F(DamagedCaTest, KeyOfAnotherRootIsAMismatch) {
  TempDir other;
  LocalCa::openOrCreate(other.path());
  std::string otherKey = readFile(other.path() / "root-key.pem");
  std::string certPem = readFile(cert());
  writeFile(key(), otherKey);

  std::string error = errorOf(tmp.path());
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
  EXPECT_NE(error.find(key().string()), std::string::npos) << error;
  EXPECT_EQ(readFile(key()), otherKey);
  EXPECT_EQ(readFile(cert()), certPem);
}

TEST_F(DamagedCaTest, HalfARootIsAnError) {
  std::string keyPem = readFile(key());
  fs::remove(cert());
  std::string error = errorOf(tmp.path());
  EXPECT_NE(error.find(cert().string()), std::string::npos) << error;
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(cert()));
  EXPECT_EQ(readFile(key()), keyPem);

  fs::remove(key());
  writeFile(cert(), "placeholder");
  error = errorOf(tmp.path());
  EXPECT_NE(error.find(key().string()), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(key()));
}

TEST_F(DamagedCaTest, LeafCertificateInPlaceOfTheRootIsRefused) {
  // A leaf with its own key is a matching pair, but not a CA.
  EvpPkeyPtr leafKey = test::newKey();
  X509Ptr leaf = test::makeCert({}, leafKey.get(), nullptr, leafKey.get());
  BioPtr certBio(BIO_new(BIO_s_mem()));
  BioPtr keyBio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(certBio.get(), leaf.get());
  PEM_write_bio_PrivateKey(keyBio.get(), leafKey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long length = BIO_get_mem_data(certBio.get(), &data);
  writeFile(cert(), std::string(data, static_cast<std::size_t>(length)));
  length = BIO_get_mem_data(keyBio.get(), &data);
  writeFile(key(), std::string(data, static_cast<std::size_t>(length)));

  std::string error = errorOf(tmp.path());
  EXPECT_NE(error.find("not a CA"), std::string::npos) << error;
}

TEST(LocalCaTest, RejectsInvalidTrustDomain) {
  TempDir tmp;
  EXPECT_THROW(LocalCa::openOrCreate(tmp.path(), "Cluster.Local"), std::invalid_argument);
  EXPECT_THROW(LocalCa::openOrCreate(tmp.path(), ""), std::invalid_argument);
  EXPECT_FALSE(fs::exists(tmp.path() / "root-key.pem"));
}

}  // namespace
}  // namespace ztls::identity
