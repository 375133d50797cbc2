// The grants of the authorization server, happy paths and their defined refusals, driven
// through the router: authorization code + PKCE, client credentials, refresh rotation and the
// device authorization grant.
#include "test_server.hpp"

#include <boost/json/serialize.hpp>

// The one instantiation of the tests' server (test_server.hpp declares it extern).
template class tessera::authorization_server<test::traits, tessera::grant::authorization_code<>,
                                             tessera::grant::client_credentials, tessera::grant::refresh_token<>,
                                             tessera::grant::device_code>;

using namespace test;

namespace {

/// OIDC Core §3.1.3.6: base64url of the left half of SHA-256 of the access token (ES256 keys).
std::string expected_at_hash(std::string_view access_token) {
  auto d = crypto::sha256(access_token);
  return crypto::base64url_encode(std::span<const unsigned char>(d.data(), d.size() / 2));
}

jose::verified_jwt id_token_claims(const fixture& f, std::string_view token) {
  jose::jwt_validator v(f.srv.keys()->verification_keys());
  v.issuer(issuer).audience("flytectl").type("JWT");
  return v.validate(token, f.clock);
}

}  // namespace

// --- authorization code + PKCE ---------------------------------------------------------------

TEST_CASE("authorization code with PKCE redirects 303 with code, state and iss, then issues RFC 9068 tokens") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize(fixture::code_request(pk, "all offline openid"));
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(location_base(r) == cli_redirect);
  auto q = location_query(r);
  CHECK(q["state"] == "st4te-xyz");
  CHECK(q["iss"] == issuer);
  REQUIRE(q.count("code") == 1);
  CHECK(q["code"].size() >= 43);

  auto t = f.redeem(q["code"], pk.verifier);
  REQUIRE(t.result() == bhttp::status::ok);
  CHECK(t[bhttp::field::cache_control] == "no-store");
  auto body = fixture::json(t);
  CHECK(body.at("token_type") == "Bearer");
  CHECK(body.at("expires_in") == 1800);
  CHECK(body.at("scope") == "all offline openid");

  const auto access = std::string(body.at("access_token").as_string());
  auto at = f.access_claims(access);
  CHECK(at.header.at("typ") == "at+jwt");
  CHECK(at.header.at("kid").as_string() == f.srv.keys()->current().kid());
  CHECK(at.issuer() == issuer);
  CHECK(at.subject() == "alice");
  CHECK(at.claims.at("aud").as_string() == issuer);
  CHECK(at.string_claim("client_id") == "flytectl");
  CHECK(at.string_claim("scope") == "all offline openid");
  CHECK(boost::json::serialize(at.claims.at("scp")) == R"(["all","offline","openid"])");
  const auto now = to_unix_seconds(f.clock.now());
  CHECK(at.claims.at("iat").to_number<std::int64_t>() == now);
  CHECK(at.claims.at("exp").to_number<std::int64_t>() == now + 1800);
  CHECK(at.jwt_id().size() >= 16);
  // Flyte's user_info: who the person is, as flyteadmin's audit reads it.
  CHECK(boost::json::serialize(at.claims.at("user_info")) ==
        R"({"subject":"alice","name":"Test alice","email":"alice@example.com"})");
}

TEST_CASE("the code flow issues a refresh token only when the scope has offline") {
  fixture f;
  auto with_offline = f.login("all offline");
  REQUIRE(with_offline.contains("refresh_token"));
  CHECK(with_offline.at("refresh_token").as_string().size() >= 43);
  auto without = f.login("all");
  CHECK_FALSE(without.contains("refresh_token"));
  CHECK(without.contains("access_token"));
}

TEST_CASE("the code flow issues an ID token only when the scope has openid") {
  fixture f;
  CHECK_FALSE(f.login("all offline").contains("id_token"));
  auto body = f.login("all openid");
  REQUIRE(body.contains("id_token"));
  const auto access = std::string(body.at("access_token").as_string());
  auto id = id_token_claims(f, body.at("id_token").as_string());
  CHECK(id.subject() == "alice");
  CHECK(id.claims.at("aud") == "flytectl");
  CHECK(id.string_claim("azp") == "flytectl");
  CHECK(id.string_claim("nonce") == "n0nce-abc");
  CHECK(id.string_claim("at_hash") == expected_at_hash(access));
  CHECK(id.claims.at("auth_time").to_number<std::int64_t>() == 1'800'000'000);
  CHECK(id.string_claim("name") == "Test alice");
  CHECK(id.string_claim("email") == "alice@example.com");
  CHECK(id.header.at("typ") == "JWT");
  // An ID token is not an access token (docs/security.md row 5): the access-token validator
  // refuses it.
  CHECK_THROWS(f.access_claims(body.at("id_token").as_string()));
}

TEST_CASE("a confidential client may redeem its code without PKCE, authenticated with its secret") {
  fixture f;
  auto p = http::parameters{{"response_type", "code"}, {"client_id", "flytepropeller"}, {"scope", "all"}, {"state", "s"}};
  auto r = f.authorize(p);
  auto code = fixture::code_of(r);
  CHECK(location_base(r) == "http://localhost:3846/callback");  // the only registered URI
  auto t = f.redeem(code, "", "flytepropeller", "");
  REQUIRE(t.result() == bhttp::status::ok);
  CHECK(f.access_claims(fixture::json(t).at("access_token").as_string()).string_claim("client_id") == "flytepropeller");
}

TEST_CASE("a code is bound to its client: another client redeeming it gets invalid_grant") {
  fixture f;
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(fixture::code_request(pk)));
  auto r = f.redeem(code, pk.verifier, "flytepropeller");
  check_error_shape(r, 400, "invalid_grant");
  // ...and it was burned by the attempt.
  check_error_shape(f.redeem(code, pk.verifier), 400, "invalid_grant");
}

TEST_CASE("a code must be redeemed with the redirect URI of its authorization request") {
  fixture f;
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(fixture::code_request(pk)));
  check_error_shape(f.redeem(code, pk.verifier, "flytectl", "http://127.0.0.1:53593/callback"), 400, "invalid_grant");
}

TEST_CASE("an expired code is refused with invalid_grant") {
  fixture f;
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(fixture::code_request(pk)));
  f.clock.advance(std::chrono::minutes(5));
  check_error_shape(f.redeem(code, pk.verifier), 400, "invalid_grant");
}

TEST_CASE("a scope the client may not have is refused at authorize with invalid_scope") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize(fixture::code_request(pk, "all admin"));
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(location_base(r) == cli_redirect);
  auto q = location_query(r);
  CHECK(q["error"] == "invalid_scope");
  CHECK(q["state"] == "st4te-xyz");
  CHECK(q["iss"] == issuer);
  CHECK(q.count("code") == 0);
}

// --- client credentials ----------------------------------------------------------------------

TEST_CASE("client credentials issue an RFC 9068 access token whose subject is the client") {
  fixture f;
  auto r = f.post_form("/oauth2/token", "grant_type=client_credentials&scope=all", "flytepropeller", service_secret);
  REQUIRE(r.result() == bhttp::status::ok);
  CHECK(r[bhttp::field::cache_control] == "no-store");
  auto body = fixture::json(r);
  CHECK(body.at("token_type") == "Bearer");
  CHECK(body.at("expires_in") == 1800);
  CHECK_FALSE(body.contains("refresh_token"));
  jose::jwt_validator v(f.srv.keys()->verification_keys());
  v.issuer(issuer).audience(issuer).type("at+jwt");
  auto jwt = v.validate(body.at("access_token").as_string(), f.clock);
  CHECK(jwt.subject() == "flytepropeller");
  CHECK(jwt.string_claim("client_id") == "flytepropeller");
  CHECK(jwt.string_claim("scope") == "all");
  CHECK(jwt.header.at("kid").as_string() == f.srv.keys()->current().kid());
  CHECK_FALSE(jwt.claims.contains("user_info"));  // no person (Flyte sends null)
}

TEST_CASE("client credentials work with client_secret_post as with Basic") {
  fixture f;
  auto r = f.post_form("/oauth2/token", "grant_type=client_credentials&client_id=flytepropeller&client_secret=" +
                                            http::form_encode_component(service_secret));
  REQUIRE(r.result() == bhttp::status::ok);
  CHECK(f.access_claims(fixture::json(r).at("access_token").as_string()).subject() == "flytepropeller");
}

TEST_CASE("client credentials never come with a refresh token, even with offline granted") {
  fixture f;
  auto r = f.client_credentials(service_secret, "all offline");
  REQUIRE(r.result() == bhttp::status::ok);
  auto body = fixture::json(r);
  CHECK(body.at("scope") == "all offline");
  CHECK_FALSE(body.contains("refresh_token"));
  CHECK_FALSE(body.contains("id_token"));
}

TEST_CASE("client credentials without a scope grant every scope of the client") {
  fixture f;
  auto r = f.post_form("/oauth2/token", "grant_type=client_credentials", "flytepropeller", service_secret);
  REQUIRE(r.result() == bhttp::status::ok);
  CHECK(fixture::json(r).at("scope") == "all offline");
}

TEST_CASE("client credentials with a wrong secret are refused with 401 invalid_client") {
  fixture f;
  auto r = f.client_credentials("wrong-secret");
  check_error_shape(r, 401, "invalid_client");
  CHECK(std::string_view(r[bhttp::field::www_authenticate]).starts_with("Basic"));
}

TEST_CASE("client credentials with a scope the client may not have are refused with invalid_scope") {
  fixture f;
  check_error_shape(f.client_credentials(service_secret, "all admin"), 400, "invalid_scope");
}

// --- refresh rotation ------------------------------------------------------------------------

TEST_CASE("refresh rotates: a new refresh token, a new access token, and the old refresh token then fails") {
  fixture f;
  auto first = f.login("all offline");
  const auto rt0 = std::string(first.at("refresh_token").as_string());
  f.clock.advance(std::chrono::seconds(30));
  auto r = f.refresh(rt0);
  REQUIRE(r.result() == bhttp::status::ok);
  CHECK(r[bhttp::field::cache_control] == "no-store");
  auto body = fixture::json(r);
  const auto rt1 = std::string(body.at("refresh_token").as_string());
  CHECK(rt1 != rt0);
  CHECK(body.at("access_token") != first.at("access_token"));
  CHECK(body.at("scope") == "all offline");
  auto at = f.access_claims(body.at("access_token").as_string());
  CHECK(at.subject() == "alice");
  CHECK(at.string_claim("client_id") == "flytectl");

  check_error_shape(f.refresh(rt0), 400, "invalid_grant");
}

TEST_CASE("a refresh may narrow the access token's scope, keeps the refresh token's, and may not widen it") {
  fixture f;
  auto rt = std::string(f.login("all offline").at("refresh_token").as_string());
  auto r = f.post_form("/oauth2/token", http::form_encode({{"grant_type", "refresh_token"},
                                                            {"refresh_token", rt},
                                                            {"client_id", "flytectl"},
                                                            {"scope", "all"}}));
  REQUIRE(r.result() == bhttp::status::ok);
  auto body = fixture::json(r);
  CHECK(body.at("scope") == "all");
  // The new refresh token still reaches the client, and keeps the original grant's scope.
  REQUIRE(body.contains("refresh_token"));
  auto rt1 = std::string(body.at("refresh_token").as_string());
  auto full = f.refresh(rt1);
  REQUIRE(full.result() == bhttp::status::ok);
  CHECK(fixture::json(full).at("scope") == "all offline");
  rt1 = std::string(fixture::json(full).at("refresh_token").as_string());
  auto wider = f.post_form("/oauth2/token", http::form_encode({{"grant_type", "refresh_token"},
                                                                {"refresh_token", rt1},
                                                                {"client_id", "flytectl"},
                                                                {"scope", "all offline profile"}}));
  check_error_shape(wider, 400, "invalid_scope");
}

TEST_CASE("an unknown refresh token is refused with invalid_grant") {
  fixture f;
  check_error_shape(f.refresh(crypto::random_token<32>()), 400, "invalid_grant");
}

TEST_CASE("a refresh token presented by another client is refused and its family revoked") {
  fixture f;
  auto body = f.login("all offline");
  auto rt = std::string(body.at("refresh_token").as_string());
  check_error_shape(f.refresh(rt, "flytepropeller"), 400, "invalid_grant");
  CHECK_FALSE(f.active(body.at("access_token").as_string()));
}

TEST_CASE("a refresh token expires after its lifespan") {
  fixture f;
  auto rt = std::string(f.login("all offline").at("refresh_token").as_string());
  f.clock.advance(std::chrono::hours(1));
  check_error_shape(f.refresh(rt), 400, "invalid_grant");
}

// --- device authorization grant (RFC 8628) ---------------------------------------------------

TEST_CASE("device authorization answers codes, where to enter them, the lifetime and the interval") {
  fixture f;
  auto d = f.device_start();
  CHECK(d.at("device_code").as_string().size() >= 43);
  const auto user_code = std::string(d.at("user_code").as_string());
  CHECK(std::regex_match(user_code, std::regex("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}")));
  CHECK(d.at("verification_uri").as_string() == issuer + "/oauth2/device");
  CHECK(d.at("verification_uri_complete").as_string() == issuer + "/oauth2/device?user_code=" + user_code);
  CHECK(d.at("expires_in") == 600);
  CHECK(d.at("interval") == 5);
}

TEST_CASE("device flow: the user page shows a CSRF-protected form; approval lets the device poll its tokens") {
  fixture f;
  auto d = f.device_start("all offline");
  const auto device_code = std::string(d.at("device_code").as_string());
  const auto user_code = std::string(d.at("user_code").as_string());

  auto first = f.device_poll(device_code);
  check_error_shape(first, 400, "authorization_pending");

  auto page = f.get("/oauth2/device?user_code=" + user_code, "bob");
  REQUIRE(page.result() == bhttp::status::ok);
  check_html_page(page);
  const auto csrf = fixture::csrf_field(page);
  CHECK(csrf.size() >= 43);
  CHECK(page.body().find(user_code) != std::string::npos);
  auto line = set_cookie_line(page, fixture::device_csrf_cookie());
  REQUIRE_FALSE(line.empty());
  CHECK(line.find("HttpOnly") != std::string::npos);
  CHECK(line.find("Secure") != std::string::npos);
  CHECK(line.find(csrf) == std::string::npos);  // the cookie is sealed, not the token itself

  auto req = fixture::form_request("/oauth2/device", http::form_encode({{"csrf_token", csrf},
                                                                         {"user_code", user_code},
                                                                         {"decision", "approve"}}));
  req.set("X-Test-User", "bob");
  req.set(bhttp::field::cookie, cookie_pair(page, fixture::device_csrf_cookie()));
  auto approved = f.send(std::move(req));
  REQUIRE(approved.result() == bhttp::status::ok);
  check_html_page(approved);
  CHECK(approved.body().find("Device connected") != std::string::npos);

  f.clock.advance(std::chrono::seconds(5));
  auto t = f.device_poll(device_code);
  REQUIRE(t.result() == bhttp::status::ok);
  auto body = fixture::json(t);
  auto at = f.access_claims(body.at("access_token").as_string());
  CHECK(at.subject() == "bob");
  CHECK(at.string_claim("client_id") == "flytectl");
  CHECK(at.string_claim("scope") == "all offline");
  CHECK(body.contains("refresh_token"));

  // Exactly once: the device code is consumed.
  f.clock.advance(std::chrono::seconds(5));
  check_error_shape(f.device_poll(device_code), 400, "invalid_grant");
}

TEST_CASE("device flow: the user code is matched case- and dash-insensitively") {
  fixture f;
  auto d = f.device_start();
  auto user_code = std::string(d.at("user_code").as_string());
  std::string sloppy;
  for (char c : user_code)
    if (c != '-') sloppy.push_back(static_cast<char>(c - 'A' + 'a'));
  auto r = f.device_decide(sloppy, true);
  CHECK(r.result() == bhttp::status::ok);
  f.clock.advance(std::chrono::seconds(5));
  CHECK(f.device_poll(d.at("device_code").as_string()).result() == bhttp::status::ok);
}

TEST_CASE("device flow: polling faster than the interval answers slow_down, and the interval grows") {
  fixture f;
  auto d = f.device_start();
  const auto device_code = std::string(d.at("device_code").as_string());
  check_error_shape(f.device_poll(device_code), 400, "authorization_pending");
  f.clock.advance(std::chrono::seconds(1));
  check_error_shape(f.device_poll(device_code), 400, "slow_down");
  // The interval is now 10 s (§3.5: +5 s): 6 s later is still too fast (and it grows to 15 s)...
  f.clock.advance(std::chrono::seconds(6));
  check_error_shape(f.device_poll(device_code), 400, "slow_down");
  // ...and after a full, grown interval the device hears `authorization_pending` again.
  f.clock.advance(std::chrono::seconds(15));
  check_error_shape(f.device_poll(device_code), 400, "authorization_pending");
}

TEST_CASE("device flow: another client's poll neither consumes an approved code nor slows its device down") {
  fixture f;
  auto d = f.device_start();
  const auto device_code = std::string(d.at("device_code").as_string());
  const auto hash = store::token_hash(device_code);
  std::error_code ec;
  // Before approval: the foreign poll is answered `unknown` and leaves the polling clock alone,
  // so the device's own first poll is not a `slow_down`.
  CHECK(f.store.poll_device(hash, "flytepropeller", f.clock.now(), ec).status == store::poll_status::unknown);
  CHECK_FALSE(ec);
  check_error_shape(f.device_poll(device_code), 400, "authorization_pending");
  f.clock.advance(std::chrono::seconds(5));
  REQUIRE(f.device_decide(d.at("user_code").as_string(), true).result() == bhttp::status::ok);
  // After approval: the foreign poll gets nothing and the code is still there for its client.
  CHECK(f.store.poll_device(hash, "flytepropeller", f.clock.now(), ec).status == store::poll_status::unknown);
  auto t = f.device_poll(device_code);
  INFO(t.body());
  CHECK(t.result() == bhttp::status::ok);
}

namespace {
/// Posts the device page's form as `user`, with the CSRF token and cookie of a fresh page.
response device_form_post(const fixture& f, http::parameters fields, const std::string& user = "alice") {
  auto page = f.get("/oauth2/device", user);
  REQUIRE(page.result() == bhttp::status::ok);
  fields.add("csrf_token", fixture::csrf_field(page));
  auto req = fixture::form_request("/oauth2/device", http::form_encode(fields));
  req.set("X-Test-User", user);
  req.set(bhttp::field::cookie, cookie_pair(page, fixture::device_csrf_cookie()));
  return f.send(std::move(req));
}
}  // namespace

TEST_CASE("device flow: entering the code first shows which client asks for which scopes, deciding nothing") {
  fixture f;
  auto d = f.device_start("all offline");
  const auto user_code = std::string(d.at("user_code").as_string());
  auto confirm = device_form_post(f, {{"user_code", user_code}});
  REQUIRE(confirm.result() == bhttp::status::ok);
  check_html_page(confirm);
  const auto& html = confirm.body();
  CHECK(html.find("&quot;flytectl&quot;") != std::string::npos);
  CHECK(html.find("all offline") != std::string::npos);
  CHECK(html.find("value=\"approve\"") != std::string::npos);
  CHECK(html.find("value=\"deny\"") != std::string::npos);
  CHECK(html.find("name=\"user_code\" value=\"" + user_code + "\"") != std::string::npos);
  // Nothing was decided: the device still hears authorization_pending, and the code can still be approved.
  check_error_shape(f.device_poll(d.at("device_code").as_string()), 400, "authorization_pending");
  CHECK(device_form_post(f, {{"user_code", user_code}, {"decision", "approve"}}).result() == bhttp::status::ok);
  // A decision that is neither approve nor deny decides nothing either.
  auto d2 = f.device_start();
  CHECK(device_form_post(f, {{"user_code", d2.at("user_code").as_string()}, {"decision", "yes"}}).result() ==
        bhttp::status::bad_request);
  check_error_shape(f.device_poll(d2.at("device_code").as_string()), 400, "authorization_pending");
}

TEST_CASE("device flow: wrong user codes are limited per user, then even the right one waits (RFC 8628 §5.1)") {
  fixture f;
  auto d = f.device_start();
  const auto user_code = std::string(d.at("user_code").as_string());
  for (int i = 0; i < 5; ++i) {
    auto wrong = device_form_post(f, {{"user_code", "BBBB-BBB" + std::string(1, "CDFGH"[i])}, {"decision", "approve"}});
    CHECK(wrong.result() == bhttp::status::bad_request);
  }
  auto limited = device_form_post(f, {{"user_code", user_code}, {"decision", "approve"}});
  CHECK(limited.result() == bhttp::status::too_many_requests);
  CHECK_FALSE(limited[bhttp::field::retry_after].empty());
  check_error_shape(f.device_poll(d.at("device_code").as_string()), 400, "authorization_pending");
  // Another user is not held back by alice's mistakes.
  CHECK(device_form_post(f, {{"user_code", user_code}}, "bob").result() == bhttp::status::ok);
  // A minute later alice may try again.
  f.clock.advance(std::chrono::seconds(61));
  CHECK(device_form_post(f, {{"user_code", user_code}, {"decision", "approve"}}).result() == bhttp::status::ok);
}

TEST_CASE("device flow: a denial answers access_denied with 400 (RFC 8628 §3.5, RFC 6749 §5.2)") {
  fixture f;
  auto d = f.device_start();
  auto r = f.device_decide(d.at("user_code").as_string(), false);
  CHECK(r.result() == bhttp::status::ok);
  CHECK(r.body().find("Device denied") != std::string::npos);
  f.clock.advance(std::chrono::seconds(5));
  check_error_shape(f.device_poll(d.at("device_code").as_string()), 400, "access_denied");
}

TEST_CASE("device flow: after the code's lifetime the device hears expired_token") {
  fixture f;
  auto d = f.device_start();
  f.clock.advance(std::chrono::minutes(10));
  check_error_shape(f.device_poll(d.at("device_code").as_string()), 400, "expired_token");
}

TEST_CASE("device flow: an expired user code cannot be approved") {
  fixture f;
  auto d = f.device_start();
  f.clock.advance(std::chrono::minutes(10));
  auto r = f.device_decide(d.at("user_code").as_string(), true);
  CHECK(r.result() == bhttp::status::bad_request);
  check_html_page(r);
}

TEST_CASE("device flow: approval without the CSRF cookie, or with a wrong CSRF token, is refused") {
  fixture f;
  auto d = f.device_start();
  const auto user_code = std::string(d.at("user_code").as_string());
  auto page = f.get("/oauth2/device?user_code=" + user_code, "alice");
  const auto csrf = fixture::csrf_field(page);

  auto no_cookie = fixture::form_request("/oauth2/device", http::form_encode({{"csrf_token", csrf},
                                                                             {"user_code", user_code},
                                                                             {"decision", "approve"}}));
  no_cookie.set("X-Test-User", "alice");
  auto r1 = f.send(std::move(no_cookie));
  CHECK(r1.result() == bhttp::status::bad_request);
  check_html_page(r1);

  auto wrong = fixture::form_request("/oauth2/device", http::form_encode({{"csrf_token", crypto::random_token<32>()},
                                                                         {"user_code", user_code},
                                                                         {"decision", "approve"}}));
  wrong.set("X-Test-User", "alice");
  wrong.set(bhttp::field::cookie, cookie_pair(page, fixture::device_csrf_cookie()));
  auto r2 = f.send(std::move(wrong));
  CHECK(r2.result() == bhttp::status::bad_request);

  // Nothing was approved.
  f.clock.advance(std::chrono::seconds(5));
  check_error_shape(f.device_poll(d.at("device_code").as_string()), 400, "authorization_pending");
}

TEST_CASE("device flow: the verification page sends a browser without a session to the login page") {
  fixture f;
  auto r = f.get("/oauth2/device?user_code=BCDF-GHJK");
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(r[bhttp::field::location] == "/login?redirect_url=" + http::form_encode_component("/oauth2/device?user_code=BCDF-GHJK"));
}
