// The endpoints around the grants: revocation, introspection, userinfo, JWKS, the metadata
// documents, Flyte's client configuration, the login round trip of /oauth2/authorize, and
// the shape of every error answer.
#include "test_server.hpp"

using namespace test;

namespace {

std::string str(const boost::json::object& o, std::string_view k) { return std::string(o.at(k).as_string()); }

bool contains_string(const boost::json::value& arr, std::string_view s) {
  for (const auto& v : arr.as_array())
    if (v.is_string() && v.get_string() == s) return true;
  return false;
}

/// A server with one grant and nothing else: what it advertises must shrink with it.
using cc_only_server = authorization_server<traits, grant::client_credentials>;

}  // namespace

// --- /oauth2/revoke (RFC 7009) ---------------------------------------------------------------

TEST_CASE("revoking a refresh token kills its family: refresh fails, its access token goes inactive") {
  fixture f;
  auto body = f.login("all offline openid");
  const auto rt = str(body, "refresh_token"), at = str(body, "access_token");
  REQUIRE(f.active(rt));
  REQUIRE(f.active(at));
  auto r = f.revoke(rt);
  CHECK(r.result() == bhttp::status::ok);
  CHECK(r[bhttp::field::cache_control] == "no-store");
  CHECK_FALSE(f.active(rt));
  CHECK_FALSE(f.active(at));
  check_error_shape(f.refresh(rt), 400, "invalid_grant");
  CHECK(f.userinfo(at).result() == bhttp::status::unauthorized);
}

TEST_CASE("revoking an access token makes it inactive at introspection and refused at userinfo") {
  fixture f;
  auto body = f.login("all offline openid");
  const auto at = str(body, "access_token");
  REQUIRE(f.userinfo(at).result() == bhttp::status::ok);
  CHECK(f.revoke(at).result() == bhttp::status::ok);
  CHECK_FALSE(f.active(at));
  auto u = f.userinfo(at);
  check_error_shape(u, 401, "invalid_token");
  CHECK_FALSE(std::string_view(u[bhttp::field::www_authenticate]).empty());
  // The refresh token of the same authorization is not touched by revoking one access token.
  CHECK(f.refresh(str(body, "refresh_token")).result() == bhttp::status::ok);
}

TEST_CASE("revoking an unknown token answers 200") {
  fixture f;
  CHECK(f.revoke(crypto::random_token<32>()).result() == bhttp::status::ok);
  CHECK(f.revoke("eyJhbGciOiJFUzI1NiJ9.e30.c2ln").result() == bhttp::status::ok);
}

TEST_CASE("revoking another client's token answers 200 and revokes nothing") {
  fixture f;
  auto body = f.login("all offline");
  const auto rt = str(body, "refresh_token"), at = str(body, "access_token");
  CHECK(f.revoke(rt, "flytepropeller").result() == bhttp::status::ok);
  CHECK(f.revoke(at, "flytepropeller").result() == bhttp::status::ok);
  CHECK(f.active(rt));
  CHECK(f.active(at));

  auto cc = str(fixture::json(f.client_credentials()), "access_token");
  CHECK(f.revoke(cc, "flytectl").result() == bhttp::status::ok);
  CHECK(f.active(cc));
}

TEST_CASE("a client-credentials token is issued without a store write, and still revoked by its jti") {
  // Issuing on the hot path writes nothing: the token names its jti (and a person's token its
  // grant), which is all the deny-list needs (store/concepts.hpp, revocation_store).
  fixture f;
  const auto before = f.store.size();
  auto cc = str(fixture::json(f.client_credentials()), "access_token");
  CHECK(f.store.size() == before);
  CHECK_FALSE(f.access_claims(cc).claims.contains("grant_id"));  // no grant to revoke it with
  CHECK(f.active(cc));
  CHECK(f.revoke(cc, "flytepropeller").result() == bhttp::status::ok);
  CHECK_FALSE(f.active(cc));
  CHECK(f.store.size() == before + 1);  // the deny-list entry
}

TEST_CASE("a person's access token names its grant: revoking the grant revokes it without its record") {
  fixture f;
  const auto at = str(f.login("all offline"), "access_token");
  const auto claims = f.access_claims(at).claims;
  REQUIRE(claims.contains("grant_id"));
  // The record is gone (a store that lost it, or never had it): the claim alone decides.
  f.store.sweep(f.clock.now() + std::chrono::hours(24 * 365));
  CHECK(f.active(at));
  // Revoked behind this server's back (as another replica would): the "active" answer it
  // remembered holds for at most revocation_cache_ttl, then the store's answer counts.
  std::error_code ec;
  f.store.revoke_family(claims.at("grant_id").as_string(), f.clock.now() + std::chrono::hours(1), ec);
  REQUIRE_FALSE(ec);
  const auto ttl = server::server_settings{}.revocation_cache_ttl;
  REQUIRE(ttl.count() > 0);
  f.clock.advance(ttl - std::chrono::seconds(1));
  CHECK(f.active(at));
  f.clock.advance(std::chrono::seconds(1));
  CHECK_FALSE(f.active(at));
}

TEST_CASE("revocation cache: 'revoked' is final, 'not revoked' lasts the ttl, clear forgets, capacity bounds") {
  const auto t = from_unix_seconds(1'800'000'000);
  server::revocation_cache cache(std::chrono::seconds(5), 3);
  CHECK_FALSE(cache.find("a", "g", t));
  cache.remember("a", "g", false, t, t + std::chrono::minutes(30));
  cache.remember("b", "", true, t, t + std::chrono::minutes(30));
  CHECK(cache.find("a", "g", t + std::chrono::seconds(4)) == false);
  CHECK_FALSE(cache.find("a", "g", t + std::chrono::seconds(5)));  // stale: ask the store again
  CHECK_FALSE(cache.find("a", "other-grant", t));                     // the grant is part of the key
  CHECK(cache.find("b", "", t + std::chrono::minutes(29)) == true);
  CHECK_FALSE(cache.find("b", "", t + std::chrono::minutes(30)));      // the token itself expired
  cache.remember("c", "", false, t, t + std::chrono::seconds(2));     // never beyond the token's expiry
  CHECK_FALSE(cache.find("c", "", t + std::chrono::seconds(2)));
  cache.remember("d", "", false, t, t + std::chrono::minutes(1));     // a fourth answer: over capacity, start over
  CHECK(cache.size() <= 3);
  cache.clear();
  CHECK(cache.size() == 0);
  server::revocation_cache off(std::chrono::seconds(0));
  off.remember("a", "g", true, t, t + std::chrono::minutes(1));
  CHECK_FALSE(off.find("a", "g", t));
}

TEST_CASE("revocation requires client authentication") {
  fixture f;
  auto rt = str(f.login("all offline"), "refresh_token");
  check_error_shape(f.post_form("/oauth2/revoke", "token=" + rt), 401, "invalid_client");
  check_error_shape(f.post_form("/oauth2/revoke", "token=" + rt, "flytepropeller", "wrong"), 401, "invalid_client");
  CHECK(f.active(rt));
}

// --- /oauth2/introspect (RFC 7662) -----------------------------------------------------------

TEST_CASE("introspection of an active access token returns its claims") {
  fixture f;
  auto at = str(f.login("all offline"), "access_token");
  auto o = f.introspect(at);
  CHECK(o.at("active") == true);
  CHECK(o.at("scope") == "all offline");
  CHECK(o.at("client_id") == "flytectl");
  CHECK(o.at("sub") == "alice");
  CHECK(o.at("aud").as_string() == issuer);
  CHECK(o.at("iss").as_string() == issuer);
  CHECK(o.at("token_type") == "Bearer");
  CHECK(o.at("exp").to_number<std::int64_t>() == to_unix_seconds(f.clock.now()) + 1800);
  CHECK(o.at("iat").to_number<std::int64_t>() == to_unix_seconds(f.clock.now()));
  CHECK(o.at("jti").as_string() == f.access_claims(at).jwt_id());
  CHECK(o.at("auth_time").to_number<std::int64_t>() == 1'800'000'000);
}

TEST_CASE("introspection of an active refresh token") {
  fixture f;
  auto rt = str(f.login("all offline"), "refresh_token");
  auto o = f.introspect(rt);
  CHECK(o.at("active") == true);
  CHECK(o.at("token_type") == "refresh_token");
  CHECK(o.at("client_id") == "flytectl");
  CHECK(o.at("sub") == "alice");
  CHECK(o.at("scope") == "all offline");
  CHECK(o.at("iss").as_string() == issuer);
  CHECK(o.at("exp").to_number<std::int64_t>() == to_unix_seconds(f.clock.now()) + 3600);
}

TEST_CASE("introspection answers only active:false for expired, unknown and malformed tokens") {
  fixture f;
  auto at = str(f.login("all"), "access_token");
  f.clock.advance(std::chrono::minutes(30));
  for (std::string t : {at, crypto::random_token<32>(), std::string("a.b.c"), std::string("x")}) {
    auto o = f.introspect(t);
    CHECK(o.size() == 1);
    CHECK(o.at("active") == false);
  }
}

TEST_CASE("introspection refuses public clients and unauthenticated callers with 401 invalid_client") {
  fixture f;
  auto at = str(f.login("all"), "access_token");
  check_error_shape(f.post_form("/oauth2/introspect", "client_id=flytectl&token=" + at), 401, "invalid_client");
  check_error_shape(f.post_form("/oauth2/introspect", "token=" + at), 401, "invalid_client");
  auto bad = f.post_form("/oauth2/introspect", "token=" + at, "flytepropeller", "wrong");
  check_error_shape(bad, 401, "invalid_client");
  CHECK_FALSE(std::string_view(bad[bhttp::field::www_authenticate]).empty());
}

// --- /oauth2/userinfo (OIDC Core §5.3) -------------------------------------------------------

TEST_CASE("userinfo answers the user's claims for a Bearer token with openid") {
  fixture f;
  auto at = str(f.login("all openid"), "access_token");
  auto r = f.userinfo(at);
  REQUIRE(r.result() == bhttp::status::ok);
  CHECK(r[bhttp::field::cache_control] == "no-store");
  auto o = fixture::json(r);
  CHECK(o.at("sub") == "alice");
  CHECK(o.at("name") == "Test alice");
  CHECK(o.at("email") == "alice@example.com");
}

TEST_CASE("userinfo accepts the token in Flyte's flyte-authorization header") {
  fixture f;
  auto at = str(f.login("all openid"), "access_token");
  auto r = f.userinfo(at, "flyte-authorization");
  REQUIRE(r.result() == bhttp::status::ok);
  CHECK(fixture::json(r).at("sub") == "alice");
}

TEST_CASE("userinfo without a token answers 401 with a Bearer challenge and no error code (RFC 6750 §3.1)") {
  fixture f;
  auto r = f.get("/oauth2/userinfo");
  CHECK(r.result() == bhttp::status::unauthorized);
  CHECK(r[bhttp::field::www_authenticate] == "Bearer realm=\"tessera\"");
  CHECK(r[bhttp::field::cache_control] == "no-store");
  CHECK(r.body().empty());
}

TEST_CASE("userinfo with an invalid token answers 401 invalid_token with WWW-Authenticate") {
  fixture f;
  auto at = str(f.login("all openid"), "access_token");
  std::string tampered = at;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  for (const auto& t : {tampered, std::string("not-a-jwt"), str(f.login("all openid"), "id_token")}) {
    auto r = f.userinfo(t);
    check_error_shape(r, 401, "invalid_token");
    CHECK(std::string_view(r[bhttp::field::www_authenticate]).find("invalid_token") != std::string_view::npos);
  }
  f.clock.advance(std::chrono::minutes(30));
  check_error_shape(f.userinfo(at), 401, "invalid_token");
}

TEST_CASE("userinfo with a token lacking openid answers 403 insufficient_scope") {
  fixture f;
  auto r = f.userinfo(str(f.login("all"), "access_token"));
  check_error_shape(r, 403, "insufficient_scope");
  CHECK(std::string_view(r[bhttp::field::www_authenticate]).find("insufficient_scope") != std::string_view::npos);
  // A client-credentials token describes no person at all (docs/security.md row 33).
  check_error_shape(f.userinfo(str(fixture::json(f.client_credentials()), "access_token")), 401, "invalid_token");
}

// --- /oauth2/jwks and metadata ---------------------------------------------------------------

TEST_CASE("JWKS publishes the current key with kid, alg and use, and no private members") {
  fixture f;
  auto r = f.get("/oauth2/jwks");
  REQUIRE(r.result() == bhttp::status::ok);
  CHECK(r[bhttp::field::content_type] == "application/json");
  auto keys = fixture::json(r).at("keys").as_array();
  REQUIRE(keys.size() == 1);
  const auto& k = keys[0].as_object();
  CHECK(k.at("kid").as_string() == f.srv.keys()->current().kid());
  CHECK(k.at("alg") == "ES256");
  CHECK(k.at("use") == "sig");
  CHECK(k.at("kty") == "EC");
  for (auto priv : {"d", "p", "q", "dp", "dq", "qi", "k"}) CHECK_FALSE(k.contains(priv));
  // The published key verifies the server's tokens.
  auto set = jose::jwk_set::parse(std::string_view(r.body()));
  jose::jwt_validator v(set);
  CHECK_NOTHROW(v.type("at+jwt").validate(str(f.login("all"), "access_token"), f.clock));
}

TEST_CASE("authorization server metadata advertises exactly the endpoints that are served") {
  fixture f;
  auto r = f.get("/.well-known/oauth-authorization-server");
  REQUIRE(r.result() == bhttp::status::ok);
  auto m = fixture::json(r);
  CHECK(m.at("issuer").as_string() == issuer);
  CHECK(str(m, "token_endpoint") == issuer + "/oauth2/token");
  CHECK(str(m, "authorization_endpoint") == issuer + "/oauth2/authorize");
  CHECK(str(m, "jwks_uri") == issuer + "/oauth2/jwks");
  CHECK(str(m, "revocation_endpoint") == issuer + "/oauth2/revoke");
  CHECK(str(m, "introspection_endpoint") == issuer + "/oauth2/introspect");
  CHECK(str(m, "device_authorization_endpoint") == issuer + "/oauth2/device/authorize");
  CHECK_FALSE(m.contains("userinfo_endpoint"));
  int endpoints = 0;
  for (const auto& kv : m) {
    const std::string_view key = kv.key();
    if (!key.ends_with("_endpoint") && key != "jwks_uri") continue;
    ++endpoints;
    const std::string_view url = kv.value().as_string().subview();
    REQUIRE(url.starts_with(issuer + "/"));
    INFO(key);
    CHECK_FALSE(f.router.allowed_methods(url.substr(issuer.size())).empty());
  }
  CHECK(endpoints == 6);
  CHECK(m.at("code_challenge_methods_supported").as_array() == boost::json::array{"S256"});
  CHECK(m.at("authorization_response_iss_parameter_supported") == true);
  CHECK(m.at("response_types_supported").as_array() == boost::json::array{"code"});
  auto grants = m.at("grant_types_supported");
  CHECK(grants.as_array().size() == 4);
  for (auto g : {"authorization_code", "client_credentials", "refresh_token", device_grant.c_str()})
    CHECK(contains_string(grants, g));
  CHECK(contains_string(m.at("token_endpoint_auth_methods_supported"), "client_secret_basic"));
  CHECK_FALSE(contains_string(m.at("introspection_endpoint_auth_methods_supported"), "none"));
  CHECK(contains_string(m.at("scopes_supported"), "offline"));
}

TEST_CASE("OpenID discovery adds userinfo, ID-token algorithms and the openid scope") {
  fixture f;
  auto r = f.get("/.well-known/openid-configuration");
  REQUIRE(r.result() == bhttp::status::ok);
  auto m = fixture::json(r);
  CHECK(m.at("issuer").as_string() == issuer);
  CHECK(str(m, "userinfo_endpoint") == issuer + "/oauth2/userinfo");
  CHECK_FALSE(f.router.allowed_methods("/oauth2/userinfo").empty());
  CHECK(str(m, "end_session_endpoint") == issuer + "/oauth2/logout");
  CHECK_FALSE(f.router.allowed_methods("/oauth2/logout").empty());
  CHECK(m.at("id_token_signing_alg_values_supported").as_array() == boost::json::array{"ES256"});
  CHECK(contains_string(m.at("subject_types_supported"), "public"));
  CHECK(contains_string(m.at("scopes_supported"), "openid"));
  CHECK(m.at("code_challenge_methods_supported").as_array() == boost::json::array{"S256"});
  CHECK(m.at("authorization_response_iss_parameter_supported") == true);
}

TEST_CASE("a server without the code and device grants neither serves nor advertises their endpoints") {
  shared_clock clock;
  test_store st;
  header_identity idp;
  cc_only_server srv{default_settings(), make_clients(), server::key_set(jose::jwk::generate(jose::algorithm::ES256)), st,
                     idp, clock};
  transport::router router;
  srv.install(router);
  request req{bhttp::verb::get, "/.well-known/oauth-authorization-server", 11};
  auto m = fixture::json(router.route(req));
  CHECK_FALSE(m.contains("authorization_endpoint"));
  CHECK_FALSE(m.contains("device_authorization_endpoint"));
  CHECK_FALSE(m.contains("code_challenge_methods_supported"));
  CHECK_FALSE(m.contains("authorization_response_iss_parameter_supported"));
  CHECK(m.at("grant_types_supported").as_array() == boost::json::array{"client_credentials"});
  CHECK(router.allowed_methods("/oauth2/authorize").empty());
  CHECK(router.allowed_methods("/oauth2/device/authorize").empty());
  CHECK(router.allowed_methods("/oauth2/device").empty());
  request authz{bhttp::verb::get, "/oauth2/authorize?client_id=flytectl", 11};
  CHECK(router.route(authz).result() == bhttp::status::not_found);
}

TEST_CASE("/config/v1/flyte_client tells Flyte's CLIs how to log in, as Flyte's gateway spells it") {
  fixture f;
  // Accept: application/json: the proto's own (snake_case) names.
  request req{bhttp::verb::get, "/config/v1/flyte_client", 11};
  req.set(bhttp::field::accept, "application/json");
  auto r = f.router.route(req);
  REQUIRE(r.result() == bhttp::status::ok);
  auto o = fixture::json(r);
  CHECK(o.size() == 6);
  CHECK(o.at("client_id") == "flytectl");
  CHECK(o.at("redirect_uri") == "http://localhost:53593/callback");
  CHECK(o.at("scopes").as_array() == boost::json::array{"all", "offline"});
  CHECK(o.at("authorization_metadata_key") == "flyte-authorization");
  CHECK(o.at("audience").as_string() == "");               // Flyte's default: none
  CHECK(o.at("service_http_endpoint").as_string() == "");  // Flyte serves none
  // Otherwise camelCase, as grpc-gateway's default marshaller.
  auto camel = fixture::json(f.get("/config/v1/flyte_client"));
  CHECK(camel.size() == 6);
  CHECK(camel.at("clientId") == "flytectl");
  CHECK(camel.at("redirectUri") == "http://localhost:53593/callback");
  CHECK(camel.at("authorizationMetadataKey") == "flyte-authorization");
  CHECK(camel.contains("serviceHttpEndpoint"));
  CHECK(camel.contains("audience"));
}

// --- /oauth2/authorize without a session, and /oauth2/authorize_callback ---------------------

TEST_CASE("authorize without a session keeps the request in a sealed cookie and sends the browser to /login") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize_only(fixture::code_request(pk), "");
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(r[bhttp::field::location] == "/login?redirect_url=%2Foauth2%2Fauthorize_callback");
  auto line = set_cookie_line(r, "__Host-tessera_authz");
  REQUIRE_FALSE(line.empty());
  CHECK(line.find("Secure") != std::string::npos);
  CHECK(line.find("HttpOnly") != std::string::npos);
  CHECK(line.find("Path=/") != std::string::npos);
  CHECK(line.find("SameSite=Lax") != std::string::npos);
  // Sealed: neither the challenge nor the redirect URI can be read from it.
  CHECK(line.find(pk.challenge) == std::string::npos);
  CHECK(line.find("localhost") == std::string::npos);
  CHECK(line.find("flytectl") == std::string::npos);

  request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
  cb.set(bhttp::field::cookie, cookie_pair(r, "__Host-tessera_authz"));
  cb.set("X-Test-User", "carol");
  auto back = f.send(std::move(cb));
  // carol has not allowed flytectl anything yet: the consent page, the request still kept.
  REQUIRE(back.result() == bhttp::status::see_other);
  CHECK(back[bhttp::field::location] == "/oauth2/consent");
  CHECK(set_cookie_line(back, "__Host-tessera_authz").empty());
  auto done = f.decide_consent(cookie_pair(r, "__Host-tessera_authz"), "carol", "approve");
  REQUIRE(done.result() == bhttp::status::see_other);
  CHECK(location_base(done) == cli_redirect);
  auto q = location_query(done);
  CHECK(q["state"] == "st4te-xyz");
  CHECK(q["iss"] == issuer);
  // The pending cookie is cleared.
  CHECK(set_cookie_line(done, "__Host-tessera_authz").find("Max-Age=0") != std::string::npos);

  auto t = f.redeem(q["code"], pk.verifier);
  REQUIRE(t.result() == bhttp::status::ok);
  CHECK(f.access_claims(fixture::json(t).at("access_token").as_string()).subject() == "carol");
}

TEST_CASE("prompt=login sends even a logged-in browser to log in again; the old session gets no code, even within the same second (row 35)") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize_only(with(fixture::code_request(pk), "prompt", "login"), "alice");
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(location_base(r) == "/login");
  auto login = location_query(r);
  CHECK(login["redirect_url"] == "/oauth2/authorize_callback");
  CHECK(login["prompt"] == "login");
  CHECK(login.size() == 2);  // nothing else travels in the URL: the marker is in the sealed cookie
  auto callback = [&](std::string login_id, std::int64_t auth_time) {
    request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
    cb.set(bhttp::field::cookie, cookie_pair(r, "__Host-tessera_authz"));
    cb.set("X-Test-User", "alice");
    cb.set("X-Test-Auth-Time", std::to_string(auth_time));
    cb.set("X-Test-Login", login_id);
    return f.send(std::move(cb));
  };
  // The old session came straight back without a new login — with an auth_time in the same
  // second as the request, and even one later: refused, nothing issued.
  for (std::int64_t t : {1'800'000'000, 1'800'000'001}) {
    auto stale = callback("login-1", t);
    REQUIRE(stale.result() == bhttp::status::see_other);
    auto q = location_query(stale);
    CHECK(q["error"] == "login_required");
    CHECK(q.count("code") == 0);
  }
  CHECK(f.store.size() == 0);
  // A new login in the same second: the consent page, then the code, with the login's auth_time.
  auto fresh = callback("login-2", 1'800'000'000);
  REQUIRE(fresh.result() == bhttp::status::see_other);
  REQUIRE(location_base(fresh) == "/oauth2/consent");
  request page{bhttp::verb::get, "/oauth2/consent", 11};
  page.set(bhttp::field::cookie, cookie_pair(r, "__Host-tessera_authz"));
  page.set("X-Test-User", "alice");
  page.set("X-Test-Login", "login-2");
  auto shown = f.send(std::move(page));
  REQUIRE(shown.result() == bhttp::status::ok);
  auto post = fixture::form_request("/oauth2/consent", "decision=approve&csrf_token=" +
                                                           http::form_encode_component(fixture::csrf_token_of(shown)));
  post.set(bhttp::field::cookie, cookie_pair(r, "__Host-tessera_authz") + "; " + cookie_pair(shown, "__Host-tessera_consent"));
  post.set("X-Test-User", "alice");
  post.set("X-Test-Login", "login-1");  // the old session cannot approve the request either
  auto old_approves = f.send(post);
  CHECK(location_query(old_approves)["error"] == "login_required");
  post.set("X-Test-Login", "login-2");
  auto code = fixture::code_of(f.send(post));
  auto t = f.redeem(code, pk.verifier);
  REQUIRE(t.result() == bhttp::status::ok);
  CHECK(f.access_claims(fixture::json(t).at("access_token").as_string()).subject() == "alice");
}

TEST_CASE("authorize_callback without the pending cookie shows an error page") {
  fixture f;
  auto r = f.get("/oauth2/authorize_callback", "carol");
  CHECK(r.result() == bhttp::status::bad_request);
  check_html_page(r);
  CHECK(r[bhttp::field::location].empty());
}

TEST_CASE("authorize_callback with a tampered pending cookie shows an error page") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize(fixture::code_request(pk), "");
  auto pair = cookie_pair(r, "__Host-tessera_authz");
  REQUIRE(pair.size() > 40);
  for (std::size_t at : {pair.size() - 1, pair.size() / 2, pair.find('=') + 1}) {
    std::string tampered = pair;
    tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
    request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
    cb.set(bhttp::field::cookie, tampered);
    cb.set("X-Test-User", "carol");
    auto res = f.send(std::move(cb));
    CHECK(res.result() == bhttp::status::bad_request);
    check_html_page(res);
    CHECK(res[bhttp::field::location].empty());
  }
}

TEST_CASE("authorize_callback with the cookie but still no session redirects with login_required") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize(fixture::code_request(pk), "");
  request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
  cb.set(bhttp::field::cookie, cookie_pair(r, "__Host-tessera_authz"));
  auto res = f.send(std::move(cb));
  REQUIRE(res.result() == bhttp::status::see_other);
  CHECK(location_base(res) == cli_redirect);
  auto q = location_query(res);
  CHECK(q["error"] == "login_required");
  CHECK(q.count("code") == 0);
}

TEST_CASE("prompt=none without a session redirects back with login_required, state and iss") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize(with(fixture::code_request(pk), "prompt", "none"), "");
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(location_base(r) == cli_redirect);
  auto q = location_query(r);
  CHECK(q["error"] == "login_required");
  CHECK(q["state"] == "st4te-xyz");
  CHECK(q["iss"] == issuer);
  CHECK(q.count("code") == 0);
  CHECK(set_cookie_line(r, "__Host-tessera_authz").empty());
}

TEST_CASE("authorize with an unknown client or a missing redirect URI shows an error page, never a redirect") {
  fixture f;
  pkce_pair pk;
  for (const auto& p : {with(fixture::code_request(pk), "client_id", "evil"), with(fixture::code_request(pk), "client_id", std::nullopt),
                        with(fixture::code_request(pk), "redirect_uri", std::nullopt)}) {
    auto r = f.authorize(p);
    CHECK(r.result() == bhttp::status::bad_request);
    CHECK(r[bhttp::field::location].empty());
    check_html_page(r);
  }
}

TEST_CASE("authorize with response_type other than code redirects with unsupported_response_type") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize(with(fixture::code_request(pk), "response_type", "token"));
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(location_query(r)["error"] == "unsupported_response_type");
  CHECK(location_query(r).count("code") == 0);
}

// --- error answers ---------------------------------------------------------------------------

TEST_CASE("an unsupported grant type answers 400 unsupported_grant_type") {
  fixture f;
  check_error_shape(f.post_form("/oauth2/token", "grant_type=password&username=a&password=b", "flytepropeller", service_secret),
                    400, "unsupported_grant_type");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=implicit&client_id=flytectl"), 400, "unsupported_grant_type");
}

TEST_CASE("a grant the client may not use answers 400 unauthorized_client") {
  fixture f;
  // flytectl is public and registered without client_credentials...
  check_error_shape(f.post_form("/oauth2/token", "grant_type=client_credentials&client_id=flytectl"), 400,
                    "unauthorized_client");
  // ...flytepropeller has no device grant, at the device endpoint or the token endpoint.
  check_error_shape(f.post_form("/oauth2/device/authorize", "scope=all", "flytepropeller", service_secret), 400,
                    "unauthorized_client");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=" + http::form_encode_component(device_grant) + "&device_code=x",
                                "flytepropeller", service_secret),
                    400, "unauthorized_client");
}

TEST_CASE("a token request that is not form-encoded answers 400 invalid_request") {
  fixture f;
  request req{bhttp::verb::post, "/oauth2/token", 11};
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::authorization, http::basic_authorization("flytepropeller", service_secret));
  req.body() = R"({"grant_type":"client_credentials"})";
  check_error_shape(f.send(req), 400, "invalid_request");
  req.erase(bhttp::field::content_type);
  req.body() = "grant_type=client_credentials";
  check_error_shape(f.send(req), 400, "invalid_request");
}

TEST_CASE("a repeated parameter answers 400 invalid_request") {
  fixture f;
  check_error_shape(f.post_form("/oauth2/token", "grant_type=client_credentials&scope=all&scope=offline", "flytepropeller",
                                service_secret),
                    400, "invalid_request");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=client_credentials&grant_type=client_credentials",
                                "flytepropeller", service_secret),
                    400, "invalid_request");
  auto rt = str(f.login("all offline"), "refresh_token");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=refresh_token&client_id=flytectl&refresh_token=" + rt +
                                                     "&refresh_token=" + rt),
                    400, "invalid_request");
}

TEST_CASE("a token request without grant_type, or without the grant's parameter, answers 400 invalid_request") {
  fixture f;
  check_error_shape(f.post_form("/oauth2/token", "scope=all", "flytepropeller", service_secret), 400, "invalid_request");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=refresh_token&client_id=flytectl"), 400, "invalid_request");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=authorization_code&client_id=flytectl"), 400, "invalid_request");
}

TEST_CASE("two client authentication methods in one request answer invalid_request") {
  fixture f;
  check_error_shape(f.post_form("/oauth2/token",
                                "grant_type=client_credentials&client_id=flytepropeller&client_secret=" + service_secret,
                                "flytepropeller", service_secret),
                    400, "invalid_request");
}

TEST_CASE("a public client presenting a secret, or an unknown client, answers 401 invalid_client") {
  fixture f;
  check_error_shape(f.post_form("/oauth2/token", "grant_type=refresh_token&refresh_token=x&client_id=flytectl&client_secret=x"),
                    401, "invalid_client");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=refresh_token&refresh_token=x&client_id=nobody"), 401,
                    "invalid_client");
  check_error_shape(f.post_form("/oauth2/token", "grant_type=client_credentials", "nobody", "x"), 401, "invalid_client");
}

TEST_CASE("a store that is unavailable makes the token endpoint answer 503 temporarily_unavailable") {
  fixture f;
  pkce_pair pk;
  auto code = fixture::code_of(f.authorize(fixture::code_request(pk)));
  auto rt = str(f.login("all offline"), "refresh_token");
  f.store.unavailable = true;
  check_error_shape(f.redeem(code, pk.verifier), 503, "temporarily_unavailable");
  check_error_shape(f.refresh(rt), 503, "temporarily_unavailable");
  f.store.unavailable = false;
  // Neither the code nor the refresh token was used up by the failure.
  CHECK(f.redeem(code, pk.verifier).result() == bhttp::status::ok);
  CHECK(f.refresh(rt).result() == bhttp::status::ok);
}

TEST_CASE("the token endpoint answers only POST") {
  fixture f;
  auto r = f.get("/oauth2/token?grant_type=client_credentials");
  CHECK(r.result() == bhttp::status::method_not_allowed);
  CHECK(r[bhttp::field::allow] == "POST");
}
