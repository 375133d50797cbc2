// Findings of the attack review (issue 8), each a named test that states the attack and checks
// that nothing was issued, changed or lost. Each is a row of docs/security.md.
#include "test_server.hpp"

#include <limits>

using namespace test;

namespace {

std::string refresh_token_of(const boost::json::object& body) {
  REQUIRE(body.contains("refresh_token"));
  return std::string(body.at("refresh_token").as_string());
}

}  // namespace

TEST_CASE("row 28: a refresh asking for a wider scope is refused and does not burn the grant") {
  fixture f;
  const auto rt = refresh_token_of(f.login("all offline"));
  http::parameters p{{"grant_type", "refresh_token"}, {"refresh_token", rt}, {"client_id", "flytectl"}, {"scope", "all admin"}};
  check_error_shape(f.post_form("/oauth2/token", http::form_encode(p)), 400, "invalid_scope");
  // The client's retry with the token it holds is a retry, not a reuse: the family lives.
  auto again = f.refresh(rt);
  REQUIRE(again.result() == bhttp::status::ok);
  auto body = fixture::json(again);
  CHECK(f.active(std::string(body.at("access_token").as_string())));
  CHECK(f.refresh(refresh_token_of(body)).result() == bhttp::status::ok);
}

TEST_CASE("row 28: a store failure while refreshing leaves the presented refresh token usable") {
  fixture f;
  const auto rt = refresh_token_of(f.login("all offline"));
  f.store.fail_put_access = true;
  auto failed = f.refresh(rt);
  CHECK(failed.result_int() >= 500);
  CHECK_FALSE(fixture::json(failed).contains("access_token"));
  f.store.fail_put_access = false;
  auto retried = f.refresh(rt);
  REQUIRE(retried.result() == bhttp::status::ok);
  CHECK(f.refresh(refresh_token_of(fixture::json(retried))).result() == bhttp::status::ok);
}

TEST_CASE("row 28: a refresh token presented by another client is refused without being rotated for it") {
  fixture f;
  const auto rt = refresh_token_of(f.login("all offline"));
  auto r = f.refresh(rt, "flytepropeller");
  check_error_shape(r, 400, "invalid_grant");
  // The token is compromised: its family is revoked, for the owner too.
  check_error_shape(f.refresh(rt), 400, "invalid_grant");
}

TEST_CASE("row 29: a refresh family ends refresh_family_lifetime after the login, however often it rotates") {
  fixture f([](server::server_settings& s) { s.refresh_family_lifetime = std::chrono::hours(1); });
  // header_identity logs people in at 1'800'000'000, the fixture's start.
  auto rt = refresh_token_of(f.login("all offline"));
  f.clock.advance(std::chrono::minutes(50));
  auto r = f.refresh(rt);
  REQUIRE(r.result() == bhttp::status::ok);
  rt = refresh_token_of(fixture::json(r));
  f.clock.advance(std::chrono::minutes(10));
  auto late = f.refresh(rt);
  check_error_shape(late, 400, "invalid_grant");
  CHECK(fixture::json(late).at("error_description").as_string() == description(tessera::error::refresh_family_expired));
}

TEST_CASE("row 29: a user the identity no longer recognizes gets no new tokens by refresh") {
  fixture f;
  const auto rt = refresh_token_of(f.login("all offline", "alice"));
  f.idp.remove_user("alice");
  auto r = f.refresh(rt);
  check_error_shape(r, 400, "invalid_grant");
  CHECK(fixture::json(r).at("error_description").as_string() == description(tessera::error::grant_user_unknown));
}

TEST_CASE("row 30: introspection and userinfo answer one rule: a revoked token is inactive in both") {
  fixture f;
  auto body = f.login("all offline openid");
  const std::string at(body.at("access_token").as_string());
  CHECK(f.active(at));
  CHECK(f.userinfo(at).result() == bhttp::status::ok);
  REQUIRE(f.revoke(at).result() == bhttp::status::ok);
  CHECK_FALSE(f.active(at));
  check_error_shape(f.userinfo(at), 401, "invalid_token");
}

TEST_CASE("row 30: a token the store has no record of (a restart) is active in introspection and userinfo alike") {
  // Two servers with the same key and issuer, the second with an empty store: the first's
  // token means the same to both of its endpoints there.
  fixture f;
  auto key = f.srv.keys()->current();
  auto body = f.login("all offline openid");
  const std::string at(body.at("access_token").as_string());

  shared_clock clock;
  test_store fresh;
  header_identity idp;
  server_type restarted{default_settings(), make_clients(), server::key_set(key), fresh, idp, clock};
  transport::router router;
  restarted.install(router);
  auto introspect = fixture::form_request("/oauth2/introspect", http::form_encode({{"token", at}}), "flytepropeller",
                                          service_secret);
  introspect.prepare_payload();
  auto i = router.route(introspect, f.ctx);
  REQUIRE(i.result() == bhttp::status::ok);
  CHECK(fixture::json(i).at("active").as_bool());
  request u{bhttp::verb::get, "/oauth2/userinfo", 11};
  u.set(bhttp::field::authorization, "Bearer " + at);
  auto ui = router.route(u, f.ctx);
  REQUIRE(ui.result() == bhttp::status::ok);
  CHECK(fixture::json(ui).at("sub").as_string() == "alice");
}

TEST_CASE("row 31: another client cannot introspect a refresh token's subject and scope") {
  fixture f;
  const auto rt = refresh_token_of(f.login("all offline"));  // flytectl's token
  auto seen = f.introspect(rt, "flytepropeller");            // asked by another client
  CHECK_FALSE(seen.at("active").as_bool());
  CHECK_FALSE(seen.contains("sub"));
  CHECK_FALSE(seen.contains("scope"));
  // The token itself is untouched.
  CHECK(f.refresh(rt).result() == bhttp::status::ok);
}

TEST_CASE("row 31: a client granted introspection of others sees other clients' refresh tokens") {
  fixture f;
  server::client_registry reg = make_clients();
  // A resource server the operator allows to introspect everything.
  server::client rs;
  rs.id = "resource-server";
  std::error_code ec;
  rs.add_flyte_secret(service_secret_hash(), ec);
  REQUIRE_FALSE(ec);
  rs.introspects_others = true;
  REQUIRE(reg.add(rs) == server::client_problem::none);
  shared_clock clock;
  test_store st;
  header_identity idp;
  server_type srv{default_settings(), std::move(reg), server::key_set(jose::jwk::generate(jose::algorithm::ES256)), st, idp, clock};
  transport::router router;
  srv.install(router);
  auto send = [&](request req) {
    req.prepare_payload();
    return router.route(req, f.ctx);
  };
  pkce_pair pk;
  request a{bhttp::verb::get, "/oauth2/authorize?" + http::form_encode(fixture::code_request(pk, "all offline")), 11};
  a.set("X-Test-User", "alice");
  remember_consent(st, "alice", "flytectl", "all offline");
  auto code = fixture::code_of(send(std::move(a)));
  auto tok = send(fixture::form_request("/oauth2/token", http::form_encode({{"grant_type", "authorization_code"},
                                                                           {"code", code},
                                                                           {"redirect_uri", cli_redirect},
                                                                           {"client_id", "flytectl"},
                                                                           {"code_verifier", pk.verifier}})));
  REQUIRE(tok.result() == bhttp::status::ok);
  const auto rt = refresh_token_of(fixture::json(tok));
  auto seen = send(fixture::form_request("/oauth2/introspect", http::form_encode({{"token", rt}}), "resource-server", service_secret));
  REQUIRE(seen.result() == bhttp::status::ok);
  auto o = fixture::json(seen);
  CHECK(o.at("active").as_bool());
  CHECK(o.at("sub").as_string() == "alice");
}

TEST_CASE("row 32: the audience /config/v1/flyte_client advertises is accepted where Flyte's clients send it") {
  // Flyte advertises none by default; a deployment that sets thirdPartyConfig.flyteClient.audience
  // gets that one sent back.
  CHECK(fixture::json(fixture().get("/config/v1/flyte_client")).at("audience").as_string() == "");
  fixture f([](tessera::server::server_settings& s) { s.flyte_client.audience = "https://flyte.example.com/api"; });
  auto cfg = fixture::json(f.get("/config/v1/flyte_client"));
  const std::string audience(cfg.at("audience").as_string());
  REQUIRE(audience == "https://flyte.example.com/api");
  auto cc = f.post_form("/oauth2/token", "grant_type=client_credentials&audience=" + http::form_encode_component(audience),
                        "flytepropeller", service_secret);
  REQUIRE(cc.result() == bhttp::status::ok);
  jose::jwt_validator v(f.srv.keys()->verification_keys());
  v.issuer(issuer).audience(audience).type("at+jwt");
  auto claims = v.validate(std::string(fixture::json(cc).at("access_token").as_string()), f.clock);
  CHECK(claims.claims.at("aud").as_string() == audience);
  auto dev = f.post_form("/oauth2/device/authorize", "client_id=flytectl&audience=" + http::form_encode_component(audience));
  CHECK(dev.result() == bhttp::status::ok);
  // An audience nobody configured or advertised is still refused.
  check_error_shape(f.post_form("/oauth2/token", "grant_type=client_credentials&audience=https://elsewhere.example",
                                "flytepropeller", service_secret),
                    400, "invalid_request");
}

TEST_CASE("row 33: userinfo refuses a client-credentials token: it describes no person") {
  fixture f;
  auto cc = f.client_credentials(service_secret, "all");
  REQUIRE(cc.result() == bhttp::status::ok);
  auto r = f.userinfo(std::string(fixture::json(cc).at("access_token").as_string()));
  check_error_shape(r, 401, "invalid_token");
  CHECK(fixture::json(r).at("error_description").as_string() == description(tessera::error::token_not_for_person));
}

TEST_CASE("row 33: a person whose subject is a client's id gets no code and no device approval") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize(fixture::code_request(pk), "flytepropeller");
  REQUIRE(r.result() == bhttp::status::see_other);
  auto q = location_query(r);
  CHECK(q.count("code") == 0);
  CHECK(q["error"] == "access_denied");

  auto d = f.device_start();
  auto decided = f.device_decide(d.at("user_code").as_string(), true, "flytepropeller");
  CHECK(decided.result() == bhttp::status::forbidden);
  check_error_shape(f.device_poll(d.at("device_code").as_string()), 400, "authorization_pending");
}

TEST_CASE("row 25: a client assertion with a far-future or negative exp is refused, never replayable") {
  assertion_fixture f;
  const std::int64_t now = to_unix_seconds(f.clock.now());
  const std::int64_t exps[] = {std::int64_t{1} << 31, std::int64_t{1} << 33, 9'220'000'000'000'000'000,
                               std::numeric_limits<std::int64_t>::max(), -1, std::numeric_limits<std::int64_t>::min()};
  int i = 0;
  for (std::int64_t exp : exps) {
    INFO("exp = " << exp);
    const std::string jti = "far-" + std::to_string(i++);
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto r = f.token_with(now, exp, jti);
      check_error_shape(r, 401, "invalid_client");
    }
  }
}

TEST_CASE("row 25: an assertion living longer than the maximum is refused; a short one is used once") {
  assertion_fixture f;
  const std::int64_t now = to_unix_seconds(f.clock.now());
  check_error_shape(f.token_with(now, now + 301, "long"), 401, "invalid_client");
  REQUIRE(f.token_with(now, now + 300, "short").result() == bhttp::status::ok);
  check_error_shape(f.token_with(now, now + 300, "short"), 401, "invalid_client");
  // Its jti is kept past its life plus the leeway: still refused just before that.
  f.clock.advance(std::chrono::seconds(300 + 59));
  check_error_shape(f.token_with(now, now + 300, "short"), 401, "invalid_client");
}
