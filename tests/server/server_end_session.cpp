// tessera as an OpenID provider ends sessions: RP-initiated logout at /oauth2/logout
// (server/endpoints/end_session.hpp; OpenID Connect RP-Initiated Logout 1.0).
#include "test_server.hpp"

using namespace test;

namespace {

std::string id_token_of(const fixture& f, std::string user = "alice") {
  auto body = f.login("all offline openid", std::move(user));
  REQUIRE(body.contains("id_token"));
  return std::string(body.at("id_token").as_string());
}

response logout_get(const fixture& f, const http::parameters& p, std::string user = "alice") {
  request req{bhttp::verb::get, "/oauth2/logout?" + http::form_encode(p), 11};
  if (!user.empty()) req.set("X-Test-User", user);
  return f.send(std::move(req));
}

}  // namespace

TEST_CASE("end session: a hint of the signed-in person ends the session and returns to the RP with state") {
  fixture f;
  const std::string hint = id_token_of(f);
  auto res = logout_get(f, {{"id_token_hint", hint},
                            {"post_logout_redirect_uri", "http://localhost:53593/logged-out"},
                            {"state", "s-123"}});
  REQUIRE(res.result_int() == 303);
  CHECK(location_base(res) == "http://localhost:53593/logged-out");
  CHECK(location_query(res)["state"] == "s-123");
  CHECK(f.idp.ended.load() == 1);
  CHECK(set_cookie_line(res, "test_session").find("Max-Age=0") != std::string::npos);
  SECTION("an expired hint still names the person (the RP's copy is old)") {
    f.clock.advance(std::chrono::hours(30));
    auto again = logout_get(f, {{"id_token_hint", hint}});
    CHECK(again.result_int() == 200);  // "You are signed out"
    CHECK(again.body().find("signed out") != std::string::npos);
    CHECK(f.idp.ended.load() == 2);
  }
}

TEST_CASE("end session: without a hint of this person, a confirmation page; a GET ends nothing (row 36)") {
  fixture f;
  const std::string bobs = id_token_of(f, "bob");
  for (const auto& p : {http::parameters{}, http::parameters{{"id_token_hint", bobs}},
                        http::parameters{{"client_id", "console"}, {"post_logout_redirect_uri", "https://console.example.com/signed-out"}}}) {
    auto page = logout_get(f, p);
    REQUIRE(page.result_int() == 200);
    check_html_page(page);
    CHECK(page.body().find("Sign out of") != std::string::npos);
    CHECK(f.idp.ended.load() == 0);
  }
  // Confirm: the form posts back with its CSRF token and the checked parameters.
  auto page = logout_get(f, {{"client_id", "console"}, {"post_logout_redirect_uri", "https://console.example.com/signed-out"},
                             {"state", "xyz"}});
  const std::string csrf_cookie = cookie_pair(page, "__Host-tessera_end_session");
  REQUIRE(!csrf_cookie.empty());
  auto post = fixture::form_request("/oauth2/logout", "csrf_token=" + http::form_encode_component(fixture::csrf_token_of(page)) +
                                                          "&client_id=console&post_logout_redirect_uri=" +
                                                          http::form_encode_component("https://console.example.com/signed-out") +
                                                          "&state=xyz&confirm=yes");
  post.set("X-Test-User", "alice");
  SECTION("without the CSRF cookie: 403, nothing ended") {
    auto res = f.send(post);
    CHECK(res.result_int() == 403);
    CHECK(f.idp.ended.load() == 0);
  }
  SECTION("with it: ended, on to the RP") {
    post.set(bhttp::field::cookie, csrf_cookie);
    auto res = f.send(post);
    REQUIRE(res.result_int() == 303);
    CHECK(location_base(res) == "https://console.example.com/signed-out");
    CHECK(location_query(res)["state"] == "xyz");
    CHECK(f.idp.ended.load() == 1);
  }
}

TEST_CASE("end session: refusals are pages without a redirect") {
  fixture f;
  const std::string hint = id_token_of(f);
  auto refused = [&](const http::parameters& p, std::string_view cause) {
    auto res = logout_get(f, p);
    INFO(res.body());
    CHECK(res.result_int() == 400);
    CHECK(res[bhttp::field::location].empty());
    CHECK(res.body().find(cause) != std::string::npos);
    CHECK(f.idp.ended.load() == 0);
  };
  SECTION("a post_logout_redirect_uri not registered for the client") {
    refused({{"id_token_hint", hint}, {"post_logout_redirect_uri", "https://evil.example.com/"}}, "not registered");
    refused({{"post_logout_redirect_uri", "http://localhost:53593/logged-out"}}, "not registered");  // no client known
  }
  SECTION("a hint for another client than client_id") {
    refused({{"id_token_hint", hint}, {"client_id", "console"}}, "id_token_hint");
  }
  SECTION("a tampered hint") {
    std::string bad = hint;
    bad[bad.size() - 5] = bad[bad.size() - 5] == 'A' ? 'B' : 'A';
    refused({{"id_token_hint", bad}}, "id_token_hint");
  }
  SECTION("an access token is no hint") {
    auto body = f.login();
    refused({{"id_token_hint", std::string(body.at("access_token").as_string())}}, "id_token_hint");
  }
  SECTION("a token of another issuer's key") {
    auto other = jose::jwk::generate(jose::algorithm::ES256);
    boost::json::object c{{"iss", issuer}, {"sub", "alice"}, {"aud", "flytectl"}, {"iat", 1}, {"exp", 2}};
    refused({{"id_token_hint", jose::sign_jwt(jose::jws_signer(other, "JWT"), c)}}, "id_token_hint");
  }
  SECTION("an unknown client") { refused({{"client_id", "nobody"}}, "not registered"); }
}

TEST_CASE("end session: without a session, on to the RP at once") {
  fixture f;
  const std::string hint = id_token_of(f);
  auto res = logout_get(f, {{"id_token_hint", hint}, {"post_logout_redirect_uri", "http://localhost:53593/logged-out"}}, "");
  REQUIRE(res.result_int() == 303);
  CHECK(location_base(res) == "http://localhost:53593/logged-out");
  CHECK(location_query(res).count("state") == 0);
}

TEST_CASE("end session: a hint issued before the person last authenticated only gets the confirmation page") {
  fixture f;
  const std::string hint = id_token_of(f);
  const auto iat = jose::verify_jws(hint, f.srv.keys()->verification_keys()).payload;
  const auto issued = boost::json::parse(iat).as_object().at("iat").as_int64();
  request req{bhttp::verb::get, "/oauth2/logout?" + http::form_encode(http::parameters{{"id_token_hint", hint}}), 11};
  req.set("X-Test-User", "alice");
  req.set("X-Test-Auth-Time", std::to_string(issued + 3600));  // a later login: the hint is of an older one
  auto res = f.send(std::move(req));
  CHECK(res.result_int() == 200);
  CHECK(res.body().find("Sign out of") != std::string::npos);
  CHECK(f.idp.ended.load() == 0);
}
