// Route guards (RFC 6750 answers), and tessera's own server as the authorization server: its
// tokens validated in-process (Self mode) and from "another process" through its metadata,
// JWKS and introspection (External mode), all over the in-memory transport.
#include "test_resource.hpp"

#include <tessera/server.hpp>

#include <boost/json/parse.hpp>

using namespace rtest;

namespace {

constexpr std::string_view as_url = "https://auth.example.com";

/// tessera's embedded server with two confidential clients: `svc` (client credentials,
/// scopes all and read) and `resource` (the resource server's own credentials, allowed to
/// introspect other clients' refresh tokens).
struct tessera_as {
  static identity::local_settings login_settings() {
    identity::local_settings s;
    std::string key(32, 'k');
    s.browser.cookie_keys = {key};
    s.browser.public_url = std::string(as_url);
    return s;
  }
  static server::client_registry clients() {
    server::client_registry r;
    const std::string hash = crypto::hash_secret("svc-secret", crypto::bcrypt_min_cost);
    server::client svc;
    svc.id = "svc";
    svc.secret_hashes = {hash};
    svc.grant_types = {"client_credentials"};
    svc.scopes = {"all", "read"};
    REQUIRE(r.add(svc) == server::client_problem::none);
    server::client rs;
    rs.id = "resource";
    rs.secret_hashes = {crypto::hash_secret("rs-secret", crypto::bcrypt_min_cost)};
    rs.grant_types = {"client_credentials"};
    rs.introspects_others = true;
    REQUIRE(r.add(rs) == server::client_problem::none);
    return r;
  }
  static server::server_settings settings() {
    server::server_settings s;
    s.issuer = std::string(as_url);
    return s;
  }

  store::memory memory_store;
  store::any store{memory_store};
  identity::local<store::any> users{login_settings(), store};
  identity::any_identity login{users};
  embedded_server server{settings(), clients(), server::key_set(jose::jwk::generate(jose::algorithm::ES256)), store,
                         login};
  transport::router routes = [this] {
    transport::router r;
    server.install(r);
    return r;
  }();
  transport::in_memory wire{routes};

  boost::json::object post(std::string_view path, transport::form_fields form, std::string_view id,
                           std::string_view secret) {
    transport::http::fields h;
    h.set(transport::http::field::authorization, http::basic_authorization(id, secret));
    auto res = wire.post_form(std::string(as_url) + std::string(path), form, h);
    INFO(res.body());
    REQUIRE(res.result() == transport::http::status::ok);
    return res.body().empty() ? boost::json::object{} : boost::json::parse(res.body()).as_object();
  }
  std::string token(std::string scope = "all read") {
    auto body = post("/oauth2/token", {{"grant_type", "client_credentials"}, {"scope", scope}}, "svc", "svc-secret");
    return std::string(body.at("access_token").as_string());
  }
  void revoke(std::string_view token) { post("/oauth2/revoke", {{"token", std::string(token)}}, "svc", "svc-secret"); }
};

transport::request get(std::string_view target, std::string_view authorization = {},
                       std::string_view header = "authorization") {
  transport::request req{transport::http::verb::get, target, 11};
  if (!authorization.empty()) req.set(header, authorization);
  return req;
}

template <class V>
transport::router protected_routes(const V& v, resource::guard_options o = {}) {
  transport::router r;
  r.get("/api/hello", resource::guard(
                          v, {},
                          [](const transport::request& req, const resource::access_claims& who) {
                            return transport::make_response(req, transport::http::status::ok, "hello " + who.subject);
                          },
                          o));
  r.get("/api/admin", resource::guard(
                          v, {"all", "admin"},
                          [](const transport::request& req, const transport::request_context&,
                             const resource::access_claims&) {
                            return transport::make_response(req, transport::http::status::ok, "admin");
                          },
                          o));
  return r;
}

}  // namespace

TEST_CASE("guard: RFC 6750 answers for no token, a bad token, a missing scope; the handler for a good one") {
  shared_clock clock;
  auto key = es256("k1");
  resource::validator_options o;
  o.issuer = std::string(issuer);
  o.audiences = {std::string(audience)};
  resource::validator<jose::static_key_set, shared_clock> v(jose::static_key_set(jose::jwk_set{key.public_key()}), o,
                                                             clock);
  auto routes = protected_routes(v);
  const std::string good = mint(key, claims_at(clock.now()));

  auto res = routes.route(get("/api/hello"));
  CHECK(res.result() == transport::http::status::unauthorized);
  CHECK(res[transport::http::field::www_authenticate] == "Bearer realm=\"tessera\"");

  res = routes.route(get("/api/hello", "Basic dXNlcjpwYXNz"));  // another scheme: no token
  CHECK(res.result() == transport::http::status::unauthorized);
  CHECK(res[transport::http::field::www_authenticate] == "Bearer realm=\"tessera\"");

  res = routes.route(get("/api/hello", "Bearer " + good.substr(0, good.size() - 4) + "AAAA"));
  CHECK(res.result() == transport::http::status::unauthorized);
  CHECK(res[transport::http::field::www_authenticate] == "Bearer realm=\"tessera\", error=\"invalid_token\"");
  CHECK(boost::json::parse(res.body()).at("error") == "invalid_token");
  CHECK(res.body().find(good.substr(0, 20)) == std::string::npos);  // never echoes the token
  CHECK(res[transport::http::field::cache_control] == "no-store");

  res = routes.route(get("/api/hello", "Bearer " + good));
  CHECK(res.result() == transport::http::status::ok);
  CHECK(res.body() == "hello alice");

  res = routes.route(get("/api/hello", "bearer   " + good, "flyte-authorization"));  // Flyte's header
  CHECK(res.result() == transport::http::status::ok);

  res = routes.route(get("/api/admin", "Bearer " + good));  // has all, lacks admin
  CHECK(res.result() == transport::http::status::forbidden);
  CHECK(res[transport::http::field::www_authenticate] ==
        "Bearer realm=\"tessera\", error=\"insufficient_scope\", scope=\"all admin\"");
  CHECK(boost::json::parse(res.body()).at("error") == "insufficient_scope");

  auto c = claims_at(clock.now());
  c["scope"] = "all admin";
  res = routes.route(get("/api/admin", "Bearer " + mint(key, c)));
  CHECK(res.result() == transport::http::status::ok);

  // An ID token is refused unless the application says how to check one.
  res = routes.route(get("/api/hello", "IDToken " + good));
  CHECK(res.result() == transport::http::status::unauthorized);
  CHECK(res[transport::http::field::www_authenticate] == "Bearer realm=\"tessera\", error=\"invalid_token\"");
  resource::guard_options with_id;
  with_id.realm = "flyte";
  with_id.id_tokens = [](std::string_view t, std::error_code& ec) -> std::shared_ptr<const resource::access_claims> {
    if (t != "id-token-of-bob") {
      ec = error::signature_invalid;
      return nullptr;
    }
    auto who = std::make_shared<resource::access_claims>();
    who->subject = "bob";
    return who;
  };
  auto id_routes = protected_routes(v, with_id);
  res = id_routes.route(get("/api/hello", "IDToken id-token-of-bob"));
  CHECK(res.body() == "hello bob");
  res = id_routes.route(get("/api/hello", "IDToken forged"));
  CHECK(res[transport::http::field::www_authenticate] == "Bearer realm=\"flyte\", error=\"invalid_token\"");
}

TEST_CASE("guard: keys that cannot be fetched answer 503, not invalid_token") {
  shared_clock clock;
  jwks_endpoint idp;
  idp.fail(transport::http::status::service_unavailable);
  resource::validator_options o;
  o.issuer = std::string(issuer);
  o.audiences = {std::string(audience)};
  resource::validator<oauth::remote_jwks<shared_clock>, shared_clock> v(
      oauth::remote_jwks<shared_clock>(std::string(jwks_endpoint::uri), transport::any_sync_client(idp.wire), {},
                                          clock),
      o, clock);
  auto routes = protected_routes(v);
  auto res = routes.route(get("/api/hello", "Bearer " + mint(es256("k1"), claims_at(clock.now()))));
  CHECK(res.result() == transport::http::status::service_unavailable);
  CHECK(boost::json::parse(res.body()).at("error") == "temporarily_unavailable");
  CHECK(res[transport::http::field::www_authenticate].empty());
}

TEST_CASE("bearer_challenge keeps quotes and backslashes out of its quoted strings") {
  CHECK(oauth::bearer_challenge(condition::insufficient_scope, "r\"", "a\" b\\") ==
        "Bearer realm=\"r\", error=\"insufficient_scope\", scope=\"a b\"");
}

TEST_CASE("Self mode: the server's own tokens, its audiences, its deny-list") {
  tessera_as as;
  auto v = resource::self_issued(as.server);
  CHECK(v.options().audiences == std::vector<std::string>{std::string(as_url)});
  const std::string token = as.token();
  std::error_code ec;
  auto who = v.validate(token, ec);
  REQUIRE_FALSE(ec);
  CHECK(who->subject == "svc");
  CHECK(who->client_id == "svc");
  CHECK(who->scopes == std::vector<std::string>{"all", "read"});  // scp and scope agree
  CHECK(who->audience == as_url);

  as.revoke(token);
  // Accepted from the cache until its max_age (30 s by default)…
  CHECK(v.validate(token, ec));
  // …and refused once checked again.
  v.cache().clear();
  CHECK_FALSE(v.validate(token, ec));
  CHECK(ec == error::token_revoked);

  // A token for another audience is refused.
  auto other = resource::self_issued(as.server, {"https://api.example.com"});
  CHECK_FALSE(other.validate(as.token(), ec));
  CHECK(ec == error::audience_mismatch);
}

TEST_CASE("External mode against tessera's server: discovery, JWKS, introspection of opaque tokens and revocation") {
  tessera_as as;
  const transport::any_sync_client http(as.wire);
  resource::external_options o;
  o.base_url = std::string(as_url);
  o.validation.audiences = {std::string(as_url)};
  o.validation.cache.max_entries = 0;  // every call asks the server: revocation is seen at once
  o.introspection_client_id = "resource";
  o.introspection_client_secret = "rs-secret";
  o.introspect_jwts = true;
  std::error_code ec;
  auto v = resource::external(http, o, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v);
  CHECK(v->keys().loaded());
  CHECK(v->options().issuer == as_url);

  const std::string token = as.token("read");
  auto who = v->validate(token, ec);
  REQUIRE_FALSE(ec);
  CHECK(who->scopes == std::vector<std::string>{"read"});
  as.revoke(token);
  CHECK_FALSE(v->validate(token, ec));
  CHECK(ec == error::token_revoked);

  // Opaque tokens go to introspection; the server says this one is unknown.
  CHECK_FALSE(v->validate("an-opaque-token-the-server-never-issued", ec));
  CHECK(ec == error::token_inactive);

  // Wrong credentials for introspection: the server refuses, the token is not judged.
  o.introspection_client_secret = "wrong";
  auto bad = resource::external(http, o, ec);
  REQUIRE(bad);
  CHECK_FALSE(bad->validate(as.token(), ec));
  CHECK(ec == error::introspection_failed);
  CHECK(condition_of(ec) == condition::temporarily_unavailable);
}

TEST_CASE("External mode: no introspection endpoint in the metadata while introspection is configured") {
  transport::router routes;
  routes.get("/.well-known/oauth-authorization-server", [](const transport::request& req) {
    return transport::make_response(req, transport::http::status::ok,
                                    R"({"issuer":"https://as.example.com","jwks_uri":"https://as.example.com/jwks"})",
                                    "application/json");
  });
  routes.get("/jwks", [](const transport::request& req) {
    return transport::make_response(req, transport::http::status::ok, R"({"keys":[]})", "application/json");
  });
  transport::in_memory wire(routes);
  resource::external_options o;
  o.base_url = "https://as.example.com";
  o.validation.audiences = {"x"};
  std::error_code ec;
  CHECK(resource::external(transport::any_sync_client(wire), o, ec));
  o.introspection_client_id = "rs";
  CHECK_FALSE(resource::external(transport::any_sync_client(wire), o, ec));
  CHECK(ec == error::metadata_invalid);
  // Flyte's allowedAudience left empty: no validator rather than one that accepts any audience.
  o.introspection_client_id.clear();
  o.validation.audiences.clear();
  CHECK_FALSE(resource::external(transport::any_sync_client(wire), o, ec));
  CHECK(ec == error::config_value_invalid);
}

TEST_CASE("guard: Flyte's IDToken scheme checked as an ID token of the provider, granted the configured scopes") {
  shared_clock clock;
  auto access_key = es256("as-1");
  auto idp_key = jose::jwk::generate(jose::algorithm::RS256).with_kid("idp-1");
  resource::validator_options o;
  o.issuer = std::string(issuer);
  o.audiences = {std::string(audience)};
  resource::validator<jose::static_key_set, shared_clock> v(jose::static_key_set(jose::jwk_set{access_key.public_key()}),
                                                             o, clock);
  oauth::id_token_options io;
  io.issuer = "https://idp.example.com";
  io.client_id = "flyte-console";
  io.max_issued_age = seconds(3600);  // ID tokens used as credentials for their lifetime
  oauth::id_token_validator<> idp(jose::static_key_set(jose::jwk_set{idp_key.public_key()}), io);
  resource::guard_options g;
  g.id_tokens = resource::id_token_bearer(idp, {"all"}, {}, clock);
  auto routes = protected_routes(v, g);

  const auto now = to_unix_seconds(clock.now());
  boost::json::object c{{"iss", "https://idp.example.com"}, {"sub", "00u1"},  {"aud", "flyte-console"},
                        {"iat", now - 1200},                 {"exp", now + 2400}, {"nonce", "from-the-login-of-the-cli"},
                        {"email", "alice@example.com"},      {"name", "Alice"}};
  const std::string id_token = mint(idp_key, c, "JWT");
  auto res = routes.route(get("/api/hello", "IDToken " + id_token, "flyte-authorization"));
  CHECK(res.result() == transport::http::status::ok);
  CHECK(res.body() == "hello 00u1");
  res = routes.route(get("/api/admin", "IDToken " + id_token));  // granted `all`, lacks `admin`
  CHECK(res.result() == transport::http::status::forbidden);

  std::error_code ec;
  auto who = g.id_tokens(id_token, ec);
  REQUIRE(who);
  CHECK(who->source == resource::token_source::id_token);
  CHECK(who->client_id.empty());
  CHECK(who->audience == "flyte-console");
  CHECK(who->user_info.at("email") == "alice@example.com");

  // Another client's ID token, an expired one, an access token passed off as an ID token.
  c["aud"] = "another-app";
  CHECK(routes.route(get("/api/hello", "IDToken " + mint(idp_key, c, "JWT"))).result() ==
        transport::http::status::unauthorized);
  c["aud"] = "flyte-console";
  c["exp"] = now - 120;
  CHECK(routes.route(get("/api/hello", "IDToken " + mint(idp_key, c, "JWT"))).result() ==
        transport::http::status::unauthorized);
  c["exp"] = now + 2400;
  CHECK_FALSE(g.id_tokens(mint(idp_key, c, "at+jwt"), ec));
  CHECK(ec == error::typ_mismatch);
  // An ID token is no access token: the Bearer scheme refuses it.
  CHECK(routes.route(get("/api/hello", "Bearer " + id_token)).result() == transport::http::status::unauthorized);
}
