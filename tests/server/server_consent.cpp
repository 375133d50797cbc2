// The consent page (docs/security.md row 37), `prompt` as a list and `max_age` (row 35):
// driven through the router as a browser would, with the header identity of test_server.hpp.
#include "test_server.hpp"

using namespace test;

namespace {

const std::string consent_cookie = "__Host-tessera_consent";
const std::string pending_cookie = "__Host-tessera_authz";

http::parameters request_of(std::string_view client, std::string_view redirect, std::string_view scope, const pkce_pair& pk) {
  return {{"response_type", "code"},        {"client_id", client},  {"redirect_uri", redirect},
          {"scope", scope},                 {"state", "st4te-xyz"}, {"code_challenge", pk.challenge},
          {"code_challenge_method", "S256"}};
}

}  // namespace

// --- the consent page ------------------------------------------------------------------------

TEST_CASE("row 37: with a session, a client the person never allowed gets the consent page, not a code") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize_only(fixture::code_request(pk, "all offline openid"), "alice");
  REQUIRE(r.result() == bhttp::status::see_other);
  CHECK(r[bhttp::field::location] == "/oauth2/consent");
  CHECK(location_query(r).count("code") == 0);
  CHECK(f.store.size() == 0);  // nothing issued, nothing remembered
  auto pending = cookie_pair(r, pending_cookie);
  REQUIRE_FALSE(pending.empty());

  auto page = f.consent_page(pending, "alice");
  check_html_page(page);
  const std::string& html = page.body();
  CHECK(html.find("<strong>flytectl</strong>") != std::string::npos);
  CHECK(html.find("asks to act as <strong>alice</strong>") != std::string::npos);
  CHECK(html.find("Act as you in Flyte") != std::string::npos);   // all
  CHECK(html.find("Stay connected") != std::string::npos);        // offline
  CHECK(html.find("Know who you are") != std::string::npos);      // openid
  CHECK(html.find("an application on this computer (http://localhost:53593/callback)") != std::string::npos);
  CHECK(html.find("name=\"decision\" value=\"approve\"") != std::string::npos);
  CHECK(html.find("name=\"decision\" value=\"deny\"") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find(pk.challenge) == std::string::npos);
  auto csrf = set_cookie_line(page, consent_cookie);
  CHECK(csrf.find("SameSite=Strict") != std::string::npos);
  CHECK(csrf.find("HttpOnly") != std::string::npos);
  CHECK(csrf.find("Secure") != std::string::npos);
  CHECK(f.store.size() == 0);  // showing the page decides nothing
}

TEST_CASE("row 37: Allow issues the code and is remembered for this person, client and scopes; more scopes ask again") {
  fixture f;
  pkce_pair pk;
  auto first = f.authorize(fixture::code_request(pk, "all openid"), "alice");
  auto code = fixture::code_of(first);
  CHECK(location_base(first) == cli_redirect);
  CHECK(location_query(first)["state"] == "st4te-xyz");
  CHECK(location_query(first)["iss"] == issuer);
  CHECK(set_cookie_line(first, pending_cookie).find("Max-Age=0") != std::string::npos);  // the request is spent
  CHECK(set_cookie_line(first, consent_cookie).find("Max-Age=0") != std::string::npos);
  auto t = f.redeem(code, pk.verifier);
  REQUIRE(t.result() == bhttp::status::ok);

  std::error_code ec;
  auto kept = f.store.find_consent("alice", "flytectl", f.clock.now(), ec);
  REQUIRE(kept);
  CHECK(kept->scope == "all openid");
  CHECK(kept->expires_at == f.clock.now() + f.settings.consent_lifetime);

  // The same or fewer scopes: straight to a code.
  for (auto scope : {"all openid", "openid", "all"}) {
    INFO(scope);
    pkce_pair again;
    auto r = f.authorize_only(fixture::code_request(again, scope), "alice");
    CHECK(location_base(r) == cli_redirect);
    CHECK(location_query(r).count("code") == 1);
  }
  // More scopes, another person, another client: asked again.
  CHECK(f.authorize_only(fixture::code_request(pk, "all openid offline"), "alice")[bhttp::field::location] == "/oauth2/consent");
  CHECK(f.authorize_only(fixture::code_request(pk, "all openid"), "bob")[bhttp::field::location] == "/oauth2/consent");
  CHECK(f.authorize_only(request_of("pyflyte", "http://localhost:53594/callback", "all", pk), "alice")[bhttp::field::location] ==
        "/oauth2/consent");
  // Allowing the larger set keeps what was allowed before.
  fixture::code_of(f.authorize(fixture::code_request(pk, "offline"), "alice"));
  CHECK(f.store.find_consent("alice", "flytectl", f.clock.now(), ec)->scope == "offline all openid");
}

TEST_CASE("row 37: a remembered consent lasts consent_lifetime; zero remembers nothing") {
  SECTION("expiry") {
    fixture f;
    pkce_pair pk;
    fixture::code_of(f.authorize(fixture::code_request(pk, "all"), "alice"));
    f.clock.advance(f.settings.consent_lifetime - std::chrono::seconds(1));
    CHECK(location_query(f.authorize_only(fixture::code_request(pk, "all"), "alice")).count("code") == 1);
    f.clock.advance(std::chrono::seconds(1));
    CHECK(f.authorize_only(fixture::code_request(pk, "all"), "alice")[bhttp::field::location] == "/oauth2/consent");
  }
  SECTION("never remembered") {
    fixture f([](server::server_settings& s) { s.consent_lifetime = seconds{0}; });
    pkce_pair pk;
    fixture::code_of(f.authorize(fixture::code_request(pk, "all"), "alice"));
    std::error_code ec;
    CHECK_FALSE(f.store.find_consent("alice", "flytectl", f.clock.now(), ec));
    CHECK(f.authorize_only(fixture::code_request(pk, "all"), "alice")[bhttp::field::location] == "/oauth2/consent");
  }
}

TEST_CASE("row 37: Deny sends access_denied to the client and issues and remembers nothing") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize_only(fixture::code_request(pk, "all"), "alice");
  auto denied = f.decide_consent(cookie_pair(r, pending_cookie), "alice", "deny");
  REQUIRE(denied.result() == bhttp::status::see_other);
  CHECK(location_base(denied) == cli_redirect);
  auto q = location_query(denied);
  CHECK(q["error"] == "access_denied");
  CHECK(q["state"] == "st4te-xyz");
  CHECK(q["iss"] == issuer);
  CHECK(q.count("code") == 0);
  CHECK(set_cookie_line(denied, pending_cookie).find("Max-Age=0") != std::string::npos);
  CHECK(f.store.size() == 0);
  CHECK(f.authorize_only(fixture::code_request(pk, "all"), "alice")[bhttp::field::location] == "/oauth2/consent");
}

TEST_CASE("row 37: an Allow without the page's CSRF token decides nothing and shows the page again") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize_only(fixture::code_request(pk, "all"), "alice");
  const auto pending = cookie_pair(r, pending_cookie);
  auto shown = f.consent_page(pending, "alice");
  const auto token = fixture::csrf_token_of(shown);
  const auto csrf = cookie_pair(shown, consent_cookie);
  auto post = [&](std::string body, std::string cookies) {
    auto req = fixture::form_request("/oauth2/consent", std::move(body));
    req.set(bhttp::field::cookie, cookies);
    req.set("X-Test-User", "alice");
    return f.send(std::move(req));
  };
  std::string wrong = token;
  wrong[3] = wrong[3] == 'A' ? 'B' : 'A';
  for (const auto& [body, cookies] : std::vector<std::pair<std::string, std::string>>{
           {"decision=approve", pending + "; " + csrf},                                          // no token
           {"decision=approve&csrf_token=" + token, pending},                                     // no CSRF cookie
           {"decision=approve&csrf_token=" + http::form_encode_component(wrong), pending + "; " + csrf},  // wrong token
       }) {
    INFO(body << " | " << cookies);
    auto res = post(body, cookies);
    CHECK(res.result() == bhttp::status::forbidden);
    CHECK(res[bhttp::field::location].empty());
    CHECK(res.body().find("name=\"decision\" value=\"approve\"") != std::string::npos);
  }
  // Without the kept request there is nothing to decide.
  auto lost = post("decision=approve&csrf_token=" + http::form_encode_component(token), csrf);
  CHECK(lost.result() == bhttp::status::bad_request);
  CHECK(lost[bhttp::field::location].empty());
  // Not a form, or no decision.
  auto not_form = fixture::form_request("/oauth2/consent", "{}");
  not_form.set(bhttp::field::content_type, "application/json");
  not_form.set(bhttp::field::cookie, pending + "; " + csrf);
  not_form.set("X-Test-User", "alice");
  CHECK(f.send(std::move(not_form)).result() == bhttp::status::bad_request);
  CHECK(post("decision=maybe&csrf_token=" + http::form_encode_component(token), pending + "; " + csrf).result() ==
        bhttp::status::bad_request);
  CHECK(f.store.size() == 0);
}

TEST_CASE("row 37: the consent page needs the person logged in; another person's session cannot use the kept request unseen") {
  fixture f;
  pkce_pair pk;
  auto r = f.authorize_only(fixture::code_request(pk, "all"), "alice");
  const auto pending = cookie_pair(r, pending_cookie);
  request page{bhttp::verb::get, "/oauth2/consent", 11};
  page.set(bhttp::field::cookie, pending);
  auto nobody = f.send(page);
  REQUIRE(nobody.result() == bhttp::status::see_other);
  CHECK(location_query(nobody)["error"] == "login_required");
  // Whoever is logged in sees their own name on the page and decides for themselves.
  auto shown = f.consent_page(pending, "bob");
  CHECK(shown.body().find("asks to act as <strong>bob</strong>") != std::string::npos);
}

TEST_CASE("row 37: first-party clients skip consent, except a public one on a native redirect unless the operator says so") {
  pkce_pair pk;
  const auto console = request_of("console", "https://console.example.com/oauth/callback", "all openid", pk);
  const auto pyflyte = request_of("pyflyte", "http://localhost:53594/callback", "all openid", pk);
  SECTION("defaults") {
    fixture f;
    auto web = f.authorize_only(console, "alice");
    CHECK(location_base(web) == "https://console.example.com/oauth/callback");
    CHECK(location_query(web).count("code") == 1);
    // Any program on alice's machine can use pyflyte's id and listen on a loopback port.
    CHECK(f.authorize_only(pyflyte, "alice")[bhttp::field::location] == "/oauth2/consent");
    // prompt=consent asks even a first-party client.
    CHECK(f.authorize_only(with(console, "prompt", "consent"), "alice")[bhttp::field::location] == "/oauth2/consent");
  }
  SECTION("first_party_native_skips_consent") {
    fixture f([](server::server_settings& s) { s.first_party_native_skips_consent = true; });
    CHECK(location_query(f.authorize_only(pyflyte, "alice")).count("code") == 1);
    CHECK(f.authorize_only(fixture::code_request(pk, "all"), "alice")[bhttp::field::location] == "/oauth2/consent");  // not first-party
  }
}

TEST_CASE("row 37: prompt=consent asks even with a remembered consent; prompt=none answers consent_required instead of a page") {
  fixture f;
  pkce_pair pk;
  SECTION("prompt=none before any consent") {
    auto r = f.authorize_only(with(fixture::code_request(pk, "all"), "prompt", "none"), "alice");
    REQUIRE(r.result() == bhttp::status::see_other);
    CHECK(location_base(r) == cli_redirect);
    CHECK(location_query(r)["error"] == "consent_required");
    CHECK(location_query(r)["state"] == "st4te-xyz");
    CHECK(set_cookie_line(r, pending_cookie).empty());
  }
  SECTION("after an Allow") {
    fixture::code_of(f.authorize(fixture::code_request(pk, "all"), "alice"));
    CHECK(location_query(f.authorize_only(with(fixture::code_request(pk, "all"), "prompt", "none"), "alice")).count("code") == 1);
    CHECK(f.authorize_only(with(fixture::code_request(pk, "all"), "prompt", "consent"), "alice")[bhttp::field::location] ==
          "/oauth2/consent");
  }
}

// --- prompt as a list, max_age (row 35) -------------------------------------------------------

TEST_CASE("row 35: prompt is a space-separated list; unknown values and none with others are refused") {
  fixture f;
  pkce_pair pk;
  remember_consent(f.store, "alice", "flytectl", "all offline openid");
  auto error_for = [&](std::string_view prompt) {
    auto r = f.authorize_only(with(fixture::code_request(pk), "prompt", prompt), "alice");
    REQUIRE(r.result() == bhttp::status::see_other);
    CHECK(location_base(r) == cli_redirect);
    return location_query(r);
  };
  for (auto bad : {"bogus", "login bogus", "LOGIN", "none login", "consent none", "none none login"}) {
    INFO(bad);
    auto q = error_for(bad);
    CHECK(q["error"] == "invalid_request");
    CHECK(q.count("code") == 0);
  }
  CHECK(error_for("none login")["error_description"] == description(error::prompt_none_combined));
  CHECK(error_for("bogus")["error_description"] == description(error::prompt_unsupported));
  // A list with login in it asks for a new login, whatever else it holds.
  for (auto with_login : {"login consent", "consent login", "select_account", "  login  ", "login login"}) {
    INFO(with_login);
    auto r = f.authorize_only(with(fixture::code_request(pk), "prompt", with_login), "alice");
    CHECK(location_base(r) == "/login");
    CHECK(location_query(r)["prompt"] == "login");
  }
  CHECK(error_for("none").count("code") == 1);
}

TEST_CASE("row 35: max_age=0 and an auth_time older than max_age send the browser to log in again; a recent one gets a code") {
  fixture f;
  pkce_pair pk;
  remember_consent(f.store, "alice", "flytectl", "all offline openid");
  f.clock.advance(std::chrono::seconds(600));  // alice logged in 600 s ago (test_server.hpp)
  auto answer = [&](std::string_view max_age) {
    return f.authorize_only(with(fixture::code_request(pk), "max_age", max_age), "alice");
  };
  for (auto again : {"0", "599", "1"}) {
    INFO(again);
    auto r = answer(again);
    CHECK(location_base(r) == "/login");
    CHECK(location_query(r)["prompt"] == "login");
    CHECK_FALSE(set_cookie_line(r, pending_cookie).empty());
  }
  for (auto fine : {"600", "3600", "9999999999"}) {
    INFO(fine);
    CHECK(location_query(answer(fine)).count("code") == 1);
  }
  // prompt=none cannot log in again: login_required, no page.
  auto none = f.authorize_only(with(with(fixture::code_request(pk), "max_age", "60"), "prompt", "none"), "alice");
  CHECK(location_query(none)["error"] == "login_required");
}

TEST_CASE("row 35: the callback of a max_age request takes a new login, not the old session") {
  fixture f;
  pkce_pair pk;
  remember_consent(f.store, "alice", "flytectl", "all offline openid");
  f.clock.advance(std::chrono::seconds(600));
  auto r = f.authorize_only(with(fixture::code_request(pk), "max_age", "60"), "alice");
  REQUIRE(location_base(r) == "/login");
  auto callback = [&](std::string login_id, std::int64_t auth_time) {
    request cb{bhttp::verb::get, "/oauth2/authorize_callback", 11};
    cb.set(bhttp::field::cookie, cookie_pair(r, pending_cookie));
    cb.set("X-Test-User", "alice");
    cb.set("X-Test-Login", login_id);
    cb.set("X-Test-Auth-Time", std::to_string(auth_time));
    return f.send(std::move(cb));
  };
  CHECK(location_query(callback("login-1", 1'800'000'000))["error"] == "login_required");
  auto fresh = callback("login-2", 1'800'000'600);
  auto code = fixture::code_of(fresh);
  auto t = f.redeem(code, pk.verifier);
  REQUIRE(t.result() == bhttp::status::ok);
  // The tokens carry the new login's auth_time (OIDC Core §2: required with max_age).
  auto o = f.introspect(fixture::json(t).at("access_token").as_string());
  CHECK(o.at("auth_time").to_number<std::int64_t>() == 1'800'000'600);
}

TEST_CASE("row 35: a max_age that is not a whole number of seconds is refused with invalid_request") {
  fixture f;
  pkce_pair pk;
  for (auto bad : {"-1", "-0", "abc", "1e3", "1.5", " 60", "60 ", "+60", "99999999999", "0x10"}) {
    INFO(bad);
    auto r = f.authorize_only(with(fixture::code_request(pk), "max_age", bad), "alice");
    REQUIRE(r.result() == bhttp::status::see_other);
    auto q = location_query(r);
    CHECK(q["error"] == "invalid_request");
    CHECK(q["error_description"] == description(error::max_age_invalid));
    CHECK(q.count("code") == 0);
  }
}
