// Store semantics matter for enforcement: creation times decide "oldest wins" between
// conflicting policies, and a rejected apply must leave the previous policy in force.
#include "ztls/config/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ztls/config/loader.h"
#include "ztls/config/model.h"

namespace ztls::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

LoadResult load(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return parseYaml(text, "store.yaml", LoadOptions{});
}

std::string serviceAccount(std::string_view name) {
  return "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: " + std::string(name) +
         "\n  namespace: foo\n";
}

std::string peerAuthentication(std::string_view mode) {
  return "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n"
         "  name: default\n  namespace: foo\nspec:\n  mtls:\n    mode: " +
         std::string(mode) + "\n";
}

ObjectKey saKey(std::string name) {
  return ObjectKey{Kind::kServiceAccount, "foo", std::move(name)};
}
const ObjectKey kPolicyKey{Kind::kPeerAuthentication, "foo", "default"};

// A clock the test moves by hand.
struct FakeClock {
  std::shared_ptr<CreationTime> now = std::make_shared<CreationTime>(1'000);
  Store::Clock clock() const {
    return [now = now] { return *now; };
  }
};

CreationTime creationOf(const Store& store, const ObjectKey& key) {
  const Object* object = store.find(key);
  return object == nullptr ? -1 : metaOf(*object).creation;
}

MtlsMode modeOf(const Store& store) {
  const Object* object = store.find(kPolicyKey);
  return object == nullptr ? MtlsMode::kUnset : std::get<PeerAuthentication>(*object).mode;
}

TEST(StoreApply, CreatesThenReapplyConfigures) {
  FakeClock clock;
  Store store(clock.clock());
  const std::string text = serviceAccount("a") + "---\n" + peerAuthentication("STRICT");

  const ApplyOutcome first = store.apply(load(text));
  EXPECT_TRUE(first.applied);
  EXPECT_THAT(first.diagnostics, IsEmpty());
  EXPECT_THAT(first.changes,
              ElementsAre(Pair(saKey("a"), Change::kCreated), Pair(kPolicyKey, Change::kCreated)));
  EXPECT_EQ(store.objects().size(), 2u);

  const ApplyOutcome second = store.apply(load(text));
  EXPECT_TRUE(second.applied);
  EXPECT_THAT(second.changes, ElementsAre(Pair(saKey("a"), Change::kConfigured),
                                          Pair(kPolicyKey, Change::kConfigured)));
  EXPECT_EQ(store.objects().size(), 2u);
}

TEST(StoreApply, ReapplyReplacesTheContent) {
  Store store(FakeClock{}.clock());
  ASSERT_TRUE(store.apply(load(peerAuthentication("STRICT"))).applied);
  EXPECT_EQ(modeOf(store), MtlsMode::kStrict);
  ASSERT_TRUE(store.apply(load(peerAuthentication("PERMISSIVE"))).applied);
  EXPECT_EQ(modeOf(store), MtlsMode::kPermissive);
}

TEST(StoreApply, ReplacedObjectsStayValidForHoldersOfTheOldSnapshot) {
  Store store(FakeClock{}.clock());
  ASSERT_TRUE(store.apply(load(peerAuthentication("STRICT"))).applied);
  const Store::Objects snapshot = store.objects();
  ASSERT_TRUE(store.apply(load(peerAuthentication("DISABLE"))).applied);
  ASSERT_EQ(snapshot.count(kPolicyKey), 1u);
  EXPECT_EQ(std::get<PeerAuthentication>(*snapshot.at(kPolicyKey)).mode, MtlsMode::kStrict);
  EXPECT_EQ(modeOf(store), MtlsMode::kDisable);
}

TEST(StoreApply, DuplicateInOneLoadIsCreatedThenConfigured) {
  Store store(FakeClock{}.clock());
  const ApplyOutcome outcome =
      store.apply(load(peerAuthentication("STRICT") + "---\n" + peerAuthentication("DISABLE")));
  EXPECT_TRUE(outcome.applied);
  EXPECT_THAT(outcome.changes, ElementsAre(Pair(kPolicyKey, Change::kCreated),
                                           Pair(kPolicyKey, Change::kConfigured)));
  EXPECT_EQ(modeOf(store), MtlsMode::kDisable);  // later documents win, as with kubectl apply
}

TEST(StoreApply, WarningsAreReportedAndDoNotBlockTheApply) {
  Store store(FakeClock{}.clock());
  const ApplyOutcome outcome = store.apply(load(peerAuthentication("STRICT") + "  extra: 1\n"));
  EXPECT_TRUE(outcome.applied);
  ASSERT_EQ(outcome.diagnostics.size(), 1u);
  EXPECT_EQ(outcome.diagnostics[0].severity, Severity::kWarning);
  EXPECT_NE(store.find(kPolicyKey), nullptr);
}

// ---- Creation time --------------------------------------------------------------------

TEST(StoreCreation, FirstApplyTakesTheClockAndReapplyKeepsIt) {
  FakeClock clock;
  Store store(clock.clock());
  *clock.now = 5'000;
  ASSERT_TRUE(store.apply(load(serviceAccount("a"))).applied);
  EXPECT_EQ(creationOf(store, saKey("a")), 5'000);

  *clock.now = 9'000;
  ASSERT_TRUE(store.apply(load(serviceAccount("a") + "---\n" + serviceAccount("b"))).applied);
  EXPECT_EQ(creationOf(store, saKey("a")), 5'000);
  EXPECT_EQ(creationOf(store, saKey("b")), 9'000);
}

TEST(StoreCreation, DeclaredCreationTimestampWins) {
  FakeClock clock;
  Store store(clock.clock());
  *clock.now = 5'000;
  ASSERT_TRUE(store.apply(load(serviceAccount("a"))).applied);
  EXPECT_EQ(creationOf(store, saKey("a")), 5'000);

  // A declared timestamp overrides both the clock and the time the store first saw it.
  *clock.now = 9'000;
  const std::string declared =
      serviceAccount("a") + "  creationTimestamp: \"2024-05-01T12:00:00Z\"\n---\n" +
      serviceAccount("b") + "  creationTimestamp: \"2024-05-01T12:00:01Z\"\n";
  ASSERT_TRUE(store.apply(load(declared)).applied);
  EXPECT_EQ(creationOf(store, saKey("a")), 1714564800LL * 1'000'000'000LL);
  EXPECT_EQ(creationOf(store, saKey("b")), 1714564801LL * 1'000'000'000LL);
}

TEST(StoreCreation, StandingClockStillYieldsStrictlyIncreasingTimesInApplyOrder) {
  FakeClock clock;
  *clock.now = 42;
  Store store(clock.clock());
  ASSERT_TRUE(store
                  .apply(load(serviceAccount("c") + "---\n" + serviceAccount("a") + "---\n" +
                              serviceAccount("b")))
                  .applied);
  ASSERT_TRUE(store.apply(load(serviceAccount("e") + "---\n" + serviceAccount("d"))).applied);

  // Apply order, not name order: c, a, b, then e, d.
  std::vector<CreationTime> times;
  for (const char* name : {"c", "a", "b", "e", "d"})
    times.push_back(creationOf(store, saKey(name)));
  EXPECT_EQ(times.front(), 42);
  for (std::size_t i = 1; i < times.size(); ++i) {
    EXPECT_LT(times[i - 1], times[i]) << "object " << i;
  }
}

TEST(StoreCreation, ClockGoingBackwardsStillYieldsIncreasingTimes) {
  FakeClock clock;
  *clock.now = 10'000;
  Store store(clock.clock());
  ASSERT_TRUE(store.apply(load(serviceAccount("a"))).applied);
  *clock.now = 100;  // e.g. an NTP step
  ASSERT_TRUE(store.apply(load(serviceAccount("b"))).applied);
  EXPECT_LT(creationOf(store, saKey("a")), creationOf(store, saKey("b")));
}

TEST(StoreCreation, SystemClockIsNanosecondsSinceTheEpoch) {
  const CreationTime now = Store::systemClock();
  EXPECT_GT(now, 1714564800LL * 1'000'000'000LL);  // after 2024-05-01
}

// ---- All or nothing -------------------------------------------------------------------

TEST(StoreAllOrNothing, BadLoadChangesNothingAndThePreviousStateStays) {
  FakeClock clock;
  Store store(clock.clock());
  ASSERT_TRUE(
      store.apply(load(serviceAccount("a") + "---\n" + peerAuthentication("STRICT"))).applied);
  const Store::Objects before = store.objects();
  const std::uint64_t generation = store.generation();

  // The good documents around the bad one would weaken the policy and add an object.
  *clock.now = 99'000;
  const ApplyOutcome outcome =
      store.apply(load(peerAuthentication("DISABLE") + "---\n" + serviceAccount("new") + "---\n" +
                       serviceAccount("Bad")));
  EXPECT_FALSE(outcome.applied);
  EXPECT_THAT(outcome.changes, IsEmpty());
  ASSERT_EQ(outcome.diagnostics.size(), 1u);
  EXPECT_EQ(outcome.diagnostics[0].severity, Severity::kError);
  EXPECT_EQ(store.generation(), generation);
  EXPECT_EQ(store.objects(), before);  // same keys, same shared objects
  EXPECT_EQ(modeOf(store), MtlsMode::kStrict);
  EXPECT_EQ(store.find(saKey("new")), nullptr);
}

TEST(StoreAllOrNothing, ResultWithAnErrorIsRejectedEvenIfItCarriesObjects) {
  // The loader never hands out objects with an error, but the store must not rely on it.
  Store store(FakeClock{}.clock());
  ASSERT_TRUE(store.apply(load(peerAuthentication("STRICT"))).applied);
  LoadResult tampered = load(peerAuthentication("DISABLE"));
  ASSERT_EQ(tampered.objects.size(), 1u);
  tampered.diagnostics.push_back(
      Diagnostic{Severity::kError, SourceLocation{"x.yaml", 3}, "", "", "injected"});
  const std::uint64_t generation = store.generation();

  const ApplyOutcome outcome = store.apply(std::move(tampered));
  EXPECT_FALSE(outcome.applied);
  EXPECT_THAT(outcome.changes, IsEmpty());
  EXPECT_EQ(modeOf(store), MtlsMode::kStrict);
  EXPECT_EQ(store.generation(), generation);
}

TEST(StoreAllOrNothing, RejectedApplyDoesNotConsumeCreationTimes) {
  FakeClock clock;
  *clock.now = 7;
  Store store(clock.clock());
  ASSERT_TRUE(store.apply(load(serviceAccount("a"))).applied);
  EXPECT_FALSE(store.apply(load(serviceAccount("b") + "---\n" + serviceAccount("Bad"))).applied);
  ASSERT_TRUE(store.apply(load(serviceAccount("b"))).applied);
  EXPECT_EQ(creationOf(store, saKey("a")), 7);
  EXPECT_EQ(creationOf(store, saKey("b")), 8);
}

// ---- remove and generation ------------------------------------------------------------

TEST(StoreRemove, RemovesOnlyExistingObjects) {
  Store store(FakeClock{}.clock());
  ASSERT_TRUE(store.apply(load(serviceAccount("a") + "---\n" + serviceAccount("b"))).applied);
  EXPECT_TRUE(store.remove(saKey("a")));
  EXPECT_EQ(store.find(saKey("a")), nullptr);
  EXPECT_NE(store.find(saKey("b")), nullptr);
  EXPECT_FALSE(store.remove(saKey("a")));
  EXPECT_FALSE(store.remove(ObjectKey{Kind::kPod, "foo", "b"}));  // same name, other kind
  EXPECT_EQ(store.objects().size(), 1u);
}

TEST(StoreRemove, ReapplyAfterRemoveIsACreationWithANewTime) {
  FakeClock clock;
  Store store(clock.clock());
  ASSERT_TRUE(store.apply(load(serviceAccount("a"))).applied);
  ASSERT_TRUE(store.remove(saKey("a")));
  *clock.now = 50'000;
  const ApplyOutcome outcome = store.apply(load(serviceAccount("a")));
  EXPECT_THAT(outcome.changes, ElementsAre(Pair(saKey("a"), Change::kCreated)));
  EXPECT_EQ(creationOf(store, saKey("a")), 50'000);
}

TEST(StoreGeneration, BumpsOnlyOnSuccessfulChanges) {
  Store store(FakeClock{}.clock());
  EXPECT_EQ(store.generation(), 0u);

  ASSERT_TRUE(store.apply(load(serviceAccount("a"))).applied);
  const std::uint64_t afterApply = store.generation();
  EXPECT_GT(afterApply, 0u);

  EXPECT_FALSE(store.apply(load(serviceAccount("Bad"))).applied);
  EXPECT_EQ(store.generation(), afterApply);

  EXPECT_FALSE(store.remove(saKey("missing")));
  EXPECT_EQ(store.generation(), afterApply);

  EXPECT_TRUE(store.remove(saKey("a")));
  const std::uint64_t afterRemove = store.generation();
  EXPECT_GT(afterRemove, afterApply);

  ASSERT_TRUE(store.apply(load(serviceAccount("a"))).applied);
  EXPECT_GT(store.generation(), afterRemove);
}

TEST(StoreGeneration, ApplyingNothingIsNotAChange) {
  // A file holding only skipped kinds (or nothing) changes no object, so watchers must not
  // be told the snapshot changed.
  Store store(FakeClock{}.clock());
  ASSERT_TRUE(store.apply(load(serviceAccount("a"))).applied);
  const std::uint64_t generation = store.generation();
  const ApplyOutcome outcome = store.apply(load(R"(
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: gw
)"));
  EXPECT_THAT(outcome.changes, IsEmpty());
  EXPECT_EQ(store.generation(), generation);
}

}  // namespace
}  // namespace ztls::config
