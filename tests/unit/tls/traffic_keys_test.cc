// Traffic key derivation against RFC 8448 §3 (simple 1-RTT handshake,
// TLS_AES_128_GCM_SHA256), and the cipher table.
#include "ztls/tls/traffic_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"

namespace ztls::tls::test {
namespace {

struct Rfc8448Vector {
  const char* what;
  const char* secret;
  const char* key;
  const char* iv;
};

// RFC 8448 §3: "{server} derive write traffic keys for handshake data" etc.
constexpr Rfc8448Vector kRfc8448[] = {
    {"server handshake", "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
     "3fce516009c21727d0f2e4e86ee403bc", "5d313eb2671276ee13000b30"},
    {"client handshake", "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21",
     "dbfaa693d1762c5b666af5d950258d01", "5bd3c71b836e0b76bb73265f"},
    {"server application", "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643",
     "9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984"},
    {"client application", "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5",
     "17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9"},
};

TEST(TrafficKeys, MatchRfc8448Vectors) {
  for (const Rfc8448Vector& vector : kRfc8448) {
    SCOPED_TRACE(vector.what);
    const std::vector<std::uint8_t> secret = fromHex(vector.secret);
    const auto keys = deriveTrafficKeys(MeshCipher::kAes128GcmSha256, secret);
    ASSERT_TRUE(keys.has_value());
    EXPECT_EQ(toHex(keys->key.bytes()), vector.key);
    EXPECT_EQ(toHex(keys->iv.bytes()), vector.iv);
  }
}

TEST(TrafficKeys, ExpandLabelIsTheRfc8446Construction) {
  // RFC 8448 §3 "{server} derive secret for handshake "tls13 s hs traffic"" expands from
  // the handshake secret with the transcript hash as context; the derivation of the
  // "derived" secret uses the empty hash. Check that one: HKDF-Expand-Label(early secret,
  // "derived", SHA-256(""), 32).
  const std::vector<std::uint8_t> earlySecret =
      fromHex("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
  const std::vector<std::uint8_t> emptyHash =
      fromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const SecretBytes derived =
      hkdfExpandLabel(MeshCipher::kAes128GcmSha256, earlySecret, "derived", emptyHash, 32);
  EXPECT_EQ(toHex(derived.bytes()),
            "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
}

TEST(TrafficKeys, KeyLengthFollowsTheCipher) {
  const std::vector<std::uint8_t> sha256Secret(32, 7);
  const std::vector<std::uint8_t> sha384Secret(48, 7);
  const auto aes128 = deriveTrafficKeys(MeshCipher::kAes128GcmSha256, sha256Secret);
  const auto aes256 = deriveTrafficKeys(MeshCipher::kAes256GcmSha384, sha384Secret);
  const auto chacha = deriveTrafficKeys(MeshCipher::kChacha20Poly1305Sha256, sha256Secret);
  ASSERT_TRUE(aes128 && aes256 && chacha);
  EXPECT_EQ(aes128->key.size(), 16u);
  EXPECT_EQ(aes256->key.size(), 32u);
  EXPECT_EQ(chacha->key.size(), 32u);
  for (const auto* keys : {&*aes128, &*aes256, &*chacha}) EXPECT_EQ(keys->iv.size(), 12u);
}

TEST(TrafficKeys, SecretOfTheWrongHashLengthIsRefused) {
  const std::vector<std::uint8_t> sha256Secret(32, 7);
  EXPECT_FALSE(deriveTrafficKeys(MeshCipher::kAes256GcmSha384, sha256Secret).has_value());
  EXPECT_FALSE(deriveTrafficKeys(MeshCipher::kAes128GcmSha256, {}).has_value());
}

TEST(TrafficKeys, CipherNamesRoundTrip) {
  for (const MeshCipher cipher : kMeshCiphers) {
    EXPECT_EQ(meshCipherNamed(toString(cipher)), cipher);
  }
  EXPECT_EQ(toString(MeshCipher::kAes128GcmSha256), "TLS_AES_128_GCM_SHA256");
  EXPECT_FALSE(meshCipherNamed("ECDHE-RSA-AES128-GCM-SHA256").has_value());
}

TEST(TrafficKeys, SecretBytesWipeOnMoveAndReset) {
  const std::vector<std::uint8_t> raw{1, 2, 3};
  SecretBytes first(raw);
  SecretBytes second = std::move(first);
  EXPECT_TRUE(first.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_EQ(second.size(), 3u);
  second.wipe();
  EXPECT_TRUE(second.empty());
}

}  // namespace
}  // namespace ztls::tls::test
