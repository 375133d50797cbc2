// The OpenID Connect relying party (identity/oidc.hpp, upstream.hpp): the sign-in, its
// refusals (docs/security.md rows 4, 5, 8-11, 16, 20, 22), sessions that hold the IdP's tokens,
// silent refresh, RP-initiated logout, discovery retries, several IdPs at once.
#include "test_idp.hpp"

using namespace itest;
using tessera::error;

namespace {

using generic_rp = relying_party<identity::profile::generic_oidc>;

std::string body_of(const transport::response& r) { return r.body(); }

struct fixture {
  shared_clock clock;
  test_idp idp{"https://idp.example.com", clock};
  generic_rp rp{idp, idp_settings(idp), clock};
};

}  // namespace

TEST_CASE("oidc: a person signs in through the IdP, and /me shows who") {
  fixture f;
  const std::string url = f.rp.start("?redirect_url=/projects");
  auto q = query_of(url);
  CHECK(url.starts_with("https://idp.example.com/authorize?"));
  CHECK(q["response_type"] == "code");
  CHECK(q["client_id"] == "rp");
  CHECK(q["redirect_uri"] == "https://rp.example.com/callback");
  CHECK(q["scope"] == "openid profile email offline_access");
  CHECK(q["code_challenge_method"] == "S256");
  CHECK(q["code_challenge"].size() == 43);
  CHECK(q["state"].size() == 43);
  CHECK(q["nonce"].size() == 43);
  CHECK(q["state"] != q["nonce"]);
  CHECK(f.rp.browser.jar.count("__Host-tessera_oidc") == 1);

  auto res = f.rp.finish(f.idp, url, "&iss=" + f.idp.issuer);
  REQUIRE(res.result_int() == 303);
  CHECK(f.rp.browser.location(res) == "/projects");
  CHECK(f.rp.browser.jar.count("__Host-tessera_oidc") == 0);  // spent
  CHECK(f.rp.browser.jar.count("__Host-tessera_session") == 1);
  // The code went back as a confidential client with the PKCE verifier.
  CHECK(f.idp.last_token_authorization == http::basic_authorization("rp", "rp-secret"));
  CHECK(f.idp.last_token_form["code_verifier"].size() == 43);
  CHECK(f.idp.last_token_accept == "application/json");

  auto me = f.rp.browser.get(std::string(rp) + "/me");
  REQUIRE(me.result_int() == 200);
  auto doc = boost::json::parse(me.body()).as_object();
  CHECK(doc["subject"] == "alice");
  CHECK(doc["name"] == "Alice Doe");  // userinfo wins over the ID token's "Alice"
  CHECK(doc["email"] == "alice@example.com");
  CHECK(doc["preferred_username"] == "alice");
  CHECK(!doc["additional_claims"].as_object().contains("nonce"));
  CHECK(me[transport::http::field::cache_control] == "no-store");
  // The store holds no IdP token in the clear.
  CHECK(me.body().find(f.idp.last_access_token) == std::string::npos);
}

TEST_CASE("oidc: the store keeps the IdP tokens sealed, not in the clear") {
  fixture f;
  f.rp.finish(f.idp, f.rp.start());
  std::error_code ec;
  auto me = f.rp.browser.get(std::string(rp) + "/me");
  REQUIRE(me.result_int() == 200);
  // Seal check through the session manager: the record's upstream must not contain the tokens.
  transport::request req{transport::http::verb::get, "/me", 11};
  req.set(transport::http::field::cookie, "__Host-tessera_session=" + f.rp.browser.jar.at("__Host-tessera_session"));
  auto s = f.rp.id.sessions().find(req, transport::request_context{.tls = true}, ec);
  REQUIRE(s);
  CHECK(!s->record.upstream.empty());
  CHECK(s->record.upstream.find(f.idp.last_access_token) == std::string::npos);
  CHECK(s->record.upstream.find(f.idp.last_refresh_token) == std::string::npos);
  CHECK(s->upstream.find(f.idp.last_refresh_token) != std::string::npos);
  // Moved to another session's key, the sealed tokens do not open.
  (void)crypto::sealer(std::string(32, 'x')).open(s->record.upstream, s->id_hash, ec);
  CHECK(ec == error::aead_open_failed);
  (void)crypto::sealer(s->upstream_key).open(s->record.upstream, "another session", ec);
  CHECK(ec == error::aead_open_failed);
}

TEST_CASE("oidc: callback refusals each name their cause (rows 9, 10, 16)") {
  fixture f;
  SECTION("no state cookie: another browser, or an expired sign-in") {
    const std::string url = f.rp.start();
    f.rp.browser.jar.clear();
    auto res = f.rp.finish(f.idp, url);
    CHECK(res.result_int() == 400);
    CHECK(body_of(res).find("no sign-in is in progress") != std::string::npos);
    CHECK(res[transport::http::field::location].empty());
  }
  SECTION("the sign-in took longer than login_lifetime") {
    const std::string url = f.rp.start();
    f.clock.advance(seconds(601));
    auto res = f.rp.finish(f.idp, url);
    CHECK(res.result_int() == 400);
    CHECK(body_of(res).find("no sign-in is in progress") != std::string::npos);
  }
  SECTION("state of another sign-in") {
    const std::string url = f.rp.start();
    auto code = f.idp.authorize(url);
    auto res = f.rp.browser.get(std::string(rp) + "/callback?code=" + code + "&state=someone-elses-state");
    CHECK(res.result_int() == 400);
    CHECK(body_of(res).find("not the one this browser") != std::string::npos);
    CHECK(f.rp.browser.jar.count("__Host-tessera_oidc") == 0);  // spent all the same
  }
  SECTION("a state cookie replayed after its sign-in finished") {
    const std::string url = f.rp.start();
    const std::string state_cookie = f.rp.browser.jar.at("__Host-tessera_oidc");
    auto q = query_of(url);
    auto code = f.idp.authorize(url);
    REQUIRE(f.rp.browser.get(std::string(rp) + "/callback?code=" + code + "&state=" + q["state"]).result_int() == 303);
    browser_sim thief(f.rp.routes);
    thief.jar["__Host-tessera_oidc"] = state_cookie;
    auto res = thief.get(std::string(rp) + "/callback?code=" + f.idp.authorize(url) + "&state=" + q["state"]);
    CHECK(res.result_int() == 400);
    CHECK(body_of(res).find("already used") != std::string::npos);
    CHECK(thief.jar.count("__Host-tessera_session") == 0);
  }
  SECTION("RFC 9207: iss of another issuer") {
    auto res = f.rp.finish(f.idp, f.rp.start(), "&iss=https://evil.example.com");
    CHECK(res.result_int() == 400);
    CHECK(body_of(res).find("RFC 9207") != std::string::npos);
  }
  SECTION("RFC 9207: iss missing when the IdP promises it") {
    f.idp.metadata["authorization_response_iss_parameter_supported"] = true;
    generic_rp rp2{f.idp, idp_settings(f.idp), f.clock};
    auto res = rp2.finish(f.idp, rp2.start());
    CHECK(res.result_int() == 400);
    CHECK(body_of(res).find("promises") != std::string::npos);
    auto ok = rp2.finish(f.idp, rp2.start(), "&iss=" + f.idp.issuer);
    CHECK(ok.result_int() == 303);
  }
  SECTION("the IdP's error, with its code when plain") {
    const std::string url = f.rp.start();
    auto q = query_of(url);
    auto res = f.rp.browser.get(std::string(rp) + "/callback?error=access_denied&error_description=%3Cb%3Ehi&state=" + q["state"]);
    CHECK(res.result_int() == 403);
    CHECK(body_of(res).find("access_denied") != std::string::npos);
    CHECK(body_of(res).find("<b>hi") == std::string::npos);
  }
  SECTION("neither code nor error") {
    auto q = query_of(f.rp.start());
    auto res = f.rp.browser.get(std::string(rp) + "/callback?state=" + q["state"]);
    CHECK(res.result_int() == 400);
  }
  SECTION("a tampered state cookie") {
    const std::string url = f.rp.start();
    auto& c = f.rp.browser.jar.at("__Host-tessera_oidc");
    c[c.size() / 2] = c[c.size() / 2] == 'A' ? 'B' : 'A';
    CHECK(f.rp.finish(f.idp, url).result_int() == 400);
  }
}

TEST_CASE("oidc: ID token refusals (rows 4, 5, 11, 22)") {
  fixture f;
  auto refused_with = [&](std::function<void(boost::json::object&)> hook, std::string_view cause) {
    f.idp.id_claims_hook = std::move(hook);
    auto res = f.rp.finish(f.idp, f.rp.start());
    INFO(res.body());
    CHECK(res.result_int() >= 400);
    CHECK(res.body().find(cause) != std::string::npos);
    CHECK(f.rp.browser.jar.count("__Host-tessera_session") == 0);
  };
  SECTION("wrong nonce") { refused_with([](auto& c) { c["nonce"] = "other"; }, "nonce is not the one"); }
  SECTION("no nonce") { refused_with([](auto& c) { c.erase("nonce"); }, "lacks the nonce"); }
  SECTION("wrong aud") { refused_with([](auto& c) { c["aud"] = "another-client"; }, "audience"); }
  SECTION("azp of another client") { refused_with([](auto& c) { c["azp"] = "another-client"; }, "azp is not this client"); }
  SECTION("several audiences and no azp") {
    refused_with([](auto& c) { c["aud"] = boost::json::array{"rp", "api"}; }, "audience");
  }
  SECTION("wrong iss") { refused_with([](auto& c) { c["iss"] = "https://evil.example.com"; }, "issuer"); }
  SECTION("expired") {
    refused_with([&](auto& c) { c["exp"] = to_unix_seconds(f.clock.now()) - 120; }, "expired");
  }
  SECTION("issued in the future") {
    refused_with([&](auto& c) { c["iat"] = to_unix_seconds(f.clock.now()) + 3600; }, "future");
  }
  SECTION("issued long ago") {
    refused_with([&](auto& c) { c["iat"] = to_unix_seconds(f.clock.now()) - 3600; }, "maximum age");
  }
  SECTION("at_hash of another access token") {
    refused_with([](auto& c) { c["at_hash"] = oauth::token_hash(jose::algorithm::ES256, "another"); }, "at_hash");
  }
  SECTION("signed by a key the IdP's JWKS does not hold, under its kid") {
    f.idp.token_hook = [&](boost::json::object& body) {
      auto forged = jose::jwk::generate(jose::algorithm::ES256).with_kid("idp-1");
      body["id_token"] = jose::sign_jwt(jose::jws_signer(forged, "JWT"), claims_of(body["id_token"].as_string()));
    };
    auto forged = f.rp.finish(f.idp, f.rp.start());
    CHECK(forged.result_int() >= 400);
    CHECK(forged.body().find("signature") != std::string::npos);
  }
  SECTION("an access token (typ at+jwt) in place of the ID token (row 5)") {
    f.idp.token_hook = [&](boost::json::object& body) {
      body["id_token"] = jose::sign_jwt(jose::jws_signer(f.idp.key, "at+jwt"), claims_of(body["id_token"].as_string()));
    };
    auto res = f.rp.finish(f.idp, f.rp.start());
    CHECK(res.result_int() >= 400);
    CHECK(f.rp.browser.jar.count("__Host-tessera_session") == 0);
  }
  SECTION("no ID token from an OpenID provider") {
    f.idp.send_id_token = false;
    auto res = f.rp.finish(f.idp, f.rp.start());
    CHECK(res.result_int() == 500);
    CHECK(res.body().find("no ID token") != std::string::npos);
  }
  SECTION("userinfo names another person") {
    f.idp.userinfo["sub"] = "mallory";
    auto res = f.rp.finish(f.idp, f.rp.start());
    CHECK(res.result_int() == 403);
    CHECK(res.body().find("userinfo sub differs") != std::string::npos);
  }
}

TEST_CASE("oidc: a kid flood costs at most one JWKS fetch per cooldown (row 20)") {
  fixture f;
  f.rp.finish(f.idp, f.rp.start());
  const int before = f.idp.hits_jwks.load();
  f.rp.browser.jar.clear();
  for (int i = 0; i < 50; ++i) {
    f.idp.token_hook = [i](boost::json::object& body) {
      auto k = jose::jwk::generate(jose::algorithm::ES256).with_kid("random-" + std::to_string(i));
      body["id_token"] = jose::sign_jwt(jose::jws_signer(k, "JWT"), claims_of(body["id_token"].as_string()));
    };
    auto res = f.rp.finish(f.idp, f.rp.start());
    CHECK(res.result_int() >= 400);
  }
  CHECK(f.idp.hits_jwks.load() - before <= 1);
}

TEST_CASE("oidc: the token endpoint's refusals and failures") {
  fixture f;
  SECTION("a refused code: 403 with the IdP's code") {
    f.idp.client_secret = "rotated";
    auto res = f.rp.finish(f.idp, f.rp.start());
    CHECK(res.result_int() == 403);
    CHECK(res.body().find("invalid_client") != std::string::npos);
  }
  SECTION("the IdP fails: 502, nothing about tokens") {
    f.idp.token_status = transport::http::status::bad_gateway;
    auto res = f.rp.finish(f.idp, f.rp.start());
    CHECK(res.result_int() == 502);
  }
  SECTION("a malformed answer") {
    f.idp.token_hook = [](boost::json::object& b) { b["access_token"] = 42; };
    auto res = f.rp.finish(f.idp, f.rp.start());
    CHECK(res.result_int() == 500);
    CHECK(res.body().find("malformed") != std::string::npos);
  }
  SECTION("an oversized token") {
    f.idp.token_hook = [](boost::json::object& b) { b["refresh_token"] = std::string(20000, 'r'); };
    CHECK(f.rp.finish(f.idp, f.rp.start()).result_int() == 500);
  }
  SECTION("client_secret_post when the IdP lists only that") {
    f.idp.metadata["token_endpoint_auth_methods_supported"] = boost::json::array{"client_secret_post"};
    generic_rp rp2{f.idp, idp_settings(f.idp), f.clock};
    auto res = rp2.finish(f.idp, rp2.start());
    CHECK(res.result_int() == 303);
    CHECK(f.idp.last_token_authorization.empty());
    CHECK(f.idp.last_token_form["client_secret"] == "rp-secret");
  }
}

TEST_CASE("oidc: silent refresh when the IdP's tokens go stale, and a refused refresh ends the session") {
  fixture f;
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  const std::string first_rt = f.idp.last_refresh_token;
  f.clock.advance(seconds(120));
  CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
  CHECK(f.idp.refresh_calls.load() == 0);  // still fresh
  f.clock.advance(seconds(200));            // 320 s > 300 - 30
  CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
  CHECK(f.idp.refresh_calls.load() == 1);
  CHECK(f.idp.last_token_form["refresh_token"] == first_rt);
  CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
  CHECK(f.idp.refresh_calls.load() == 1);  // the new tokens are fresh
  SECTION("the IdP cannot be reached: the session stays; after refresh_retry the next request tries again") {
    f.clock.advance(seconds(400));
    f.idp.token_status = transport::http::status::service_unavailable;
    const int calls = f.idp.token_calls.load();
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
    CHECK(f.idp.token_calls.load() == calls + 1);
    f.idp.token_status = transport::http::status::ok;
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
    CHECK(f.idp.token_calls.load() == calls + 1);  // within refresh_retry: the IdP is not asked
    f.clock.advance(seconds(31));
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
    CHECK(f.idp.refresh_calls.load() == 2);
  }
  SECTION("a refusal other than invalid_grant keeps the session (a rotated client secret)") {
    f.clock.advance(seconds(400));
    f.idp.client_secret = "rotated";
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
  }
  SECTION("the IdP refuses: the person must log in again") {
    f.clock.advance(seconds(400));
    f.idp.refuse_refresh = true;
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
    f.idp.refuse_refresh = false;
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);  // the session is gone
  }
  SECTION("a refreshed ID token naming another person ends the session") {
    f.clock.advance(seconds(400));
    f.idp.id_claims_hook = [](boost::json::object& c) { c["sub"] = "mallory"; };
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
  }
}

TEST_CASE("oidc: logout ends the session here and continues at the IdP (RP-initiated logout)") {
  fixture f;
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  auto page = f.rp.browser.get(std::string(rp) + "/logout");
  REQUIRE(page.result_int() == 200);
  const std::string html = page.body();
  const std::string marker = "name=\"csrf_token\" value=\"";
  const auto at = html.find(marker);
  REQUIRE(at != std::string::npos);
  const auto from = at + marker.size();
  const std::string csrf = html.substr(from, html.find('"', from) - from);
  auto res = f.rp.browser.post_form(std::string(rp) + "/logout", "csrf_token=" + csrf);
  REQUIRE(res.result_int() == 303);
  const std::string loc = f.rp.browser.location(res);
  CHECK(loc.starts_with("https://idp.example.com/logout?"));
  auto q = query_of(loc);
  CHECK(!q["id_token_hint"].empty());
  CHECK(q["client_id"] == "rp");
  CHECK(q["post_logout_redirect_uri"] == "https://rp.example.com/logout");
  CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
  SECTION("a GET /logout ends nothing (row 36)") {
    REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
    CHECK(f.rp.browser.get(std::string(rp) + "/logout").result_int() == 200);
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
  }
}

TEST_CASE("oidc: an unsafe redirect_url is refused before the IdP is asked (row 8)") {
  fixture f;
  auto res = f.rp.browser.get(std::string(rp) + "/login?redirect_url=https://evil.example.com/");
  CHECK(res.result_int() == 400);
  CHECK(res[transport::http::field::location].empty());
  auto res2 = f.rp.browser.get(std::string(rp) + "/login?redirect_url=//evil.example.com/");
  CHECK(res2.result_int() == 400);
}

TEST_CASE("oidc: a session skips the IdP unless prompt=login asks again") {
  fixture f;
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  auto again = f.rp.browser.get(std::string(rp) + "/login?redirect_url=/x");
  CHECK(again.result_int() == 303);
  CHECK(f.rp.browser.location(again) == "/x");
  auto reauth = f.rp.browser.get(std::string(rp) + "/login?prompt=login");  // the session's browser
  REQUIRE(reauth.result_int() == 303);
  const std::string url = f.rp.browser.location(reauth);
  CHECK(url.starts_with("https://idp.example.com/authorize?"));
  CHECK(query_of(url)["prompt"] == "login");
  CHECK(query_of(url)["max_age"] == "0");  // the IdP must authenticate again and say when
  // The new sign-in is a new session: another login_id for the server's prompt=login check.
  transport::request req{transport::http::verb::get, "/me", 11};
  req.set(transport::http::field::cookie, "__Host-tessera_session=" + f.rp.browser.jar.at("__Host-tessera_session"));
  std::error_code ec;
  auto before = f.rp.id.current_user(req, transport::request_context{.tls = true}, ec);
  REQUIRE(before);
  auto q = query_of(url);
  REQUIRE(f.rp.browser.get(std::string(rp) + "/callback?code=" + f.idp.authorize(url) + "&state=" + q["state"]).result_int() == 303);
  req.set(transport::http::field::cookie, "__Host-tessera_session=" + f.rp.browser.jar.at("__Host-tessera_session"));
  auto after = f.rp.id.current_user(req, transport::request_context{.tls = true}, ec);
  REQUIRE(after);
  CHECK(after->login_id != before->login_id);
  SECTION("an IdP that answers prompt=login with an old authentication is refused") {
    f.idp.id_claims_hook = [&](boost::json::object& c) { c["auth_time"] = to_unix_seconds(f.clock.now()) - 3600; };
    auto again = f.rp.browser.get(std::string(rp) + "/login?prompt=login");
    const std::string u2 = f.rp.browser.location(again);
    auto res = f.rp.browser.get(std::string(rp) + "/callback?code=" + f.idp.authorize(u2) + "&state=" + query_of(u2)["state"]);
    CHECK(res.result_int() == 400);
    CHECK(res.body().find("max_age") != std::string::npos);
  }
}

TEST_CASE("oidc: an IdP that is down at start-up: 503, retried with backoff, then sign-in works") {
  shared_clock clock;
  test_idp idp{"https://idp.example.com", clock};
  idp.down = true;
  generic_rp r{idp, idp_settings(idp), clock};
  CHECK(!r.id.provider().status().ready);
  CHECK(r.id.provider().status().last_error == error::http_status_unexpected);
  const int after_start = idp.hits_metadata.load();
  auto res = r.browser.get(std::string(rp) + "/login");
  CHECK(res.result_int() == 503);
  CHECK(idp.hits_metadata.load() == after_start);  // within the backoff: not asked again
  idp.down = false;
  clock.advance(seconds(1));
  res = r.browser.get(std::string(rp) + "/login");
  CHECK(res.result_int() == 303);
  CHECK(r.id.provider().status().ready);
}

TEST_CASE("oidc: discovery's issuer must be the configured one, with Flyte's issuerUrl override") {
  shared_clock clock;
  test_idp idp{"https://idp.example.com", clock};
  idp.metadata["issuer"] = "https://public.example.com";
  generic_rp mismatch{idp, idp_settings(idp), clock};
  CHECK(mismatch.id.provider().status().last_error == error::metadata_issuer_mismatch);
  auto s = idp_settings(idp);
  s.issuer_url = "https://public.example.com";
  idp.token_issuer = "https://public.example.com";
  generic_rp overridden{idp, s, clock};
  CHECK(overridden.id.provider().status().ready);
  CHECK(overridden.finish(idp, overridden.start(), "&iss=https://public.example.com").result_int() == 303);
}

TEST_CASE("oidc: settings are checked") {
  shared_clock clock;
  test_idp idp{"https://idp.example.com", clock};
  auto bad = [&](auto change) {
    auto s = idp_settings(idp);
    change(s);
    CHECK_THROWS_AS((generic_rp{idp, s, clock}), tessera::system_error);
  };
  bad([](identity::upstream_settings& s) { s.client_id.clear(); });
  bad([](identity::upstream_settings& s) { s.base_url = "http://idp.example.com"; });
  bad([](identity::upstream_settings& s) { s.redirect_uri = "https://rp.example.com/elsewhere"; });
  bad([](identity::upstream_settings& s) { s.name = "bad name"; });
}

TEST_CASE("oidc: several IdPs; the sign-in state binds the chosen one (mix-up, RFC 9700 4.4)") {
  shared_clock clock;
  transport::router idps;
  test_idp a{"https://idp.example.com/a", clock, &idps};
  test_idp b{"https://idp.example.com/b", clock, &idps};
  b.client_id = "rp-b";
  b.client_secret = "secret-b";
  store::memory st;
  transport::in_memory wire{idps};
  auto sa = idp_settings(a);
  sa.name = "a";
  sa.subject_prefix = "a:";
  auto sb = idp_settings(b);
  sb.name = "b";
  sb.subject_prefix = "b:";
  sb.client_id = "rp-b";
  sb.client_secret = "secret-b";
  identity::oidc_settings o;
  o.log = [](std::string_view) {};
  o.providers = {std::make_shared<identity::upstream<identity::profile::generic_oidc, shared_clock>>(sa, transport::any_sync_client(wire), clock),
                 std::make_shared<identity::upstream<identity::profile::okta, shared_clock>>(sb, transport::any_sync_client(wire), clock)};
  identity::session_identity<store::memory, shared_clock, identity::oidc_authenticator> id(rp_settings(), o, st, clock);
  transport::router routes;
  id.install(routes);
  browser_sim br(routes);

  auto chooser = br.get(std::string(rp) + "/login?redirect_url=/x");
  CHECK(chooser.result_int() == 200);
  CHECK(chooser.body().find("provider=a") != std::string::npos);
  CHECK(chooser.body().find("provider=b") != std::string::npos);
  CHECK(br.get(std::string(rp) + "/login?provider=c").result_int() == 400);

  // The browser starts at a; the answer comes with b's issuer (an attacker's IdP answering).
  auto res = br.get(std::string(rp) + "/login?provider=a");
  REQUIRE(res.result_int() == 303);
  const std::string url = br.location(res);
  CHECK(url.starts_with("https://idp.example.com/a/authorize"));
  auto q = query_of(url);
  auto mixed = br.get(std::string(rp) + "/callback?code=" + b.authorize(url) + "&state=" + q["state"] + "&iss=" + b.issuer);
  CHECK(mixed.result_int() == 400);
  CHECK(br.jar.count("__Host-tessera_session") == 0);
  // A code of b without iss is exchanged at a, which does not know it.
  res = br.get(std::string(rp) + "/login?provider=a");
  q = query_of(br.location(res));
  auto swapped = br.get(std::string(rp) + "/callback?code=" + b.authorize(br.location(res)) + "&state=" + q["state"]);
  CHECK(swapped.result_int() == 403);
  CHECK(b.token_calls.load() == 0);  // b's code never reached b
  // b itself works.
  res = br.get(std::string(rp) + "/login?provider=b");
  const std::string burl = br.location(res);
  CHECK(query_of(burl)["client_id"] == "rp-b");
  auto ok = br.get(std::string(rp) + "/callback?code=" + b.authorize(burl) + "&state=" + query_of(burl)["state"]);
  CHECK(ok.result_int() == 303);
  // alice at b is "b:alice": never the same person as alice at a.
  auto me = br.get(std::string(rp) + "/me");
  REQUIRE(me.result_int() == 200);
  CHECK(boost::json::parse(me.body()).as_object()["subject"] == "b:alice");
  // Two IdPs without distinct subject prefixes are refused.
  identity::oidc_settings same = o;
  auto pa = idp_settings(a), pb = idp_settings(b);
  pa.name = "a";
  pb.name = "b";
  same.providers = {std::make_shared<identity::upstream<identity::profile::generic_oidc, shared_clock>>(pa, transport::any_sync_client(wire), clock),
                    std::make_shared<identity::upstream<identity::profile::generic_oidc, shared_clock>>(pb, transport::any_sync_client(wire), clock)};
  CHECK_THROWS_AS(identity::oidc_authenticator(same), tessera::system_error);
}

TEST_CASE("oidc: an ID token presented on its own names its person (Flyte's IDToken)") {
  fixture f;
  boost::json::object c{{"iss", f.idp.issuer}, {"sub", "bob"}, {"aud", "rp"}, {"iat", to_unix_seconds(f.clock.now())},
                        {"exp", to_unix_seconds(f.clock.now()) + 300}, {"nonce", "from-elsewhere"}, {"email", "bob@example.com"}};
  std::error_code ec;
  auto u = f.rp.id.authenticator().person_of_id_token(jose::sign_jwt(jose::jws_signer(f.idp.key, "JWT"), c), ec);
  REQUIRE(u);
  CHECK(u->subject == "bob");
  CHECK(u->claims.at("email") == "bob@example.com");
  c["aud"] = "other";
  CHECK(!f.rp.id.authenticator().person_of_id_token(jose::sign_jwt(jose::jws_signer(f.idp.key, "JWT"), c), ec));
  CHECK(ec);
}

TEST_CASE("oidc: /me answers for an IDToken or Bearer token as Flyte's IdentityService does") {
  fixture f;
  const auto now = to_unix_seconds(f.clock.now());
  boost::json::object c{{"iss", f.idp.issuer}, {"sub", "carol"}, {"aud", "rp"}, {"iat", now}, {"exp", now + 3600},
                        {"email", "carol@example.com"}, {"given_name", "Carol"}, {"groups", boost::json::array{"ops"}}};
  const std::string id_token = jose::sign_jwt(jose::jws_signer(f.idp.key, "JWT"), c);
  auto me_with = [&](std::string_view header, std::string value) {
    transport::request req{transport::http::verb::get, "/me", 11};
    req.set(header, value);
    std::error_code ec;
    auto res = f.rp.browser.wire.send(std::move(req), std::string(rp) + "/me", ec);
    REQUIRE(!ec);
    return res;
  };
  auto res = me_with("flyte-authorization", "IDToken " + id_token);
  REQUIRE(res.result_int() == 200);
  auto doc = boost::json::parse(res.body()).as_object();
  CHECK(doc["subject"] == "carol");
  CHECK(doc["email"] == "carol@example.com");
  CHECK(res["X-User-Subject"] == "carol");
  CHECK(res["X-User-Claim-Email"] == "\"carol@example.com\"");
  CHECK(res["X-User-Claim-Given-Name"] == "\"Carol\"");
  CHECK(res["X-User-Claim-Groups"] == "[\"ops\"]");
  CHECK(me_with("authorization", "idtoken " + id_token).result_int() == 200);
  f.clock.advance(seconds(900));  // older than a sign-in would accept (600 s), still before exp
  CHECK(me_with("authorization", "IDToken " + id_token).result_int() == 200);

  c["aud"] = "someone-else";
  auto refused = me_with("authorization", "IDToken " + jose::sign_jwt(jose::jws_signer(f.idp.key, "JWT"), c));
  CHECK(refused.result_int() == 401);
  CHECK(boost::json::parse(refused.body()).as_object()["error"] == "invalid_token");
  // Bearer: nobody told this identity how to check access tokens.
  CHECK(me_with("authorization", "Bearer " + id_token).result_int() == 401);
  CHECK(me_with("authorization", "Basic dXNlcjpwdw==").result_int() == 401);  // no session either
  // Another scheme (a proxy's Basic) leaves the session to answer.
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  {
    transport::request req{transport::http::verb::get, "/me", 11};
    req.set(transport::http::field::cookie, "__Host-tessera_session=" + f.rp.browser.jar.at("__Host-tessera_session"));
    req.set("authorization", "Basic dXNlcjpwdw==");
    std::error_code ec;
    CHECK(f.rp.browser.wire.send(std::move(req), std::string(rp) + "/me", ec).result_int() == 200);
  }
  // A token, even a bad one, is answered for: never silently the session's person instead.
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  transport::request req{transport::http::verb::get, "/me", 11};
  req.set(transport::http::field::cookie, "__Host-tessera_session=" + f.rp.browser.jar.at("__Host-tessera_session"));
  req.set("authorization", "IDToken not-a-token");
  std::error_code ec;
  CHECK(f.rp.browser.wire.send(std::move(req), std::string(rp) + "/me", ec).result_int() == 401);
}

TEST_CASE("oidc: /me with a Bearer token through token_user") {
  shared_clock clock;
  test_idp idp{"https://idp.example.com", clock};
  auto settings = rp_settings();
  settings.token_user = [](std::string_view scheme, std::string_view token, std::error_code& ec) -> std::optional<identity::user> {
    if (scheme == "Bearer" && token == "good") {
      ec = {};
      return identity::user{"svc-user", {{"name", "Service"}}, {}, {}};
    }
    ec = error::token_inactive;
    return std::nullopt;
  };
  store::memory st;
  transport::in_memory wire{idp.routes};
  identity::oidc_settings o;
  o.log = [](std::string_view) {};
  identity::oidc<identity::profile::generic_oidc, store::memory, shared_clock> id(settings, idp_settings(idp),
                                                                                   transport::any_sync_client(wire), st, clock, o);
  transport::router routes;
  id.install(routes);
  transport::in_memory browser{routes};
  transport::request req{transport::http::verb::get, "/me", 11};
  req.set("authorization", "Bearer good");
  std::error_code ec;
  auto res = browser.send(transport::request(req), std::string(rp) + "/me", ec);
  CHECK(res.result_int() == 200);
  CHECK(boost::json::parse(res.body()).as_object()["subject"] == "svc-user");
  req.set("authorization", "Bearer bad");
  CHECK(browser.send(std::move(req), std::string(rp) + "/me", ec).result_int() == 401);
}

TEST_CASE("oidc: concurrent requests on a stale session refresh it once (row 49)") {
  fixture f;
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  f.clock.advance(seconds(400));
  const std::string cookie = "__Host-tessera_session=" + f.rp.browser.jar.at("__Host-tessera_session");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      transport::in_memory wire{f.rp.routes};
      for (int i = 0; i < 4; ++i) {
        transport::request req{transport::http::verb::get, "/me", 11};
        req.set(transport::http::field::cookie, cookie);
        std::error_code ec;
        if (wire.send(std::move(req), std::string(rp) + "/me", ec).result_int() == 200) ok.fetch_add(1);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok.load() == 32);
  CHECK(f.idp.refresh_calls.load() == 1);
}

TEST_CASE("oidc: the discovery document is fetched again after metadata_max_age; a failure keeps the old one") {
  fixture f;
  const int first = f.idp.hits_metadata.load();
  f.clock.advance(std::chrono::hours(25));
  f.idp.down = true;
  CHECK(f.rp.browser.get(std::string(rp) + "/login").result_int() == 303);  // the old document serves
  CHECK(f.idp.hits_metadata.load() == first + 1);
  CHECK(f.rp.browser.get(std::string(rp) + "/login").result_int() == 303);
  CHECK(f.idp.hits_metadata.load() == first + 1);  // within the backoff: not asked again
  CHECK(f.rp.id.provider().status().last_error == error::http_status_unexpected);
  f.idp.down = false;
  f.idp.metadata["end_session_endpoint"] = f.idp.issuer + "/signout";
  f.clock.advance(seconds(2));
  f.rp.browser.jar.clear();
  CHECK(f.rp.browser.get(std::string(rp) + "/login").result_int() == 303);
  CHECK(f.idp.hits_metadata.load() == first + 2);
  CHECK(f.rp.id.provider().metadata()->end_session_endpoint == f.idp.issuer + "/signout");
  CHECK(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);  // keys fetched anew for the new document
}

namespace {

identity::session_identity_settings stateless_settings() {
  auto s = rp_settings();
  s.storage = identity::session_storage::cookies;
  return s;
}

struct stateless_fixture {
  shared_clock clock;
  test_idp idp{"https://idp.example.com", clock};
  generic_rp rp{idp, idp_settings(idp), clock, generic_rp::quiet(), stateless_settings()};
};

int session_chunks(const std::map<std::string, std::string>& jar) {
  int n = 0;
  for (const auto& [k, v] : jar) n += k.starts_with("__Host-tessera_session_");
  return n;
}

}  // namespace

TEST_CASE("oidc stateless: the session travels in sealed cookie chunks under 4 KB, the store keeps nothing") {
  stateless_fixture f;
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  CHECK(session_chunks(f.rp.browser.jar) == 1);
  CHECK(f.rp.store.size() == 1);  // the spent sign-in state only: no session
  auto me = f.rp.browser.get(std::string(rp) + "/me");
  REQUIRE(me.result_int() == 200);
  CHECK(boost::json::parse(me.body()).as_object()["subject"] == "alice");

  // Azure-sized tokens: several chunks, each cookie under 4 KB.
  f.idp.id_claims_hook = [](boost::json::object& c) { c.erase("at_hash"); };  // the token is replaced below
  f.idp.token_hook = [&f](boost::json::object& b) {
    b["access_token"] = std::string(7000, 'a');
    f.idp.last_access_token = std::string(7000, 'a');  // what userinfo then accepts
  };
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  CHECK(session_chunks(f.rp.browser.jar) >= 3);
  for (const auto& line : f.rp.browser.set_cookie_log) CHECK(line.size() < 4096);
  REQUIRE(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);

  SECTION("a tampered chunk") {
    auto& c = f.rp.browser.jar.at("__Host-tessera_session_2");
    c[10] = c[10] == 'A' ? 'B' : 'A';
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
  }
  SECTION("a dropped chunk") {
    f.rp.browser.jar.erase("__Host-tessera_session_3");
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
  }
  SECTION("a chunk of another session") {
    const auto mine = f.rp.browser.jar;
    REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
    auto other2 = f.rp.browser.jar.at("__Host-tessera_session_2");
    f.rp.browser.jar = mine;
    f.rp.browser.jar["__Host-tessera_session_2"] = other2;
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
  }
  SECTION("chunks moved to other places") {
    auto one = f.rp.browser.jar.at("__Host-tessera_session_1");
    f.rp.browser.jar["__Host-tessera_session_1"] = f.rp.browser.jar.at("__Host-tessera_session_2");
    f.rp.browser.jar["__Host-tessera_session_2"] = one;
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
  }
}

TEST_CASE("oidc stateless: /me refreshes the IdP's tokens into new cookies; logout clears them") {
  stateless_fixture f;
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  const auto before = f.rp.browser.jar;  // its refresh token is spent by the refresh below
  f.clock.advance(seconds(400));
  f.rp.browser.set_cookie_log.clear();
  REQUIRE(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
  CHECK(f.idp.refresh_calls.load() == 1);
  CHECK(!f.rp.browser.set_cookie_log.empty());
  REQUIRE(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
  CHECK(f.idp.refresh_calls.load() == 1);  // the new cookies hold fresh tokens
  const auto copy = f.rp.browser.jar;

  auto page = f.rp.browser.get(std::string(rp) + "/logout");
  REQUIRE(page.result_int() == 200);
  const std::string marker = "name=\"csrf_token\" value=\"";
  const auto from = page.body().find(marker) + marker.size();
  const std::string csrf = page.body().substr(from, page.body().find('"', from) - from);
  auto out = f.rp.browser.post_form(std::string(rp) + "/logout", "csrf_token=" + csrf);
  REQUIRE(out.result_int() == 303);
  CHECK(session_chunks(f.rp.browser.jar) == 0);
  CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
  // What stateless costs (documented): a copy of the cookies lives until it expires...
  f.rp.browser.jar = copy;
  CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 200);
  // ...but one whose refresh token the IdP rotated away ends at its next refresh.
  f.rp.browser.jar = before;
  CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
  SECTION("a refused refresh clears the cookies") {
    f.rp.browser.jar = copy;
    f.clock.advance(seconds(400));
    f.idp.refuse_refresh = true;
    CHECK(f.rp.browser.get(std::string(rp) + "/me").result_int() == 401);
    CHECK(session_chunks(f.rp.browser.jar) == 0);
  }
}

TEST_CASE("oidc: a session cookie planted before the sign-in is never promoted, and ends (row 16)") {
  fixture f;
  REQUIRE(f.rp.finish(f.idp, f.rp.start()).result_int() == 303);
  const std::string planted = f.rp.browser.jar.at("__Host-tessera_session");  // e.g. the attacker's own session
  browser_sim victim(f.rp.routes);
  victim.jar["__Host-tessera_session"] = planted;
  victim.jar.erase("__Host-tessera_oidc");
  auto login = victim.get(std::string(rp) + "/login?prompt=login");
  REQUIRE(login.result_int() == 303);
  const std::string url = victim.location(login);
  auto res = victim.get(std::string(rp) + "/callback?code=" + f.idp.authorize(url) + "&state=" + query_of(url)["state"]);
  REQUIRE(res.result_int() == 303);
  CHECK(victim.jar.at("__Host-tessera_session") != planted);  // a fresh id
  browser_sim attacker(f.rp.routes);
  attacker.jar["__Host-tessera_session"] = planted;
  CHECK(attacker.get(std::string(rp) + "/me").result_int() == 401);  // the planted session ended
}
