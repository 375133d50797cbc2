// tessera — tests/store/consents.cpp: the consent_store contract (docs/security.md row 37).
#include "conformance.hpp"

using namespace tessera::store;
using namespace tessera::store::test;

namespace {
consent_record consent(std::string scope, tessera::time_point expires_at) {
  consent_record r;
  r.scope = std::move(scope);
  r.granted_at = t0;
  r.expires_at = expires_at;
  return r;
}
}  // namespace

TEMPLATE_TEST_CASE("a consent is found per person and client until it expires", "[store][consent]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_consent("alice", "flytectl", consent("openid offline_access all", t0 + 24h));

  auto found = c.s.find_consent("alice", "flytectl", t0);
  REQUIRE(found);
  CHECK(found->scope == "openid offline_access all");
  CHECK(found->granted_at == t0);
  CHECK(found->expires_at == t0 + 24h);
  CHECK(c.s.find_consent("alice", "flytectl", t0 + 24h - 1s));
  CHECK_FALSE(c.s.find_consent("alice", "flytectl", t0 + 24h));
  CHECK_FALSE(c.s.find_consent("alice", "flyte-console", t0));  // another client
  CHECK_FALSE(c.s.find_consent("bob", "flytectl", t0));         // another person
  CHECK_FALSE(c.s.find_consent("Alice", "flytectl", t0));       // compared exactly
}

TEMPLATE_TEST_CASE("a new consent for the same person and client replaces the old one", "[store][consent]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_consent("alice", "flytectl", consent("openid", t0 + 1h));
  c.s.put_consent("alice", "flytectl", consent("openid all", t0 + 2h));

  auto found = c.s.find_consent("alice", "flytectl", t0 + 90min);
  REQUIRE(found);
  CHECK(found->scope == "openid all");
}

TEMPLATE_TEST_CASE("forgetting a person's consents forgets all of theirs and nobody else's", "[store][consent]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_consent("alice", "flytectl", consent("all", t0 + 1h));
  c.s.put_consent("alice", "pyflyte", consent("all", t0 + 1h));
  c.s.put_consent("bob", "flytectl", consent("all", t0 + 1h));
  // Subjects that extend each other must not be confused (a prefix-keyed store would).
  c.s.put_consent("alice2", "flytectl", consent("all", t0 + 1h));

  c.s.delete_consents("alice");

  CHECK_FALSE(c.s.find_consent("alice", "flytectl", t0));
  CHECK_FALSE(c.s.find_consent("alice", "pyflyte", t0));
  CHECK(c.s.find_consent("bob", "flytectl", t0));
  CHECK(c.s.find_consent("alice2", "flytectl", t0));
  c.s.delete_consents("alice");   // again: harmless
  c.s.delete_consents("nobody");  // unknown: harmless
  CHECK(c.s.find_consent("bob", "flytectl", t0));
}

TEMPLATE_TEST_CASE("a subject and a client id are kept apart however they are spelt", "[store][consent]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  // A store that joined subject and client id into one key without a length or an escape
  // would take these two for the same pair.
  c.s.put_consent("a:b", "c", consent("one", t0 + 1h));
  c.s.put_consent("a", "b:c", consent("two", t0 + 1h));
  c.s.put_consent(std::string("x\0y", 3), "z", consent("three", t0 + 1h));

  REQUIRE(c.s.find_consent("a:b", "c", t0));
  CHECK(c.s.find_consent("a:b", "c", t0)->scope == "one");
  REQUIRE(c.s.find_consent("a", "b:c", t0));
  CHECK(c.s.find_consent("a", "b:c", t0)->scope == "two");
  CHECK_FALSE(c.s.find_consent("x", "z", t0));
  CHECK(c.s.find_consent(std::string("x\0y", 3), "z", t0));
}

TEMPLATE_TEST_CASE("housekeeping keeps a consent until it expires and then forgets it", "[store][consent]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_consent("alice", "flytectl", consent("all", t0 + 1h));
  c.s.put_consent("alice", "pyflyte", consent("all", t0 + 3h));

  c.housekeep(t0 + 1h - 1s);
  CHECK(c.s.find_consent("alice", "flytectl", t0 + 1h - 1s));

  c.housekeep(t0 + 2h);
  CHECK_FALSE(c.s.find_consent("alice", "flytectl", t0 + 2h));
  CHECK(c.s.find_consent("alice", "pyflyte", t0 + 2h));
}
