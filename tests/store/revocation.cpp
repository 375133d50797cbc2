// Conformance: revocation_store (store/concepts.hpp). A family ties together every token of
// one authorization; revoking it kills them all. Access-token revocations are deny-list
// entries that must last at least until their `until`, and no store may keep them forever.
#include "conformance.hpp"

using namespace tessera::store;
using namespace tessera::store::test;

TEMPLATE_TEST_CASE("a recorded access token is found with its record until it is revoked", "[store][revocation]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto rec = access(t0 + 1h);
  c.s.put_access("jti-1", rec);

  auto found = c.s.find_access("jti-1");
  REQUIRE(found);
  CHECK(same(*found, rec));
  CHECK_FALSE(c.s.access_revoked("jti-1"));

  CHECK_FALSE(c.s.find_access("jti-unknown"));
  CHECK_FALSE(c.s.access_revoked("jti-unknown"));
}

TEMPLATE_TEST_CASE("revoking a family revokes every access token of it and nothing of another family",
                   "[store][revocation]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_access("a-1", access(t0 + 1h, "family-a"));
  c.s.put_access("a-2", access(t0 + 1h, "family-a"));
  c.s.put_access("b-1", access(t0 + 1h, "family-b"));

  c.s.revoke_family("family-a", t0 + 2h);

  CHECK(c.s.family_revoked("family-a"));
  CHECK_FALSE(c.s.family_revoked("family-b"));
  for (auto jti : {"a-1", "a-2"}) {
    CHECK(c.s.access_revoked(jti));
    CHECK_FALSE(c.s.find_access(jti));
  }
  CHECK_FALSE(c.s.access_revoked("b-1"));
  CHECK(c.s.find_access("b-1"));
}

TEMPLATE_TEST_CASE("an access token recorded after its family was revoked is born revoked", "[store][revocation]",
                   TESSERA_CONFORMING_STORES) {
  // The token endpoint may still be issuing from a family while a replay revokes it.
  conformance<TestType> c;
  c.s.revoke_family("family-a", t0 + 2h);
  c.s.put_access("late", access(t0 + 1h, "family-a"));

  CHECK(c.s.access_revoked("late"));
  CHECK_FALSE(c.s.find_access("late"));
}

TEMPLATE_TEST_CASE("a token never recorded is revoked by its family, named by the token itself", "[store][revocation]",
                   TESSERA_CONFORMING_STORES) {
  // Issuing writes nothing for most tokens: the bearer check passes the token's grant_id.
  conformance<TestType> c;
  c.s.revoke_family("family-a", t0 + 2h);

  CHECK(c.s.access_revoked("unrecorded-1", "family-a"));
  CHECK_FALSE(c.s.access_revoked("unrecorded-2", "family-b"));
  CHECK_FALSE(c.s.access_revoked("unrecorded-3", ""));
  CHECK_FALSE(c.s.access_revoked("unrecorded-4"));
  // A recorded token's own family counts whatever family the caller names.
  c.s.put_access("recorded", access(t0 + 1h, "family-a"));
  CHECK(c.s.access_revoked("recorded", "family-b"));
}

TEMPLATE_TEST_CASE("revoking one access token leaves its family and its siblings alive", "[store][revocation]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_access("a-1", access(t0 + 1h, "family-a"));
  c.s.put_access("a-2", access(t0 + 1h, "family-a"));

  c.s.revoke_access("a-1", t0 + 1h);

  CHECK(c.s.access_revoked("a-1"));
  CHECK_FALSE(c.s.find_access("a-1"));
  CHECK_FALSE(c.s.access_revoked("a-2"));
  CHECK(c.s.find_access("a-2"));
  CHECK_FALSE(c.s.family_revoked("family-a"));
}

TEMPLATE_TEST_CASE("a jti the store never recorded can still be revoked", "[store][revocation]",
                   TESSERA_CONFORMING_STORES) {
  // RFC 7009 revocation of a self-contained JWT needs only its jti: it is a deny-list entry.
  conformance<TestType> c;
  c.s.revoke_access("never-recorded", t0 + 1h);

  CHECK(c.s.access_revoked("never-recorded"));
  CHECK_FALSE(c.s.find_access("never-recorded"));
  CHECK_FALSE(c.s.access_revoked("other"));
}

TEMPLATE_TEST_CASE("a family revocation lasts until its `until`, and a later, shorter one does not shorten it",
                   "[store][revocation]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.revoke_family("family-a", t0 + 2h);
  c.s.revoke_family("family-a", t0 + 10min);

  c.housekeep(t0 + 2h - 1s);
  CHECK(c.s.family_revoked("family-a"));
  c.s.put_access("late", access(t0 + 2h, "family-a"));
  CHECK(c.s.access_revoked("late"));
}

TEMPLATE_TEST_CASE("an access-token revocation lasts until its `until`, past the token's own expiry",
                   "[store][revocation]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_access("jti-1", access(t0 + 5min));
  c.s.revoke_access("jti-1", t0 + 1h);
  c.s.revoke_access("never-recorded", t0 + 1h);

  c.housekeep(t0 + 1h - 1s);

  CHECK(c.s.access_revoked("jti-1"));
  CHECK(c.s.access_revoked("never-recorded"));
}

TEMPLATE_TEST_CASE("revocations are forgotten once their `until` has passed", "[store][revocation]",
                   TESSERA_CONFORMING_STORES) {
  // A deny list that only grows is a memory leak an attacker can feed (one revocation per request).
  conformance<TestType> c;
  c.s.revoke_family("family-a", t0 + 10min);
  c.s.revoke_access("never-recorded", t0 + 10min);
  c.s.revoke_family("family-b", t0 + 1h);

  c.housekeep(t0 + 10min);

  CHECK_FALSE(c.s.family_revoked("family-a"));
  CHECK_FALSE(c.s.access_revoked("never-recorded"));
  CHECK(c.s.family_revoked("family-b"));
}

TEMPLATE_TEST_CASE("a token recorded after its family's revocation, and outliving it, keeps the family revoked",
                   "[store][revocation]", TESSERA_CONFORMING_STORES) {
  // A token endpoint still issuing from a family while a replay revokes it (until its own
  // horizon): the late token expires after that `until`, and housekeeping must not drop the
  // revocation while the token lives.
  conformance<TestType> c;
  c.s.revoke_family("family-a", t0 + 1h);
  c.s.put_refresh(key("late-refresh"), refresh(t0 + 5h, "family-a"));
  c.s.revoke_family("family-b", t0 + 1h);
  c.s.put_access("late-access", access(t0 + 3h, "family-b"));

  c.housekeep(t0 + 2h);

  CHECK(c.s.family_revoked("family-a"));
  CHECK_FALSE(c.s.find_refresh(key("late-refresh"), t0 + 2h));
  CHECK(c.s.rotate_refresh(key("late-refresh"), key("child"), t0 + 6h, t0 + 2h).status == rotate_status::revoked);
  CHECK(c.s.family_revoked("family-b"));
  CHECK(c.s.access_revoked("late-access"));
  CHECK(c.s.access_revoked("unrecorded", "family-b"));
}

TEMPLATE_TEST_CASE("recording a revoked jti again does not unrevoke it", "[store][revocation]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.revoke_access("jti-1", t0 + 1h);
  c.s.put_access("jti-1", access(t0 + 30min, "family-a"));

  CHECK(c.s.access_revoked("jti-1"));
  CHECK_FALSE(c.s.find_access("jti-1"));
  c.housekeep(t0 + 1h - 1s);  // denied at least as long as the revocation said
  CHECK(c.s.access_revoked("jti-1"));
  CHECK_FALSE(c.s.family_revoked("family-a"));
}
