// Resource bounds of what the server keeps for unauthenticated or barely authenticated callers
// (issue 8, findings 1 and 12; docs/security.md rows 21 and 45): device authorizations are capped
// per client, per address and in all, every kept string has a bounded length, and user codes
// never collide. Memory is counted through the store (entries), not the process size.
#include "test_server.hpp"

#include <string>

using namespace test;

namespace {

response device_authorize(const fixture& f, std::string_view extra = {}) {
  return f.post_form("/oauth2/device/authorize", "client_id=flytectl&scope=all" + std::string(extra));
}

}  // namespace

TEST_CASE("row 21: a device-authorization flood from one address is capped, and others still get codes") {
  fixture f([](server::server_settings& s) { s.device_authorization_caps = {.per_client = 100, .per_address = 5, .total = 1000}; });
  int ok = 0;
  for (int i = 0; i < 300; ++i) {
    auto r = device_authorize(f);
    if (r.result() == bhttp::status::ok) {
      ++ok;
      continue;
    }
    check_error_shape(r, 429, "slow_down");
    CHECK(r[bhttp::field::retry_after] == "30");
  }
  CHECK(ok == 5);
  CHECK(f.store.device_count() == 5);

  // Another address is not held back, and its flow completes.
  f.ctx.peer_address = "198.51.100.7";
  auto start = f.device_start();
  CHECK(f.store.device_count() == 6);
  REQUIRE(f.device_decide(std::string(start.at("user_code").as_string()), true).result() == bhttp::status::ok);
  f.clock.advance(std::chrono::seconds(5));
  CHECK(f.device_poll(std::string(start.at("device_code").as_string())).result() == bhttp::status::ok);
  CHECK(f.store.device_count() == 5);  // collected: its place is free again
}

TEST_CASE("row 21: a device-authorization flood from many addresses is capped per client and in all") {
  SECTION("per client") {
    fixture f([](server::server_settings& s) { s.device_authorization_caps = {.per_client = 40, .per_address = 3, .total = 1000}; });
    for (int i = 0; i < 200; ++i) {
      f.ctx.peer_address = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250);
      auto r = device_authorize(f);
      if (i < 40) CHECK(r.result() == bhttp::status::ok);
      else check_error_shape(r, 429, "slow_down");
    }
    CHECK(f.store.device_count() == 40);
    // Expired authorizations no longer count: after their lifespan, codes are given again.
    f.clock.advance(f.settings.device_code_lifespan);
    CHECK(device_authorize(f).result() == bhttp::status::ok);
    CHECK(f.store.device_count() <= 40);
  }
  SECTION("in all, and IPv6 addresses by their /64") {
    fixture f([](server::server_settings& s) { s.device_authorization_caps = {.per_client = 0, .per_address = 3, .total = 20}; });
    int ok = 0;
    for (int i = 0; i < 50; ++i) {  // one /64, many addresses: one requester
      f.ctx.peer_address = "2001:db8:1:2::" + std::to_string(i + 1);
      ok += device_authorize(f).result() == bhttp::status::ok;
    }
    CHECK(ok == 3);
    for (int i = 0; i < 100; ++i) {
      f.ctx.peer_address = "2001:db8:1:" + std::to_string(i + 10) + "::1";
      ok += device_authorize(f).result() == bhttp::status::ok;
    }
    CHECK(ok == 20);
    CHECK(f.store.device_count() == 20);
  }
}

TEST_CASE("row 21: the default caps hold a 2,000-request device flood to a bounded store") {
  fixture f;
  const auto& caps = f.settings.device_authorization_caps;
  REQUIRE(caps.per_client > 0);
  REQUIRE(caps.per_address > 0);
  REQUIRE(caps.total > 0);
  for (int i = 0; i < 2000; ++i) {
    f.ctx.peer_address = "203.0.113." + std::to_string(i % 200);
    (void)device_authorize(f, "&audience=" + std::string(100, '+'));  // 100 spaces, form-encoded
  }
  CHECK(f.store.device_count() <= std::min(caps.per_client, caps.total));
  CHECK(f.store.device_count() == std::min<std::size_t>(2000, caps.per_client));
}

TEST_CASE("row 21: a 30,000-space audience is refused, and a blank one is stored as absent") {
  fixture f;
  auto huge = device_authorize(f, "&audience=" + std::string(30000, '+'));
  check_error_shape(huge, 400, "invalid_request");
  CHECK(f.store.device_count() == 0);

  auto blank = device_authorize(f, "&audience=" + std::string(50, '+'));
  REQUIRE(blank.result() == bhttp::status::ok);
  auto user_code = std::string(fixture::json(blank).at("user_code").as_string());
  std::error_code ec;
  auto rec = f.store.find_device_by_user_code(store::token_hash(server::detail::normalize_user_code(user_code)),
                                              f.srv.now(), ec);
  REQUIRE(rec);
  CHECK(rec->audience.empty());
  CHECK(rec->requester == "192.0.2.1");

  // A valid audience, repeated and padded, is stored normalized.
  auto padded = device_authorize(f, "&audience=" + http::form_encode_component("  " + issuer + "   " + issuer + " "));
  REQUIRE(padded.result() == bhttp::status::ok);
  user_code = std::string(fixture::json(padded).at("user_code").as_string());
  rec = f.store.find_device_by_user_code(store::token_hash(server::detail::normalize_user_code(user_code)), f.srv.now(), ec);
  REQUIRE(rec);
  CHECK(rec->audience == issuer);
}

TEST_CASE("row 21: an oversized scope is refused before it is split or stored") {
  fixture f;
  std::string scope;
  while (scope.size() <= store::limits::scope) scope += "all ";
  check_error_shape(device_authorize(f, "&scope=" + http::form_encode_component(scope)), 400, "invalid_request");
  CHECK(f.store.device_count() == 0);
}

TEST_CASE("row 21: huge state or nonce in an authorization request is refused, storing no code") {
  fixture f;
  const auto before = f.store.size();
  for (std::string_view name : {"state", "nonce"}) {
    INFO(name);
    pkce_pair pk;
    const std::string huge(30000, 'x');
    auto r = f.authorize(with(fixture::code_request(pk), name, huge));
    REQUIRE(r.result() == bhttp::status::see_other);
    auto q = location_query(r);
    CHECK(q["error"] == "invalid_request");
    CHECK(q.count("code") == 0);
    CHECK(q.count("state") == 0);  // a state too long is not echoed
    CHECK(f.store.size() == before);
  }
  // At the limits, the flow works.
  pkce_pair pk;
  auto p = with(with(fixture::code_request(pk), "state", std::string(store::limits::state, 's')), "nonce",
                std::string(store::limits::nonce, 'n'));
  auto r = f.authorize(p);
  auto code = fixture::code_of(r);
  CHECK(location_query(r)["state"] == std::string(store::limits::state, 's'));
  CHECK(f.redeem(code, pk.verifier).result() == bhttp::status::ok);
}

TEST_CASE("row 21: a pending authorization request of a browser that is not logged in is kept in a sealed cookie only") {
  fixture f;
  const auto before = f.store.size();
  pkce_pair pk;
  auto r = f.authorize(fixture::code_request(pk), "");  // no user: off to the login page
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK_FALSE(set_cookie_line(r, "__Host-tessera_authz").empty());
  CHECK(f.store.size() == before);
}

TEST_CASE("row 34: device user codes are drawn again when taken, never overwriting a pending one") {
  // The store contract (tests/store: "row 34: a user code that a live device authorization has is
  // refused", and the N-thread race) is what the endpoint relies on; here: many authorizations,
  // every user code maps to its own device code.
  fixture f;
  std::set<std::string> codes;
  for (int i = 0; i < 25; ++i) {
    f.ctx.peer_address = "10.1.0." + std::to_string(i);
    auto body = f.device_start();
    codes.insert(std::string(body.at("user_code").as_string()));
  }
  CHECK(codes.size() == 25);
  CHECK(f.store.device_count() == 25);
  std::error_code ec;
  for (const auto& c : codes)
    CHECK(f.store.find_device_by_user_code(store::token_hash(server::detail::normalize_user_code(c)), f.srv.now(), ec));
}
