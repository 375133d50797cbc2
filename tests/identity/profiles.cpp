// IdP profiles (identity/profiles.hpp): each profile's quirks against a local test IdP that
// serves that IdP's documented discovery document and token shapes.
#include "test_idp.hpp"

using namespace itest;
using tessera::error;
namespace profile = tessera::identity::profile;

namespace {

template <class P>
struct profile_fixture {
  profile_fixture(std::string issuer, std::function<void(test_idp&, identity::upstream_settings&)> setup = {})
      : idp(std::move(issuer), clock), settings(idp_settings(idp)) {
    if (setup) setup(idp, settings);
  }
  relying_party<P>& rp() {
    if (!party) party = std::make_unique<relying_party<P>>(idp, settings, clock);
    return *party;
  }
  shared_clock clock;
  test_idp idp;
  identity::upstream_settings settings;
  std::unique_ptr<relying_party<P>> party;
};

}  // namespace

TEST_CASE("profile generic_oidc: default scopes follow what the IdP lists") {
  profile_fixture<profile::generic_oidc> f("https://idp.example.com", [](test_idp& idp, auto&) {
    idp.metadata["scopes_supported"] = boost::json::array{"openid", "email"};
  });
  CHECK(query_of(f.rp().start())["scope"] == "openid email");
  profile_fixture<profile::generic_oidc> g("https://idp.example.com", [](test_idp& idp, auto&) { idp.metadata.erase("scopes_supported"); });
  CHECK(query_of(g.rp().start())["scope"] == "openid profile email");
  profile_fixture<profile::generic_oidc> h("https://idp.example.com", [](test_idp&, identity::upstream_settings& s) {
    s.scopes = {"openid", "groups"};
    s.extra_authorize_parameters = {{"acr_values", "mfa"}};
  });
  auto q = query_of(h.rp().start());
  CHECK(q["scope"] == "openid groups");
  CHECK(q["acr_values"] == "mfa");
  // The protocol's own parameters, or one name twice: configuration errors.
  for (auto extra : {std::vector<std::pair<std::string, std::string>>{{"state", "mine"}},
                     std::vector<std::pair<std::string, std::string>>{{"prompt", "none"}},
                     std::vector<std::pair<std::string, std::string>>{{"acr_values", "a"}, {"acr_values", "b"}}}) {
    auto bad = h.settings;
    bad.extra_authorize_parameters = extra;
    CHECK_THROWS_AS((relying_party<profile::generic_oidc>{h.idp, bad, h.clock}), tessera::system_error);
  }
}

TEST_CASE("profile okta: idp= passed on from /login (Flyte idpQueryParameter), offline_access") {
  profile_fixture<profile::okta> f("https://org.okta.com/oauth2/default",
                                   [](test_idp&, identity::upstream_settings& s) { s.idp_query_parameter = "idp"; });
  auto q = query_of(f.rp().start("?idp=0oa1b2c3"));
  CHECK(q["idp"] == "0oa1b2c3");
  CHECK(q["scope"] == "openid profile email offline_access");
  CHECK(query_of(f.rp().start()).count("idp") == 0);
  CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 303);
}

TEST_CASE("profile google: both issuer spellings, access_type=offline, userinfo without sub") {
  profile_fixture<profile::google> f("https://accounts.google.com", [](test_idp& idp, auto&) {
    idp.token_issuer = "accounts.google.com";
    idp.userinfo.erase("sub");
  });
  const std::string url = f.rp().start();
  auto q = query_of(url);
  CHECK(q["access_type"] == "offline");
  CHECK(q["scope"] == "openid profile email");
  REQUIRE(f.rp().finish(f.idp, url).result_int() == 303);
  auto me = boost::json::parse(f.rp().browser.get(std::string(rp) + "/me").body()).as_object();
  CHECK(me["subject"] == "alice");
  CHECK(me["email"] == "alice@example.com");
  SECTION("an empty userinfo sub is filled from the ID token too") {
    f.idp.userinfo["sub"] = "";
    CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 303);
  }
  SECTION("the scheme-less spelling of another issuer is refused") {
    f.idp.token_issuer = "accounts.google.com.evil.example";
    CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 400);
  }
  SECTION("a discovery document of another issuer is refused") {
    profile_fixture<profile::google> g("https://accounts.google.com",
                                       [](test_idp& idp, auto&) { idp.metadata["issuer"] = "https://evil.example.com"; });
    CHECK(g.rp().id.provider().status().last_error == error::metadata_issuer_mismatch);
  }
}

TEST_CASE("profile gcp_identity: aud is the project id; it vouches for tokens, nobody signs in") {
  profile_fixture<profile::gcp_identity> f("https://securetoken.google.com/my-project", [](test_idp& idp, auto&) {
    idp.metadata.erase("authorization_endpoint");
    idp.metadata.erase("token_endpoint");
    idp.metadata.erase("userinfo_endpoint");
  });
  REQUIRE(f.rp().id.provider().status().ready);
  const auto now = to_unix_seconds(f.clock.now());
  boost::json::object c{{"iss", "https://securetoken.google.com/my-project"}, {"aud", "my-project"}, {"sub", "uid-1"},
                        {"iat", now}, {"exp", now + 600}, {"email", "p@example.com"}};
  std::error_code ec;
  auto u = f.rp().id.authenticator().person_of_id_token(jose::sign_jwt(jose::jws_signer(f.idp.key, "JWT"), c), ec);
  REQUIRE(u);
  CHECK(u->subject == "uid-1");
  c["aud"] = "rp";  // a client id is not the project
  CHECK(!f.rp().id.authenticator().person_of_id_token(jose::sign_jwt(jose::jws_signer(f.idp.key, "JWT"), c), ec));
  auto res = f.rp().browser.get(std::string(rp) + "/login");
  CHECK(res.result_int() == 500);
  CHECK(res.body().find("only vouches for tokens") != std::string::npos);
  identity::upstream_settings no_project = f.settings;
  no_project.base_url = "https://securetoken.google.com/";
  CHECK_THROWS_AS((relying_party<profile::gcp_identity>{f.idp, no_project, f.clock}), tessera::system_error);
}

TEST_CASE("profile azure_ad: {tenantid} with an allow-list, tid agreeing, the v1 issuer") {
  const std::string common = "https://login.microsoftonline.com/common/v2.0";
  auto setup = [](test_idp& idp, identity::upstream_settings& s) {
    idp.metadata["issuer"] = "https://login.microsoftonline.com/{tenantid}/v2.0";
    idp.token_issuer = "https://login.microsoftonline.com/tenant-a/v2.0";
    idp.id_claims_hook = [](boost::json::object& c) { c["tid"] = "tenant-a"; };
    s.tenants = {"tenant-a"};
  };
  profile_fixture<profile::azure_ad> f(common, setup);
  REQUIRE(f.rp().id.provider().status().ready);
  CHECK(query_of(f.rp().start())["scope"] == "openid profile email offline_access");
  CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 303);
  SECTION("a tenant outside the allow-list") {
    f.idp.token_issuer = "https://login.microsoftonline.com/tenant-b/v2.0";
    f.idp.id_claims_hook = [](boost::json::object& c) { c["tid"] = "tenant-b"; };
    auto res = f.rp().finish(f.idp, f.rp().start());
    CHECK(res.result_int() == 400);
    CHECK(res.body().find("tenant") != std::string::npos);
  }
  SECTION("tid naming another tenant than the issuer") {
    f.idp.id_claims_hook = [](boost::json::object& c) { c["tid"] = "tenant-b"; };
    auto res = f.rp().finish(f.idp, f.rp().start());
    CHECK(res.result_int() == 400);
    CHECK(res.body().find("tid is not the tenant") != std::string::npos);
  }
  SECTION("no tid") {
    f.idp.id_claims_hook = [](boost::json::object& c) { c.erase("tid"); };
    CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 400);
  }
  SECTION("the v1 issuer of an allowed tenant") {
    f.idp.token_issuer = "https://sts.windows.net/tenant-a/";
    CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 303);
  }
  SECTION("RFC 9207: a callback's iss is the template filled with an allowed tenant") {
    CHECK(f.rp().finish(f.idp, f.rp().start(), "&iss=https%3A%2F%2Flogin.microsoftonline.com%2Ftenant-a%2Fv2.0")
              .result_int() == 303);
  }
  SECTION("RFC 9207: a callback's iss of a tenant outside the list, or of another IdP, is refused") {
    for (std::string iss : {"https%3A%2F%2Flogin.microsoftonline.com%2Ftenant-b%2Fv2.0",
                            "https%3A%2F%2Flogin.microsoftonline.com%2F%7Btenantid%7D%2Fv2.0",
                            "https%3A%2F%2Fevil.example.com%2Ftenant-a%2Fv2.0"}) {
      auto res = f.rp().finish(f.idp, f.rp().start(), "&iss=" + iss);
      CHECK(res.result_int() == 400);
      CHECK(res.body().find("issuer") != std::string::npos);
    }
  }
  SECTION("a multi-tenant endpoint without an allow-list is a configuration error") {
    auto s = f.settings;
    s.tenants.clear();
    CHECK_THROWS_AS((relying_party<profile::azure_ad>{f.idp, s, f.clock}), tessera::system_error);
  }
}

TEST_CASE("profile azure_ad: a single tenant's endpoint, its issuer exactly") {
  profile_fixture<profile::azure_ad> f("https://login.microsoftonline.com/tenant-a/v2.0", [](test_idp& idp, auto&) {
    idp.id_claims_hook = [](boost::json::object& c) { c["tid"] = "tenant-a"; };
  });
  CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 303);
  f.idp.token_issuer = "https://login.microsoftonline.com/tenant-b/v2.0";
  CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 400);
}

TEST_CASE("profile auth0: trailing-slash issuer kept, audience on authorize and token requests") {
  profile_fixture<profile::auth0> f("https://tenant.auth0.com/", [](test_idp& idp, identity::upstream_settings& s) {
    idp.metadata["issuer"] = "https://tenant.auth0.com/";
    idp.token_issuer = "https://tenant.auth0.com/";
    s.audience = "https://flyte.example.com/api";
  });
  const std::string url = f.rp().start();
  auto q = query_of(url);
  CHECK(q["audience"] == "https://flyte.example.com/api");
  CHECK(q["scope"] == "openid profile email offline_access");
  CHECK(f.rp().finish(f.idp, url).result_int() == 303);
  CHECK(f.idp.last_token_form["audience"] == "https://flyte.example.com/api");
  f.idp.token_issuer = "https://tenant.auth0.com";  // without the slash: another string
  CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 400);
}

TEST_CASE("profile keycloak: realm URLs (and the legacy form), aud with account and azp") {
  CHECK(profile::keycloak::realm_url("https://kc.example.com/", "flyte") == "https://kc.example.com/realms/flyte");
  CHECK(profile::keycloak::realm_url("https://kc.example.com", "flyte", true) == "https://kc.example.com/auth/realms/flyte");
  auto setup = [](test_idp& idp, identity::upstream_settings& s) {
    idp.id_claims_hook = [](boost::json::object& c) {
      c["aud"] = boost::json::array{"rp", "account"};
      c["azp"] = "rp";
    };
    s.trusted_audiences = {"account"};
  };
  profile_fixture<profile::keycloak> f(profile::keycloak::realm_url("https://kc.example.com", "flyte", true), setup);
  CHECK(f.rp().finish(f.idp, f.rp().start()).result_int() == 303);
  profile_fixture<profile::keycloak> g("https://kc.example.com/realms/flyte", [&](test_idp& idp, identity::upstream_settings& s) {
    setup(idp, s);
    s.trusted_audiences.clear();
  });
  CHECK(g.rp().finish(g.idp, g.rp().start()).result_int() == 400);
}

namespace {

// GitHub: plain OAuth 2.0 on github.com's paths, the API elsewhere.
struct github_fake {
  github_fake() {
    routes.post("/login/oauth/access_token", [this](const transport::request& req) {
      std::error_code ec;
      auto form = http::parse_form(req.body(), ec);
      accept = std::string(req[transport::http::field::accept]);
      if (req[transport::http::field::authorization] != http::basic_authorization("gh-client", "gh-secret") ||
          !codes.count(std::string(form.get("code"))) ||
          crypto::pkce::s256_challenge(form.get("code_verifier")) != codes[std::string(form.get("code"))])
        return transport::make_response(req, transport::http::status::ok,
                                        R"({"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."})",
                                        "application/json");
      return transport::make_response(req, transport::http::status::ok,
                                      R"({"access_token":"gho_abc","token_type":"bearer","scope":"read:user,user:email"})",
                                      "application/json");
    });
    routes.get("/user", [this](const transport::request& req) {
      if (req[transport::http::field::authorization] != "Bearer gho_abc")
        return transport::make_response(req, transport::http::status::unauthorized, "{}", "application/json");
      return transport::make_response(req, transport::http::status::ok, user, "application/json");
    });
    routes.get("/user/emails", [this](const transport::request& req) {
      emails_calls++;
      return transport::make_response(
          req, transport::http::status::ok,
          R"([{"email":"old@example.com","primary":false,"verified":true},{"email":"octo@example.com","primary":true,"verified":true}])",
          "application/json");
    });
  }
  std::string authorize(std::string_view url) {
    auto q = query_of(url);
    std::string code = "gh-code-" + std::to_string(codes.size());
    codes[code] = q["code_challenge"];
    return code;
  }
  transport::router routes;
  std::map<std::string, std::string> codes;
  std::string accept;
  std::string user = R"({"login":"octocat","id":583231,"name":"The Octocat","avatar_url":"https://avatars.example/u/583231","email":null})";
  int emails_calls = 0;
};

}  // namespace

TEST_CASE("profile github: plain OAuth 2.0, JSON answers, the numeric id, emails") {
  shared_clock clock;
  github_fake gh;
  transport::in_memory wire{gh.routes};
  identity::upstream_settings s;
  s.name = "github";
  s.base_url = "https://github.com";
  s.api_url = "https://api.github.com";
  s.client_id = "gh-client";
  s.client_secret = "gh-secret";
  s.redirect_uri = std::string(rp) + "/callback";
  store::memory st;
  identity::oidc_settings o;
  o.log = [](std::string_view) {};
  identity::oidc<profile::github, store::memory, shared_clock> id(rp_settings(), s, transport::any_sync_client(wire), st, clock, o);
  transport::router routes;
  id.install(routes);
  browser_sim br(routes);

  auto res = br.get(std::string(rp) + "/login");
  REQUIRE(res.result_int() == 303);
  const std::string url = br.location(res);
  CHECK(url.starts_with("https://github.com/login/oauth/authorize?"));
  auto q = query_of(url);
  CHECK(q["scope"] == "read:user user:email");
  CHECK(q.count("nonce") == 0);
  CHECK(q["code_challenge_method"] == "S256");

  SECTION("the person: numeric id as subject, login as preferred_username, the primary verified email") {
    auto cb = br.get(std::string(rp) + "/callback?code=" + gh.authorize(url) + "&state=" + q["state"]);
    REQUIRE(cb.result_int() == 303);
    CHECK(gh.accept == "application/json");
    auto me = boost::json::parse(br.get(std::string(rp) + "/me").body()).as_object();
    CHECK(me["subject"] == "583231");
    CHECK(me["preferred_username"] == "octocat");
    CHECK(me["name"] == "The Octocat");
    CHECK(me["picture"] == "https://avatars.example/u/583231");
    CHECK(me["email"] == "octo@example.com");
    CHECK(gh.emails_calls == 1);
  }
  SECTION("an error answered with 200 is a refusal") {
    auto cb = br.get(std::string(rp) + "/callback?code=wrong&state=" + q["state"]);
    CHECK(cb.result_int() == 403);
    CHECK(cb.body().find("bad_verification_code") != std::string::npos);
  }
  SECTION("a /user without a numeric id is refused") {
    gh.user = R"({"login":"octocat","id":"583231"})";
    auto cb = br.get(std::string(rp) + "/callback?code=" + gh.authorize(url) + "&state=" + q["state"]);
    CHECK(cb.result_int() == 500);
    CHECK(cb.body().find("userinfo") != std::string::npos);
  }
  SECTION("GitHub Enterprise: the API under /api/v3") {
    identity::upstream_settings ghe;
    ghe.base_url = "https://ghe.example.com/";
    CHECK(profile::github::api(ghe) == "https://ghe.example.com/api/v3");
    ghe.base_url = "https://github.com";
    CHECK(profile::github::api(ghe) == "https://api.github.com");
  }
}

TEST_CASE("make_upstream: a profile chosen by name at run time; an unknown name is refused with the known ones") {
  shared_clock clock;
  test_idp idp{"https://idp.example.com", clock};
  transport::in_memory wire{idp.routes};
  for (auto name : identity::profile_names) {
    auto s = idp_settings(idp);
    s.audience = "project";   // gcp_identity needs a project id
    s.tenants = {"tenant-a"};
    auto p = identity::make_upstream(name, s, transport::any_sync_client(wire), clock);
    CHECK(p->profile_name() == name);
  }
  try {
    (void)identity::make_upstream("okay", idp_settings(idp), transport::any_sync_client(wire), clock);
    FAIL("an unknown profile was accepted");
  } catch (const tessera::system_error& e) {
    CHECK(e.code() == error::config_value_invalid);
    CHECK(std::string(e.what()).find("azure_ad") != std::string::npos);
  }
}

TEST_CASE("profile_is_interactive: by name, as the profile type says; only gcp_identity vouches without a sign-in") {
  for (auto name : identity::profile_names) CHECK(identity::profile_is_interactive(name) == (name != "gcp_identity"));
  CHECK(identity::profile_is_interactive("gcp_identity") == profile::gcp_identity::interactive);
  CHECK(identity::profile_is_interactive("github") == profile::github::interactive);
  CHECK(identity::profile_is_interactive("no such profile"));  // make_upstream refuses it with its own message
}
