#include "ztls/identity/spiffe_id.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

namespace ztls::identity {
namespace {

TEST(SpiffeIdTest, UriHasIstioShape) {
  SpiffeId id("cluster.local", "foo", "httpbin");
  EXPECT_EQ(id.uri(), "spiffe://cluster.local/ns/foo/sa/httpbin");
  EXPECT_EQ(id.trustDomain(), "cluster.local");
  EXPECT_EQ(id.namespaceName(), "foo");
  EXPECT_EQ(id.serviceAccount(), "httpbin");
}

TEST(SpiffeIdTest, ParsesValidIds) {
  struct Case {
    const char* uri;
    const char* trustDomain;
    const char* ns;
    const char* sa;
  };
  for (const Case& c : {
           Case{"spiffe://cluster.local/ns/foo/sa/httpbin", "cluster.local", "foo", "httpbin"},
           Case{"spiffe://example.org/ns/istio-system/sa/default", "example.org", "istio-system",
                "default"},
           Case{"spiffe://td/ns/a/sa/b", "td", "a", "b"},
           Case{"spiffe://my_td-1.example/ns/ns.with.dots/sa/Sa_Mixed-Case", "my_td-1.example",
                "ns.with.dots", "Sa_Mixed-Case"},
           // "ns" and "sa" are the keywords' positions, not forbidden names.
           Case{"spiffe://cluster.local/ns/sa/sa/ns", "cluster.local", "sa", "ns"},
       }) {
    SCOPED_TRACE(c.uri);
    std::optional<SpiffeId> id = SpiffeId::parse(c.uri);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->trustDomain(), c.trustDomain);
    EXPECT_EQ(id->namespaceName(), c.ns);
    EXPECT_EQ(id->serviceAccount(), c.sa);
    EXPECT_EQ(id->uri(), c.uri);  // round trip: one spelling per identity
  }
}

TEST(SpiffeIdTest, RejectsEverythingElse) {
  for (const char* uri : {
           "",
           "spiffe://",
           "spiffe:///ns/foo/sa/bar",                   // empty trust domain
           "https://cluster.local/ns/foo/sa/bar",       // wrong scheme
           "SPIFFE://cluster.local/ns/foo/sa/bar",      // scheme spelled differently
           "spiffe:/cluster.local/ns/foo/sa/bar",       // one slash
           "spiffe:cluster.local/ns/foo/sa/bar",        // no authority
           "cluster.local/ns/foo/sa/bar",               // no scheme
           "spiffe://cluster.local",                    // no path
           "spiffe://cluster.local/",                   // empty path
           "spiffe://cluster.local/ns/foo",             // missing sa
           "spiffe://cluster.local/ns/foo/sa",          // missing sa name
           "spiffe://cluster.local/ns/foo/sa/",         // empty sa name
           "spiffe://cluster.local/ns//sa/bar",         // empty namespace
           "spiffe://cluster.local//ns/foo/sa/bar",     // empty segment
           "spiffe://cluster.local/ns/foo//sa/bar",     // empty segment
           "spiffe://cluster.local/ns/foo/sa/bar/",     // trailing slash
           "spiffe://cluster.local/ns/foo/sa/bar/baz",  // extra segment
           "spiffe://cluster.local/x/ns/foo/sa/bar",    // extra leading segment
           "spiffe://cluster.local/sa/bar/ns/foo",      // swapped
           "spiffe://cluster.local/NS/foo/SA/bar",      // keywords are lowercase
           "spiffe://cluster.local/ns/./sa/bar",        // dot segments
           "spiffe://cluster.local/ns/../sa/bar",
           "spiffe://Cluster.Local/ns/foo/sa/bar",       // uppercase trust domain
           "spiffe://cluster.local:443/ns/foo/sa/bar",   // port
           "spiffe://user@cluster.local/ns/foo/sa/bar",  // user info
           "spiffe://cluster.local/ns/foo/sa/bar?x=1",   // query
           "spiffe://cluster.local/ns/foo/sa/bar#frag",  // fragment
           "spiffe://cluster.local/ns/foo/sa/bar?",      // empty query
           "spiffe://cluster.local/ns/f%6Fo/sa/bar",     // percent-encoding
           "spiffe://cluster.local/ns/foo%2Fsa/sa/bar",  // encoded slash
           "spiffe://cluster%2elocal/ns/foo/sa/bar",     // encoded trust domain
           "spiffe://cluster.local/ns/foo/sa/b r",       // space
           "spiffe://cluster.local/ns/foo/sa/bar\n",     // control character
           " spiffe://cluster.local/ns/foo/sa/bar",      // leading space
       }) {
    SCOPED_TRACE(uri);
    EXPECT_FALSE(SpiffeId::parse(uri).has_value());
  }
  using namespace std::string_view_literals;
  EXPECT_FALSE(SpiffeId::parse("spiffe://cluster.local/ns/foo/sa/b\0r"sv).has_value());
  EXPECT_FALSE(SpiffeId::parse("spiffe://cluster.local/ns/foo/sa/" + std::string(2100, 'a')));
}

TEST(SpiffeIdTest, ConstructorRejectsWhatParseRejects) {
  EXPECT_THROW(SpiffeId("Cluster.local", "foo", "bar"), std::invalid_argument);
  EXPECT_THROW(SpiffeId("cluster.local", "", "bar"), std::invalid_argument);
  EXPECT_THROW(SpiffeId("cluster.local", "foo", "a/b"), std::invalid_argument);
  EXPECT_THROW(SpiffeId("cluster.local", "..", "bar"), std::invalid_argument);
  EXPECT_THROW(SpiffeId("", "foo", "bar"), std::invalid_argument);
}

TEST(SpiffeIdTest, ComparesByParts) {
  SpiffeId a("cluster.local", "foo", "a");
  SpiffeId b("cluster.local", "foo", "b");
  EXPECT_EQ(a, *SpiffeId::parse("spiffe://cluster.local/ns/foo/sa/a"));
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  EXPECT_LT(SpiffeId("cluster.local", "bar", "z"), a);  // namespace before account
  std::set<SpiffeId> ids{b, a, a};
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(*ids.begin(), a);
}

}  // namespace
}  // namespace ztls::identity
