// Conformance: device_code_store (store/concepts.hpp, RFC 8628). A device code is decided
// once by a person (through its user code), polled by its own client only, slowed down when
// polled too fast, and collected exactly once.
#include "conformance.hpp"

using namespace tessera::store;
using namespace tessera::store::test;

namespace {
constexpr auto lifespan = std::chrono::minutes(10);
}

TEMPLATE_TEST_CASE("a pending device code is found by its user code, with its record", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const auto rec = device("WDJB-MJHT", t0 + lifespan);
  c.s.put_device(key("device-1"), rec);

  auto found = c.s.find_device_by_user_code(key("WDJB-MJHT"), t0 + 1s);
  REQUIRE(found);
  CHECK(found->client_id == rec.client_id);
  CHECK(found->scope == rec.scope);
  CHECK(found->audience == rec.audience);
  CHECK(found->user_code_hash == rec.user_code_hash);
  CHECK(found->expires_at == rec.expires_at);
  CHECK(found->state == device_state::pending);

  CHECK_FALSE(c.s.find_device_by_user_code(key("XXXX-XXXX"), t0 + 1s));
  CHECK_FALSE(c.s.find_device_by_user_code(key("device-1"), t0 + 1s));  // the device code is not a user code
}

TEMPLATE_TEST_CASE("a decided or expired device code is no longer found by its user code", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("approved"), device("AAAA-AAAA", t0 + lifespan));
  c.s.put_device(key("denied"), device("DDDD-DDDD", t0 + lifespan));
  c.s.put_device(key("expiring"), device("EEEE-EEEE", t0 + lifespan));
  REQUIRE(c.s.decide_device(key("AAAA-AAAA"), true, grant(), t0 + 1s));
  REQUIRE(c.s.decide_device(key("DDDD-DDDD"), false, {}, t0 + 1s));

  CHECK_FALSE(c.s.find_device_by_user_code(key("AAAA-AAAA"), t0 + 2s));
  CHECK_FALSE(c.s.find_device_by_user_code(key("DDDD-DDDD"), t0 + 2s));
  CHECK(c.s.find_device_by_user_code(key("EEEE-EEEE"), t0 + lifespan - 1s));
  CHECK_FALSE(c.s.find_device_by_user_code(key("EEEE-EEEE"), t0 + lifespan));
}

TEMPLATE_TEST_CASE("an approved device code is collected exactly once, with the grant", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("device-1"), device("WDJB-MJHT", t0 + lifespan));
  CHECK(c.s.poll_device(key("device-1"), "flytectl", t0).status == poll_status::pending);

  const auto g = grant("family-device");
  REQUIRE(c.s.decide_device(key("WDJB-MJHT"), true, g, t0 + 3s));

  auto polled = c.s.poll_device(key("device-1"), "flytectl", t0 + 5s);
  REQUIRE(polled.status == poll_status::approved);
  CHECK(same(polled.record.grant, g));
  CHECK(polled.record.client_id == "flytectl");
  CHECK(polled.record.scope == "offline all");

  // Consumed: nothing is left to collect, however patiently the client polls.
  CHECK(c.s.poll_device(key("device-1"), "flytectl", t0 + 15s).status == poll_status::unknown);
  CHECK(c.s.poll_device(key("device-1"), "flytectl", t0 + 60s).status == poll_status::unknown);
}

TEMPLATE_TEST_CASE("a device code is decided once: a second decision changes nothing", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("approved-first"), device("AAAA-AAAA", t0 + lifespan));
  c.s.put_device(key("denied-first"), device("DDDD-DDDD", t0 + lifespan));

  REQUIRE(c.s.decide_device(key("AAAA-AAAA"), true, grant(), t0 + 1s));
  CHECK_FALSE(c.s.decide_device(key("AAAA-AAAA"), false, {}, t0 + 2s));
  REQUIRE(c.s.decide_device(key("DDDD-DDDD"), false, {}, t0 + 1s));
  CHECK_FALSE(c.s.decide_device(key("DDDD-DDDD"), true, grant(), t0 + 2s));

  CHECK(c.s.poll_device(key("approved-first"), "flytectl", t0 + 10s).status == poll_status::approved);
  CHECK(c.s.poll_device(key("denied-first"), "flytectl", t0 + 10s).status == poll_status::denied);
}

TEMPLATE_TEST_CASE("a denied device code polls denied and never approved", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("device-1"), device("WDJB-MJHT", t0 + lifespan));
  REQUIRE(c.s.decide_device(key("WDJB-MJHT"), false, {}, t0 + 1s));

  CHECK(c.s.poll_device(key("device-1"), "flytectl", t0 + 5s).status == poll_status::denied);
  auto after = c.s.poll_device(key("device-1"), "flytectl", t0 + 15s).status;
  CHECK((after == poll_status::denied || after == poll_status::unknown));
}

TEMPLATE_TEST_CASE("an unknown, expired or foreign user code cannot be decided", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("device-1"), device("WDJB-MJHT", t0 + lifespan));

  CHECK_FALSE(c.s.decide_device(key("XXXX-XXXX"), true, grant(), t0 + 1s));
  CHECK_FALSE(c.s.decide_device(key("device-1"), true, grant(), t0 + 1s));  // a device code is not a user code
  CHECK_FALSE(c.s.decide_device(key("WDJB-MJHT"), true, grant(), t0 + lifespan));
  CHECK(c.s.poll_device(key("device-1"), "flytectl", t0 + lifespan).status == poll_status::expired);
}

TEMPLATE_TEST_CASE("polling too fast is slow_down, and each slow_down adds 5 s to the interval", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("device-1"), device("WDJB-MJHT", t0 + lifespan));  // interval 5 s
  auto poll = [&](time_point at) { return c.s.poll_device(key("device-1"), "flytectl", at).status; };

  CHECK(poll(t0) == poll_status::pending);
  CHECK(poll(t0 + 5s) == poll_status::pending);    // waiting exactly the interval is allowed
  CHECK(poll(t0 + 7s) == poll_status::slow_down);  // 2 s < 5 s; the interval is now 10 s
  CHECK(poll(t0 + 17s) == poll_status::pending);   // 10 s after the last poll
  CHECK(poll(t0 + 26s) == poll_status::slow_down); // 9 s: enough for 5, too fast for 10; now 15 s
  CHECK(poll(t0 + 40s) == poll_status::slow_down); // 14 s: too fast for 15; now 20 s
  CHECK(poll(t0 + 60s) == poll_status::pending);   // 20 s
  CHECK(poll(t0 + 79s) == poll_status::slow_down); // 19 s: the interval stays grown

  // A decided code polled too fast is still slow_down, and stays collectable.
  REQUIRE(c.s.decide_device(key("WDJB-MJHT"), true, grant(), t0 + 80s));
  CHECK(poll(t0 + 81s) == poll_status::slow_down);
  CHECK(poll(t0 + 81s + 30s) == poll_status::approved);
}

TEMPLATE_TEST_CASE("a device code polled at or after its expiry is expired, even if approved", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("pending"), device("PPPP-PPPP", t0 + lifespan));
  c.s.put_device(key("approved"), device("AAAA-AAAA", t0 + lifespan));
  REQUIRE(c.s.decide_device(key("AAAA-AAAA"), true, grant(), t0 + lifespan - 1s));

  CHECK(c.s.poll_device(key("pending"), "flytectl", t0 + lifespan).status == poll_status::expired);
  CHECK(c.s.poll_device(key("approved"), "flytectl", t0 + lifespan).status == poll_status::expired);
  CHECK(c.s.poll_device(key("approved"), "flytectl", t0 + lifespan + 10s).status != poll_status::approved);
}

TEMPLATE_TEST_CASE("an unknown device code polls unknown", "[store][device]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("device-1"), device("WDJB-MJHT", t0 + lifespan));

  CHECK(c.s.poll_device(key("never-issued"), "flytectl", t0).status == poll_status::unknown);
  CHECK(c.s.poll_device("device-1", "flytectl", t0).status == poll_status::unknown);  // raw value, not its hash
  CHECK(c.s.poll_device(key("WDJB-MJHT"), "flytectl", t0).status == poll_status::unknown);  // a user code
}

TEMPLATE_TEST_CASE("another client's poll is unknown and changes nothing: it neither slows nor consumes the code",
                   "[store][device]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("device-1"), device("WDJB-MJHT", t0 + lifespan, "flytectl"));
  auto poll = [&](std::string_view client, time_point at) { return c.s.poll_device(key("device-1"), client, at).status; };

  CHECK(poll("flytectl", t0) == poll_status::pending);
  // The intruder polls fast: had its polls counted, flytectl's next ones would be slow_down.
  for (auto at : {t0 + 1s, t0 + 2s, t0 + 3s, t0 + 4s}) CHECK(poll("intruder", at) == poll_status::unknown);
  CHECK(poll("flytectl", t0 + 5s) == poll_status::pending);
  CHECK(poll("intruder", t0 + 6s) == poll_status::unknown);
  CHECK(poll("flytectl", t0 + 10s) == poll_status::pending);  // interval still 5 s

  // Approved: the intruder still sees nothing, and cannot collect it first.
  REQUIRE(c.s.decide_device(key("WDJB-MJHT"), true, grant(), t0 + 11s));
  CHECK(poll("intruder", t0 + 15s) == poll_status::unknown);
  CHECK(poll("flytectl", t0 + 15s) == poll_status::approved);
}

TEMPLATE_TEST_CASE("another client's poll learns nothing of a denied or expired code", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("denied"), device("DDDD-DDDD", t0 + lifespan, "flytectl"));
  c.s.put_device(key("expired"), device("EEEE-EEEE", t0 + lifespan, "flytectl"));
  REQUIRE(c.s.decide_device(key("DDDD-DDDD"), false, {}, t0 + 1s));

  CHECK(c.s.poll_device(key("denied"), "intruder", t0 + 5s).status == poll_status::unknown);
  CHECK(c.s.poll_device(key("expired"), "intruder", t0 + lifespan).status == poll_status::unknown);
  CHECK(c.s.poll_device(key("denied"), "flytectl", t0 + 5s).status == poll_status::denied);
  CHECK(c.s.poll_device(key("expired"), "flytectl", t0 + lifespan).status == poll_status::expired);
}

TEMPLATE_TEST_CASE("housekeeping before a device code expires keeps its decision collectable", "[store][device]",
                   TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  c.s.put_device(key("device-1"), device("WDJB-MJHT", t0 + lifespan));
  REQUIRE(c.s.decide_device(key("WDJB-MJHT"), true, grant(), t0 + 1s));

  c.housekeep(t0 + lifespan - 1s);

  CHECK(c.s.poll_device(key("device-1"), "flytectl", t0 + lifespan - 1s).status == poll_status::approved);
}

TEMPLATE_TEST_CASE("row 34: a user code that a live device authorization has is refused, storing nothing",
                   "[store][device]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  REQUIRE(c.s.put_device(key("device-1"), device("WDJB-MJHT", t0 + lifespan), {}, t0) == put_device_status::ok);

  auto other = device("WDJB-MJHT", t0 + lifespan, "other-client");
  CHECK(c.s.put_device(key("device-2"), other, {}, t0 + 1s) == put_device_status::user_code_taken);
  // The first mapping is intact, and the refused device code does not exist.
  auto found = c.s.find_device_by_user_code(key("WDJB-MJHT"), t0 + 2s);
  REQUIRE(found);
  CHECK(found->client_id == "flytectl");
  CHECK(c.s.poll_device(key("device-2"), "other-client", t0 + 2s).status == poll_status::unknown);

  // Decided but not collected: still taken. Once it expired, the code may be drawn again.
  REQUIRE(c.s.decide_device(key("WDJB-MJHT"), true, grant(), t0 + 3s));
  CHECK(c.s.put_device(key("device-3"), other, {}, t0 + 4s) == put_device_status::user_code_taken);
  CHECK(c.s.put_device(key("device-4"), device("WDJB-MJHT", t0 + 2 * lifespan, "other-client"), {}, t0 + lifespan) ==
        put_device_status::ok);
  auto again = c.s.find_device_by_user_code(key("WDJB-MJHT"), t0 + lifespan + 1s);
  REQUIRE(again);
  CHECK(again->client_id == "other-client");
  CHECK(c.s.poll_device(key("device-1"), "flytectl", t0 + lifespan + 1s).status != poll_status::approved);
}

TEMPLATE_TEST_CASE("row 21: live device authorizations are capped per client, per address and in all",
                   "[store][device]", TESSERA_CONFORMING_STORES) {
  conformance<TestType> c;
  const device_caps caps{.per_client = 3, .per_address = 2, .total = 5};
  auto from = [](std::string user_code, std::string client, std::string requester) {
    auto d = device(user_code, t0 + lifespan, std::move(client));
    d.requester = std::move(requester);
    return d;
  };
  int n = 0;
  auto put = [&](std::string client, std::string requester, time_point now = t0) {
    ++n;
    return c.s.put_device(key("device-" + std::to_string(n)), from("CODE-" + std::to_string(n), client, requester), caps, now);
  };
  CHECK(put("a", "10.0.0.1") == put_device_status::ok);
  CHECK(put("a", "10.0.0.1") == put_device_status::ok);
  CHECK(put("a", "10.0.0.1") == put_device_status::address_full);
  CHECK(put("a", "10.0.0.2") == put_device_status::ok);
  CHECK(put("a", "10.0.0.3") == put_device_status::client_full);
  CHECK(put("b", "10.0.0.3") == put_device_status::ok);
  CHECK(put("b", "") == put_device_status::ok);  // no requester: not counted per address
  CHECK(put("c", "10.0.0.4") == put_device_status::store_full);
  // A refused put stored nothing.
  for (int refused : {3, 5, 8}) CHECK_FALSE(c.s.find_device_by_user_code(key("CODE-" + std::to_string(refused)), t0 + 1s));

  // A collected authorization frees its place at once; expired ones free theirs too.
  REQUIRE(c.s.decide_device(key("CODE-1"), false, {}, t0 + 1s));
  REQUIRE(c.s.poll_device(key("device-1"), "a", t0 + 10s).status == poll_status::denied);
  CHECK(put("a", "10.0.0.1", t0 + 11s) == put_device_status::ok);
  CHECK(put("c", "10.0.0.4", t0 + 12s) == put_device_status::store_full);
  CHECK(put("c", "10.0.0.4", t0 + lifespan) == put_device_status::ok);
}
