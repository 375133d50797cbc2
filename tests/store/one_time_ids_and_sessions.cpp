// Conformance: jti_store and session_store (store/concepts.hpp). A one-time id (the `jti` of
// a private_key_jwt assertion, RFC 7523 §3 item 7) is accepted once within its lifetime; a
// browser session lives under the hash of its id until it expires or is deleted.
#include "conformance.hpp"

using namespace tessera::store;
using namespace tessera::store::test;

TEMPLATE_TEST_CASE("a one-time id is accepted once within its lifetime, then refused", "[store][jti]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto expires = t0 + 5min;

  CHECK(c.s.use_once("flytepropeller:jti-1", expires, t0));
  CHECK_FALSE(c.s.use_once("flytepropeller:jti-1", expires, t0));
  CHECK_FALSE(c.s.use_once("flytepropeller:jti-1", expires, t0 + 1min));
  CHECK_FALSE(c.s.use_once("flytepropeller:jti-1", expires, expires - 1s));
}

TEMPLATE_TEST_CASE("a one-time id is accepted again once its lifetime is over, for a new lifetime", "[store][jti]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  REQUIRE(c.s.use_once("flytepropeller:jti-1", t0 + 5min, t0));

  CHECK(c.s.use_once("flytepropeller:jti-1", t0 + 15min, t0 + 5min));
  CHECK_FALSE(c.s.use_once("flytepropeller:jti-1", t0 + 25min, t0 + 15min - 1s));
  CHECK(c.s.use_once("flytepropeller:jti-1", t0 + 25min, t0 + 15min));
}

TEMPLATE_TEST_CASE("one-time ids are independent of each other", "[store][jti]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  CHECK(c.s.use_once("flytepropeller:jti-1", t0 + 5min, t0));
  CHECK(c.s.use_once("flytepropeller:jti-2", t0 + 5min, t0));
  CHECK(c.s.use_once("flyteadmin:jti-1", t0 + 5min, t0));  // same jti, another client's key
  CHECK_FALSE(c.s.use_once("flytepropeller:jti-2", t0 + 5min, t0));
}

TEMPLATE_TEST_CASE("housekeeping within a one-time id's lifetime does not let it be used again", "[store][jti]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  REQUIRE(c.s.use_once("flytepropeller:jti-1", t0 + 5min, t0));

  c.housekeep(t0 + 5min - 1s);

  CHECK_FALSE(c.s.use_once("flytepropeller:jti-1", t0 + 5min, t0 + 5min - 1s));
}

TEMPLATE_TEST_CASE("a session is found with its record until it expires", "[store][session]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto rec = session(t0 + 8h);
  c.s.put_session(key("session-1"), rec);

  auto found = c.s.find_session(key("session-1"), t0);
  REQUIRE(found);
  CHECK(same(*found, rec));
  CHECK(c.s.find_session(key("session-1"), t0 + 8h - 1s));
  CHECK_FALSE(c.s.find_session(key("session-1"), t0 + 8h));
  CHECK_FALSE(c.s.find_session(key("never-created"), t0));
  CHECK_FALSE(c.s.find_session("session-1", t0));  // raw id, not its hash
}

TEMPLATE_TEST_CASE("a deleted session is gone, its neighbours stay, and deleting an unknown one is harmless",
                   "[store][session]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_session(key("session-1"), session(t0 + 8h));
  c.s.put_session(key("session-2"), session(t0 + 8h));

  c.s.delete_session(key("session-1"));

  CHECK_FALSE(c.s.find_session(key("session-1"), t0));
  CHECK(c.s.find_session(key("session-2"), t0));
  c.s.delete_session(key("session-1"));
  c.s.delete_session(key("never-created"));
  CHECK(c.s.find_session(key("session-2"), t0));
}

TEMPLATE_TEST_CASE("housekeeping keeps a session until it expires", "[store][session]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_session(key("session-1"), session(t0 + 8h));

  c.housekeep(t0 + 8h - 1s);

  CHECK(c.s.find_session(key("session-1"), t0 + 8h - 1s));
}
