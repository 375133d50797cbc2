// Conformance: code_store (store/concepts.hpp). A code is redeemed once; every later
// presentation is a replay that carries the record, so the server can revoke what it issued
// (RFC 6749 §4.1.2, docs/security.md row 7).
#include "conformance.hpp"

using namespace tessera::store;
using namespace tessera::store::test;

TEMPLATE_TEST_CASE("a code is redeemed once, then every presentation is a replay that carries its record",
                   "[store][code]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto rec = code(t0 + 10min);
  c.s.put_code(key("code-1"), rec);

  auto first = c.s.consume_code(key("code-1"), t0 + 1s);
  CHECK(first.status == consume_status::ok);
  CHECK(same(first.record, rec));

  for (auto when : {t0 + 2s, t0 + 9min}) {
    auto again = c.s.consume_code(key("code-1"), when);
    CHECK(again.status == consume_status::replayed);
    CHECK(same(again.record, rec));
  }
}

TEMPLATE_TEST_CASE("a code presented at or after its expiry is expired, with its record", "[store][code]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto rec = code(t0 + 10min);
  c.s.put_code(key("early"), rec);
  c.s.put_code(key("at-expiry"), rec);
  c.s.put_code(key("late"), rec);

  CHECK(c.s.consume_code(key("early"), t0 + 10min - 1s).status == consume_status::ok);

  // expires_at is the first instant at which the code is dead, as `exp` is for a JWT (RFC 7519 §4.1.4).
  auto at = c.s.consume_code(key("at-expiry"), t0 + 10min);
  CHECK(at.status == consume_status::expired);
  CHECK(same(at.record, rec));

  auto late = c.s.consume_code(key("late"), t0 + 1h);
  CHECK(late.status == consume_status::expired);
  CHECK(same(late.record, rec));
}

TEMPLATE_TEST_CASE("an unknown code is unknown, and asking does not create it", "[store][code]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_code(key("code-1"), code(t0 + 10min));

  CHECK(c.s.consume_code(key("never-issued"), t0).status == consume_status::unknown);
  CHECK(c.s.consume_code(key("never-issued"), t0 + 1s).status == consume_status::unknown);
  // The raw value is not the key: only its hash is.
  CHECK(c.s.consume_code("code-1", t0).status == consume_status::unknown);
}

TEMPLATE_TEST_CASE("codes are independent: redeeming or replaying one leaves another redeemable", "[store][code]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_code(key("code-a"), code(t0 + 10min, "family-a"));
  c.s.put_code(key("code-b"), code(t0 + 10min, "family-b"));

  CHECK(c.s.consume_code(key("code-a"), t0).status == consume_status::ok);
  CHECK(c.s.consume_code(key("code-a"), t0).status == consume_status::replayed);

  auto b = c.s.consume_code(key("code-b"), t0);
  CHECK(b.status == consume_status::ok);
  CHECK(b.record.grant.family_id == "family-b");
}

TEMPLATE_TEST_CASE("housekeeping before a code expires keeps it redeemable, and keeps a redeemed one a replay",
                   "[store][code]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_code(key("unused"), code(t0 + 10min));
  c.s.put_code(key("used"), code(t0 + 10min));
  REQUIRE(c.s.consume_code(key("used"), t0 + 1s).status == consume_status::ok);

  c.housekeep(t0 + 10min - 1s);

  CHECK(c.s.consume_code(key("unused"), t0 + 10min - 1s).status == consume_status::ok);
  CHECK(c.s.consume_code(key("used"), t0 + 10min - 1s).status == consume_status::replayed);
}

TEMPLATE_TEST_CASE("an expired code that was never redeemed stays expired however often it is presented",
                   "[store][code]", TESSERA_CONFORMING_STORES) {
  // Not `replayed` the second time: the server would revoke a family that has no tokens.
  conformance<TestType> c;
  const auto rec = code(t0 + 10min);
  c.s.put_code(key("late"), rec);

  for (auto when : {t0 + 10min, t0 + 10min + 1s, t0 + 1h}) {
    auto r = c.s.consume_code(key("late"), when);
    CHECK(r.status == consume_status::expired);
    CHECK(same(r.record, rec));
  }
}

TEMPLATE_TEST_CASE("a redeemed code presented after its expiry is expired, not a replay", "[store][code]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_code(key("code-1"), code(t0 + 10min));
  REQUIRE(c.s.consume_code(key("code-1"), t0 + 1s).status == consume_status::ok);
  CHECK(c.s.consume_code(key("code-1"), t0 + 2s).status == consume_status::replayed);
  CHECK(c.s.consume_code(key("code-1"), t0 + 10min).status == consume_status::expired);
}
