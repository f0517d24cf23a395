// The ClientHello sniffer on real OpenSSL hellos and on hand-built edge cases.
#include "ztls/tls/sniff.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "client_hello_capture.h"
#include "hello_builder.h"
#include "test_pki.h"
#include "ztls/tls/alpn.h"
#include "ztls/tls/context.h"

namespace ztls::tls::test {
namespace {

using namespace std::string_view_literals;

const std::string kMesh(kMeshAlpn);

SniffResult sniffBytes(const Bytes& bytes) { return sniff(bytes); }

SniffResult sniffText(std::string_view text) {
  return sniff({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// Every proper prefix needs more; the whole is decided as `expected`; and what follows the
// whole never changes that.
void expectDecidedExactlyAtEnd(const Bytes& hello, SniffKind expected) {
  for (std::size_t length = 0; length < hello.size(); ++length) {
    const SniffResult partial = sniff(std::span(hello).first(length));
    ASSERT_EQ(partial.kind, SniffKind::kNeedMore)
        << "decided " << toString(partial.kind) << " (" << partial.reason << ") after " << length
        << " of " << hello.size() << " bytes";
  }
  EXPECT_EQ(sniffBytes(hello).kind, expected) << sniffBytes(hello).reason;
  for (std::uint8_t filler : {0x00, 0x16, 0xff}) {
    Bytes longer = hello;
    longer.insert(longer.end(), 3000, filler);
    EXPECT_EQ(sniffBytes(longer).kind, expected);
  }
}

TEST(Sniff, OpensslHelloOfferingTheMeshAlpnIsMeshTls) {
  const Bytes hello = captureClientHello({.alpn = {"h2", kMesh}, .serverName = "httpbin.foo"});
  const SniffResult result = sniffBytes(hello);
  EXPECT_EQ(result.kind, SniffKind::kMeshTls);
  EXPECT_EQ(result.serverName, "httpbin.foo");
  EXPECT_EQ(result.alpn, (std::vector<std::string>{"h2", kMesh}));
  expectDecidedExactlyAtEnd(hello, SniffKind::kMeshTls);
}

TEST(Sniff, MeshClientContextHelloIsMeshTls) {
  const KeyPair leaf = makeLeaf(meshRoot(), spiffeId("foo", "sleep"));
  const auto context = ClientContext::create(credentials(leaf, meshRoot()));
  const Bytes hello = captureClientHello(context->native());
  const SniffResult result = sniffBytes(hello);
  EXPECT_EQ(result.kind, SniffKind::kMeshTls);
  EXPECT_EQ(result.alpn, std::vector<std::string>{kMesh});
  expectDecidedExactlyAtEnd(hello, SniffKind::kMeshTls);
}

TEST(Sniff, OtherTlsIsTlsButNotMesh) {
  const Bytes h2 = captureClientHello({.alpn = {"h2", "http/1.1"}});
  EXPECT_EQ(sniffBytes(h2).kind, SniffKind::kTls);
  EXPECT_EQ(sniffBytes(h2).reason, "no mesh ALPN");
  EXPECT_EQ(sniffBytes(h2).alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  expectDecidedExactlyAtEnd(h2, SniffKind::kTls);

  const Bytes none = captureClientHello({.serverName = "example.com"});
  EXPECT_EQ(sniffBytes(none).kind, SniffKind::kTls);
  EXPECT_EQ(sniffBytes(none).reason, "no ALPN");
  EXPECT_EQ(sniffBytes(none).serverName, "example.com");
  expectDecidedExactlyAtEnd(none, SniffKind::kTls);
}

TEST(Sniff, VersionsAreOpensslsToJudge) {
  // A TLS 1.2-only hello offering the mesh ALPN is routed to the mesh handshake, which
  // then refuses it; the sniffer only routes.
  const Bytes hello = captureClientHello({.alpn = {kMesh}, .tls12Only = true});
  EXPECT_EQ(sniffBytes(hello).kind, SniffKind::kMeshTls);
}

TEST(Sniff, AlpnMustMatchExactly) {
  for (const char* nearMiss : {"ztls-mtls/10", "ztls-mtls/", "ZTLS-MTLS/1", "ztls-mtls/1 "}) {
    EXPECT_EQ(sniffBytes(simpleHello({nearMiss})).kind, SniffKind::kTls) << nearMiss;
  }
  EXPECT_EQ(sniffBytes(simpleHello({"a", kMesh, "b"})).kind, SniffKind::kMeshTls);
}

TEST(Sniff, HelloAcrossSeveralRecords) {
  const Bytes single = captureClientHello({.alpn = {kMesh}});
  const Bytes fragmented = refragment(single, 100);
  ASSERT_GT(fragmented.size(), single.size() + 5) << "expected more than one record";
  expectDecidedExactlyAtEnd(fragmented, SniffKind::kMeshTls);
  EXPECT_EQ(sniffBytes(refragment(single, 1)).kind, SniffKind::kTls)
      << "one byte per record needs far more records than allowed";
  EXPECT_EQ(sniffBytes(refragment(single, 1)).reason,
            "ClientHello fragmented into too many records");
}

TEST(Sniff, HeaderSplitAcrossRecords) {
  // The 4-byte handshake header itself may be fragmented (RFC 8446 §5.1).
  const Bytes message = handshakeMessage(1, helloBody({.extensions = alpnExtension({kMesh})}));
  const Bytes first(message.begin(), message.begin() + 2);
  const Bytes rest(message.begin() + 2, message.end());
  expectDecidedExactlyAtEnd(concat({record(first), record(rest, 22, 0x0303)}), SniffKind::kMeshTls);
}

TEST(Sniff, HttpIsPlaintext) {
  const SniffResult result = sniffText("GET /ip HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
  EXPECT_EQ(result.kind, SniffKind::kPlaintext);
  EXPECT_EQ(sniffText("G").kind, SniffKind::kPlaintext) << "one byte is enough";
  EXPECT_EQ(sniffText("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").kind, SniffKind::kPlaintext);
}

TEST(Sniff, Sslv2StyleHelloIsPlaintext) {
  // SSL 2.0 record header (high bit set, 15-bit length), CLIENT-HELLO, version 3.1.
  const Bytes hello = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10};
  EXPECT_EQ(sniffBytes(hello).kind, SniffKind::kPlaintext);
}

TEST(Sniff, RecordHeaderChecks) {
  EXPECT_EQ(sniffBytes({}).kind, SniffKind::kNeedMore);
  EXPECT_EQ(sniffBytes({0x16}).kind, SniffKind::kNeedMore);
  EXPECT_EQ(sniffBytes({0x16, 0x03}).kind, SniffKind::kNeedMore);
  EXPECT_EQ(sniffBytes({0x16, 0x03, 0x01, 0x41}).kind, SniffKind::kNeedMore);
  EXPECT_EQ(sniffBytes({0x17, 0x03, 0x03}).kind, SniffKind::kPlaintext) << "application data";
  EXPECT_EQ(sniffBytes({0x16, 0x02}).kind, SniffKind::kPlaintext);
  EXPECT_EQ(sniffBytes({0x16, 0x03, 0x00}).kind, SniffKind::kPlaintext) << "SSL 3.0";
  EXPECT_EQ(sniffBytes({0x16, 0x03, 0x04}).kind, SniffKind::kPlaintext);
  EXPECT_EQ(sniffBytes({0x16, 0x03, 0x01, 0x41, 0x01}).kind, SniffKind::kPlaintext)
      << "16641 is one more than a record can carry";
  EXPECT_EQ(sniffBytes({0x16, 0x03, 0x01, 0x41, 0x00}).kind, SniffKind::kNeedMore);
  EXPECT_EQ(sniffBytes({0x16, 0x03, 0x03, 0x00, 0x00}).kind, SniffKind::kTls);
}

TEST(Sniff, LaterRecordsMustBeHandshakeRecordsToo) {
  const Bytes message = handshakeMessage(1, helloBody({.extensions = alpnExtension({kMesh})}));
  const Bytes first(message.begin(), message.begin() + 10);
  const Bytes rest(message.begin() + 10, message.end());
  EXPECT_EQ(sniffBytes(concat({record(first), record(rest, 23)})).kind, SniffKind::kTls);
  EXPECT_EQ(sniffBytes(concat({record(first), record(rest, 22, 0x0200)})).kind, SniffKind::kTls);
  EXPECT_EQ(sniffBytes(concat({record(first), Bytes{0x15}})).kind, SniffKind::kTls)
      << "an alert record inside the hello";
}

TEST(Sniff, OtherHandshakeMessagesAreTls) {
  const Bytes serverHello = record(handshakeMessage(2, Bytes(40, 0)));
  EXPECT_EQ(sniff(std::span(serverHello).first(6)).kind, SniffKind::kTls)
      << "decided by the handshake type alone";
}

TEST(Sniff, OversizedHelloIsTlsWithoutWaitingForIt) {
  const Bytes header = {0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, 0xfd};
  EXPECT_EQ(sniffBytes(header).kind, SniffKind::kTls) << "16381 + 4 > 16384";
  const Bytes justFits = {0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, 0xfc};
  EXPECT_EQ(sniffBytes(justFits).kind, SniffKind::kNeedMore);
}

TEST(Sniff, MalformedHellosAreTls) {
  const Bytes mesh = alpnExtension({kMesh});
  struct Case {
    const char* name;
    Bytes body;
    std::string_view reason;
  };
  Bytes extensionsTooLong = helloBody({.extensions = mesh});
  extensionsTooLong.push_back(0x00);  // trailing byte after the extensions block
  const std::vector<Case> cases = {
      {"session id of 33", helloBody({.sessionIdLength = 33, .extensions = mesh}),
       "malformed session id"},
      {"odd cipher suites", helloBody({.cipherSuites = {0x13, 0x01, 0x13}, .extensions = mesh}),
       "malformed cipher suites"},
      {"no cipher suites", helloBody({.cipherSuites = {}, .extensions = mesh}),
       "malformed cipher suites"},
      {"no compression", helloBody({.compression = {}, .extensions = mesh}),
       "malformed compression methods"},
      {"no extensions", helloBody({.withExtensions = false}), "no extensions"},
      {"trailing bytes", extensionsTooLong, "malformed extensions"},
      {"duplicate extension", helloBody({.extensions = concat({mesh, mesh})}),
       "duplicate extension"},
      {"truncated extension", helloBody({.extensions = {0x00, 0x10, 0x00, 0x05, 0x00}}),
       "malformed extensions"},
      {"empty protocol name",
       helloBody({.extensions = extension(16, {0x00, 0x0d, 0x00, 0x0b, 'z', 't', 'l', 's', '-', 'm',
                                               't', 'l', 's', '/', '1'})}),
       "malformed ALPN extension"},
      {"ALPN list shorter than the extension",
       helloBody({.extensions = extension(16, concat({u16(5), {4, 'a', 'b', 'c', 'd', 0x00}}))}),
       "malformed ALPN extension"},
      {"empty ALPN list", helloBody({.extensions = extension(16, u16(0))}),
       "malformed ALPN extension"},
      {"empty SNI list", helloBody({.extensions = concat({extension(0, u16(0)), mesh})}),
       "malformed server_name extension"},
  };
  for (const Case& c : cases) {
    const SniffResult result = sniffBytes(record(handshakeMessage(1, c.body)));
    EXPECT_EQ(result.kind, SniffKind::kTls) << c.name;
    EXPECT_EQ(result.reason, c.reason) << c.name;
  }
}

TEST(Sniff, BytesAfterTheHelloAreNotLookedAt) {
  const Bytes message = handshakeMessage(1, helloBody({.extensions = alpnExtension({kMesh})}));
  EXPECT_EQ(sniffBytes(record(concat({message, Bytes(20, 0xee)}))).kind, SniffKind::kMeshTls);
}

TEST(Sniff, PrintableRenderings) {
  const SniffResult result = sniffBytes(simpleHello({"a\nb", kMesh}));
  EXPECT_EQ(result.kind, SniffKind::kMeshTls);
  EXPECT_EQ(result.alpn.at(0), "a?b");
}

// Garbage of every kind: decided or not, and always the same once decided.
TEST(Sniff, GarbageIsDecidedConsistently) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 2000; ++round) {
    Bytes input(1 + rng() % 300);
    for (auto& b : input) b = static_cast<std::uint8_t>(byte(rng));
    // Half the inputs start like a handshake record, so the deeper layers get garbage too.
    if (round % 2 == 0 && input.size() >= 5) {
      input[0] = 0x16;
      input[1] = 0x03;
      input[2] = 0x01;
      input[5 % input.size()] = 0x01;
    }
    const SniffResult whole = sniffBytes(input);
    if (whole.kind == SniffKind::kNeedMore) continue;
    Bytes longer = input;
    longer.insert(longer.end(), 64, 0x5a);
    ASSERT_EQ(sniffBytes(longer).kind, whole.kind) << "round " << round;
  }
  // "ga" as a record length is 26465: too long for TLS.
  EXPECT_EQ(sniffText("\x16\x03\x01garbage").kind, SniffKind::kPlaintext);
  // A plausible header, then garbage as the handshake message.
  EXPECT_EQ(sniffText("\x16\x03\x01\x00\x07garbage"sv).kind, SniffKind::kTls);
}

TEST(Sniff, EveryLongInputIsDecided) {
  // The most patient valid shape: a maximal hello header followed by filler.
  Bytes input = {0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, 0xfc};
  input.resize(kMaxSniffBytes, 0x00);
  EXPECT_NE(sniffBytes(input).kind, SniffKind::kNeedMore);
}

}  // namespace
}  // namespace ztls::tls::test
