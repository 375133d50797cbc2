// Conformance: refresh_token_store (store/concepts.hpp). Rotation replaces a token by a child
// in its family; presenting a rotated token again, outside the grace policy, is reuse and
// revokes the whole family (OAuth 2.0 Security BCP §4.14.2, docs/security.md row 12).
#include "conformance.hpp"

using namespace tessera::store;
using namespace tessera::store::test;

namespace {
constexpr auto lifespan = std::chrono::hours(24 * 30);
}

TEMPLATE_TEST_CASE("a stored refresh token is found with its record until it expires", "[store][refresh]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto rec = refresh(t0 + lifespan);
  c.s.put_refresh(key("rt-1"), rec);

  auto found = c.s.find_refresh(key("rt-1"), t0);
  REQUIRE(found);
  CHECK(same(*found, rec));
  CHECK(c.s.find_refresh(key("rt-1"), t0 + lifespan - 1s));
  CHECK_FALSE(c.s.find_refresh(key("rt-1"), t0 + lifespan));
  CHECK_FALSE(c.s.find_refresh(key("never-issued"), t0));
}

TEMPLATE_TEST_CASE("rotation returns the presented token's record and the child inherits its grant",
                   "[store][refresh]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto rec = refresh(t0 + lifespan);
  c.s.put_refresh(key("parent"), rec);

  auto rot = c.s.rotate_refresh(key("parent"), key("child"), t0 + 1h + lifespan, t0 + 1h);
  REQUIRE(rot.status == rotate_status::ok);
  CHECK(same(rot.record, rec));

  auto child = c.s.find_refresh(key("child"), t0 + 1h);
  REQUIRE(child);
  CHECK(same(child->grant, rec.grant));
  CHECK(child->expires_at == t0 + 1h + lifespan);
  CHECK_FALSE(c.s.find_refresh(key("parent"), t0 + 1h));  // rotated: no longer live

  // The child rotates in turn.
  CHECK(c.s.rotate_refresh(key("child"), key("grandchild"), t0 + 2h + lifespan, t0 + 2h).status == rotate_status::ok);
  CHECK(c.s.find_refresh(key("grandchild"), t0 + 2h));
}

TEMPLATE_TEST_CASE("a rotated token presented again is reuse: the family dies, the new child and its access tokens with it",
                   "[store][refresh]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_refresh(key("parent"), refresh(t0 + lifespan, "family-a"));
  c.s.put_refresh(key("other"), refresh(t0 + lifespan, "family-b"));
  c.s.put_access("a-jti", access(t0 + 1h, "family-a"));
  REQUIRE(c.s.rotate_refresh(key("parent"), key("child"), t0 + lifespan, t0).status == rotate_status::ok);

  auto reuse = c.s.rotate_refresh(key("parent"), key("attacker-child"), t0 + lifespan, t0 + 1min);
  CHECK(reuse.status == rotate_status::reused);
  CHECK(reuse.record.grant.family_id == "family-a");

  CHECK(c.s.family_revoked("family-a"));
  CHECK_FALSE(c.s.find_refresh(key("child"), t0 + 1min));
  CHECK_FALSE(c.s.find_refresh(key("attacker-child"), t0 + 1min));
  CHECK(c.s.rotate_refresh(key("child"), key("grandchild"), t0 + lifespan, t0 + 2min).status == rotate_status::revoked);
  CHECK_FALSE(c.s.find_refresh(key("grandchild"), t0 + 2min));
  CHECK(c.s.access_revoked("a-jti"));
  CHECK_FALSE(c.s.find_access("a-jti"));

  CHECK_FALSE(c.s.family_revoked("family-b"));
  CHECK(c.s.find_refresh(key("other"), t0 + 2min));
}

TEMPLATE_TEST_CASE("a family revoked for reuse stays revoked as long as any of its tokens lives",
                   "[store][refresh]", TESSERA_CONFORMING_STORES) {
  // The presented token expires first; its child lives a day longer. Once housekeeping has
  // dropped the parent, the child must still be dead.
  conformance<TestType> c;
  c.s.put_refresh(key("parent"), refresh(t0 + lifespan));
  REQUIRE(c.s.rotate_refresh(key("parent"), key("child"), t0 + 24h + lifespan, t0 + 24h).status == rotate_status::ok);
  REQUIRE(c.s.rotate_refresh(key("parent"), key("x"), t0 + 48h + lifespan, t0 + 48h).status == rotate_status::reused);

  const auto later = t0 + lifespan + 12h;
  c.housekeep(later);

  CHECK(c.s.family_revoked("family-1"));
  CHECK_FALSE(c.s.find_refresh(key("child"), later));
  CHECK(c.s.rotate_refresh(key("child"), key("grandchild"), later + lifespan, later).status == rotate_status::revoked);
}

TEMPLATE_TEST_CASE("an expired refresh token does not rotate and makes no child", "[store][refresh]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto rec = refresh(t0 + lifespan);
  c.s.put_refresh(key("rt-1"), rec);

  auto rot = c.s.rotate_refresh(key("rt-1"), key("child"), t0 + 2 * lifespan, t0 + lifespan);
  CHECK(rot.status == rotate_status::expired);
  CHECK_FALSE(c.s.find_refresh(key("child"), t0 + lifespan));
  CHECK_FALSE(c.s.family_revoked("family-1"));
}

TEMPLATE_TEST_CASE("an unknown refresh token does not rotate and makes no child", "[store][refresh]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_refresh(key("rt-1"), refresh(t0 + lifespan));

  CHECK(c.s.rotate_refresh(key("never-issued"), key("child"), t0 + lifespan, t0).status == rotate_status::unknown);
  CHECK(c.s.rotate_refresh("rt-1", key("child"), t0 + lifespan, t0).status == rotate_status::unknown);  // raw value, not its hash
  CHECK_FALSE(c.s.find_refresh(key("child"), t0));
  CHECK(c.s.find_refresh(key("rt-1"), t0));
}

TEMPLATE_TEST_CASE("a token of a revoked family does not rotate and makes no child", "[store][refresh]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_refresh(key("rt-1"), refresh(t0 + lifespan));
  c.s.revoke_family("family-1", t0 + lifespan);

  CHECK_FALSE(c.s.find_refresh(key("rt-1"), t0));
  CHECK(c.s.rotate_refresh(key("rt-1"), key("child"), t0 + lifespan, t0).status == rotate_status::revoked);
  CHECK_FALSE(c.s.find_refresh(key("child"), t0));
}

TEMPLATE_TEST_CASE("revoke_refresh revokes the token's whole family, however long its members live",
                   "[store][refresh]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_refresh(key("parent"), refresh(t0 + lifespan));
  c.s.put_access("jti-1", access(t0 + 1h));
  REQUIRE(c.s.rotate_refresh(key("parent"), key("child"), t0 + 24h + lifespan, t0 + 24h).status == rotate_status::ok);

  // Revoking by the rotated parent (RFC 7009 lets a client present any token it holds).
  CHECK(c.s.revoke_refresh(key("parent")));

  CHECK(c.s.family_revoked("family-1"));
  CHECK(c.s.access_revoked("jti-1"));
  CHECK_FALSE(c.s.find_refresh(key("child"), t0 + 25h));
  const auto later = t0 + lifespan + 12h;  // the parent has expired, the child has not
  c.housekeep(later);
  CHECK_FALSE(c.s.find_refresh(key("child"), later));
  CHECK(c.s.rotate_refresh(key("child"), key("grandchild"), later + lifespan, later).status == rotate_status::revoked);

  CHECK_FALSE(c.s.revoke_refresh(key("never-issued")));
}

TEMPLATE_TEST_CASE("within the grace window a rotated token rotates again, at most max_uses times",
                   "[store][refresh][grace]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const grace_policy grace{.window = 60s, .max_uses = 2};
  c.s.put_refresh(key("parent"), refresh(t0 + lifespan));
  REQUIRE(c.s.rotate_refresh(key("parent"), key("child-0"), t0 + lifespan, t0, grace).status == rotate_status::ok);

  // Two tabs refreshing at once: each grace use gets its own live child in the family.
  CHECK(c.s.rotate_refresh(key("parent"), key("child-1"), t0 + lifespan, t0 + 10s, grace).status == rotate_status::ok);
  CHECK(c.s.rotate_refresh(key("parent"), key("child-2"), t0 + lifespan, t0 + 20s, grace).status == rotate_status::ok);
  for (auto child : {"child-0", "child-1", "child-2"}) {
    auto found = c.s.find_refresh(key(child), t0 + 20s);
    REQUIRE(found);
    CHECK(found->grant.family_id == "family-1");
  }
  CHECK_FALSE(c.s.family_revoked("family-1"));

  // The third reuse is one too many, though still inside the window.
  CHECK(c.s.rotate_refresh(key("parent"), key("child-3"), t0 + lifespan, t0 + 30s, grace).status == rotate_status::reused);
  CHECK(c.s.family_revoked("family-1"));
  for (auto child : {"child-0", "child-1", "child-2", "child-3"}) CHECK_FALSE(c.s.find_refresh(key(child), t0 + 30s));
}

TEMPLATE_TEST_CASE("after the grace window a rotated token is reuse, whatever uses are left", "[store][refresh][grace]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const grace_policy grace{.window = 60s, .max_uses = 5};
  c.s.put_refresh(key("parent"), refresh(t0 + lifespan));
  REQUIRE(c.s.rotate_refresh(key("parent"), key("child"), t0 + lifespan, t0, grace).status == rotate_status::ok);

  CHECK(c.s.rotate_refresh(key("parent"), key("late"), t0 + lifespan, t0 + 61s, grace).status == rotate_status::reused);
  CHECK(c.s.family_revoked("family-1"));
  CHECK_FALSE(c.s.find_refresh(key("child"), t0 + 61s));
  CHECK_FALSE(c.s.find_refresh(key("late"), t0 + 61s));
}

TEMPLATE_TEST_CASE("a zero grace window allows no reuse, whatever max_uses says", "[store][refresh][grace]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const grace_policy grace{.window = 0s, .max_uses = 5};
  c.s.put_refresh(key("parent"), refresh(t0 + lifespan));
  REQUIRE(c.s.rotate_refresh(key("parent"), key("child"), t0 + lifespan, t0, grace).status == rotate_status::ok);

  CHECK(c.s.rotate_refresh(key("parent"), key("again"), t0 + lifespan, t0, grace).status == rotate_status::reused);
  CHECK(c.s.family_revoked("family-1"));
  CHECK_FALSE(c.s.find_refresh(key("child"), t0));
}

TEMPLATE_TEST_CASE("grace is counted per rotated token: a child's grace is its own", "[store][refresh][grace]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const grace_policy grace{.window = 60s, .max_uses = 1};
  c.s.put_refresh(key("parent"), refresh(t0 + lifespan));
  REQUIRE(c.s.rotate_refresh(key("parent"), key("child"), t0 + lifespan, t0, grace).status == rotate_status::ok);
  REQUIRE(c.s.rotate_refresh(key("parent"), key("sibling"), t0 + lifespan, t0 + 1s, grace).status == rotate_status::ok);

  // The parent's one grace use is spent; the child's is not.
  REQUIRE(c.s.rotate_refresh(key("child"), key("grandchild"), t0 + lifespan, t0 + 2s, grace).status == rotate_status::ok);
  CHECK(c.s.rotate_refresh(key("child"), key("grandchild-2"), t0 + lifespan, t0 + 3s, grace).status == rotate_status::ok);
  CHECK_FALSE(c.s.family_revoked("family-1"));
  CHECK(c.s.find_refresh(key("sibling"), t0 + 3s));
}
