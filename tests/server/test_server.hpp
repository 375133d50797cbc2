// Shared fixture for the authorization-server tests: a server over the memory store, a
// manual clock, and a test identity policy (the archetype: the least an identity must do).
//
// Everything goes through `fixture::router.route(...)` with Beast requests, as a transport
// would send them; the helpers below only build requests and read responses.
#pragma once

#include <tessera/server.hpp>
#include <tessera/transport/router.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <regex>
#include <set>

namespace test {

using namespace tessera;
namespace bhttp = boost::beast::http;
using transport::request;
using transport::response;

/// Identity archetype: a request "logs in" by carrying `X-Test-User: <subject>` (and, to
/// model a fresh login, `X-Test-Auth-Time: <unix seconds>` and `X-Test-Login: <login id>`;
/// without it every request is of the login "login-1").
struct header_identity {
  std::optional<identity::user> current_user(const request& req, const transport::request_context&,
                                             std::error_code& ec) const {
    ec = {};
    auto v = req["X-Test-User"];
    if (v.empty()) return std::nullopt;
    identity::user u;
    u.subject = std::string(v);
    u.claims["name"] = "Test " + std::string(v);
    u.claims["email"] = std::string(v) + "@example.com";
    u.auth_time = from_unix_seconds(1'800'000'000);
    if (auto t = req["X-Test-Auth-Time"]; !t.empty()) u.auth_time = from_unix_seconds(std::stoll(std::string(t)));
    u.login_id = req["X-Test-Login"].empty() ? std::string("login-1") : std::string(req["X-Test-Login"]);
    return u;
  }
  std::string_view login_path() const { return "/login"; }
  void install(transport::router&) const {}
  const identity::browser& browser() const { return browser_; }
  /// Users the tests removed are no longer recognized (the refresh grant asks).
  bool recognizes(const identity::user& u) const {
    std::lock_guard lock(removed_mutex_);
    return !removed_.contains(u.subject);
  }
  void remove_user(std::string subject) const {
    std::lock_guard lock(removed_mutex_);
    removed_.insert(std::move(subject));
  }
  /// Ends the request's "session" (the end-session endpoint asks): counted, and a Set-Cookie.
  identity::set_cookie_lines end_session(const request& req, const transport::request_context&, std::error_code& ec) const {
    ec = {};
    if (!req["X-Test-User"].empty()) ended.fetch_add(1);
    return {{"test_session=; Max-Age=0; Path=/"}};
  }
  mutable std::atomic<int> ended{0};

  /// The browser settings of the tests' deployment: a random cookie key of its own (two
  /// fixtures are two deployments: neither opens the other's cookies), the issuer's https URL.
  static identity::browser_settings browser_settings() {
    identity::browser_settings s;
    std::string key(32, '\0');
    crypto::random_bytes(std::span<unsigned char>(reinterpret_cast<unsigned char*>(key.data()), key.size()));
    s.cookie_keys = {std::move(key)};
    s.public_url = "https://auth.example.com";
    return s;
  }

 private:
  identity::browser browser_{browser_settings()};
  mutable std::mutex removed_mutex_;
  mutable std::set<std::string> removed_;
};
static_assert(identity::identity_policy<header_identity>);

/// A clock the tests move; copies share the time (the server holds a copy).
struct shared_clock {
  std::shared_ptr<manual_clock> c = std::make_shared<manual_clock>(1'800'000'000);
  time_point now() const noexcept { return c->now(); }
  template <class D>
  void advance(D d) const { c->advance(d); }
};

/// The memory store with a switch that makes its single-use operations fail the way an
/// unreachable shared store does (`store_unavailable`): for the 503 path of the endpoints.
struct test_store : store::memory {
  std::atomic<bool> unavailable{false};
  /// Recording an issued access token fails (`store_failure`): for failures after signing.
  std::atomic<bool> fail_put_access{false};

  void put_access(std::string_view jti, const store::access_record& r, std::error_code& ec) {
    if (fail_put_access) return void(ec = tessera::error::store_failure);
    memory::put_access(jti, r, ec);
  }

  store::consume_result consume_code(std::string_view h, time_point now, std::error_code& ec) {
    if (unavailable) return ec = tessera::error::store_unavailable, store::consume_result{};
    return memory::consume_code(h, now, ec);
  }
  store::rotate_result rotate_refresh(std::string_view old_h, std::string_view new_h, time_point exp, time_point now,
                                      store::grace_policy g, std::error_code& ec) {
    if (unavailable) return ec = tessera::error::store_unavailable, store::rotate_result{};
    return memory::rotate_refresh(old_h, new_h, exp, now, g, ec);
  }
};
static_assert(store::full_store<test_store>);

struct traits : server_defaults {
  using store = test_store;
  using identity = header_identity;
  using clock = shared_clock;
};

using server_type = authorization_server<traits, grant::authorization_code<>, grant::client_credentials,
                                         grant::refresh_token<>, grant::device_code>;

/// Records that `user` allowed `client` `scope` (what Allow on the consent page stores), so a
/// test about something else gets its code at once.
template <class Store>
void remember_consent(Store& st, std::string_view user, std::string_view client, std::string_view scope) {
  std::error_code ec;
  st.put_consent(user, client, store::consent_record{std::string(scope), from_unix_seconds(1'700'000'000),
                                                      from_unix_seconds(4'000'000'000)}, ec);
  REQUIRE_FALSE(ec);
}

inline const std::string service_secret = "s3cret-service-password";
inline const std::string issuer = "https://auth.example.com";
inline const std::string cli_redirect = "http://localhost:53593/callback";
inline const std::string device_grant = "urn:ietf:params:oauth:grant-type:device_code";

/// The bcrypt string (cost 4, to keep tests fast) of `service_secret`, as registered.
inline const std::string& service_secret_hash() {
  static const std::string h = crypto::hash_flyte_client_secret(service_secret, 4);
  return h;
}

inline server::client_registry make_clients() {
  server::client_registry reg;
  server::client cli;
  cli.id = "flytectl";
  cli.is_public = true;
  cli.redirect_uris = {cli_redirect, "http://127.0.0.1:53593/callback"};
  cli.post_logout_redirect_uris = {"http://localhost:53593/logged-out"};
  cli.grant_types = {"authorization_code", "refresh_token", device_grant};
  cli.scopes = {"all", "offline", "openid", "profile"};
  REQUIRE(reg.add(cli) == server::client_problem::none);

  server::client svc;
  svc.id = "flytepropeller";
  std::error_code ec;
  svc.add_flyte_secret(service_secret_hash(), ec);
  REQUIRE_FALSE(ec);
  svc.redirect_uris = {"http://localhost:3846/callback"};
  svc.grant_types = {"client_credentials", "refresh_token", "authorization_code"};
  svc.scopes = {"all", "offline"};
  REQUIRE(reg.add(svc) == server::client_problem::none);

  // First-party clients (docs/security.md row 37): a confidential web app, which skips the
  // consent page, and a public CLI on a loopback redirect, which by default does not.
  server::client console;
  console.id = "console";
  console.add_flyte_secret(service_secret_hash(), ec);
  REQUIRE_FALSE(ec);
  console.first_party = true;
  console.redirect_uris = {"https://console.example.com/oauth/callback"};
  console.post_logout_redirect_uris = {"https://console.example.com/signed-out"};
  console.grant_types = {"authorization_code"};
  console.scopes = {"all", "openid"};
  REQUIRE(reg.add(console) == server::client_problem::none);
  server::client pyflyte;
  pyflyte.id = "pyflyte";
  pyflyte.is_public = true;
  pyflyte.first_party = true;
  pyflyte.redirect_uris = {"http://localhost:53594/callback"};
  pyflyte.grant_types = {"authorization_code"};
  pyflyte.scopes = {"all", "openid"};
  REQUIRE(reg.add(pyflyte) == server::client_problem::none);

  // A resource server the operator lets introspect every token, refresh tokens of other
  // clients included (docs/security.md row 31): what the tests introspect with.
  server::client rs;
  rs.id = "introspector";
  rs.add_flyte_secret(service_secret_hash(), ec);
  REQUIRE_FALSE(ec);
  rs.introspects_others = true;
  REQUIRE(reg.add(rs) == server::client_problem::none);
  return reg;
}

inline server::server_settings default_settings() {
  server::server_settings s;
  s.issuer = issuer;
  return s;
}

/// A PKCE verifier and its S256 challenge.
struct pkce_pair {
  std::string verifier = crypto::pkce::make_verifier();
  std::string challenge = crypto::pkce::s256_challenge(verifier);
};

/// `in` with `name` set to `value` (replacing it in place), or removed when `value` is nullopt.
inline http::parameters with(const http::parameters& in, std::string_view name, std::optional<std::string_view> value) {
  http::parameters out;
  bool done = false;
  for (const auto& p : in) {
    if (p.name != name) {
      out.add(p.name, p.value);
    } else if (!done) {
      if (value) out.add(name, *value);
      done = true;
    }
  }
  if (!done && value) out.add(name, *value);
  return out;
}

/// The query parameters of a redirect's Location.
inline std::map<std::string, std::string> location_query(const response& r) {
  std::string loc(r[bhttp::field::location]);
  std::map<std::string, std::string> out;
  auto q = loc.find('?');
  if (q == std::string::npos) return out;
  for (const auto& p : tessera::http::parse_query(std::string_view(loc).substr(q + 1))) out[p.name] = p.value;
  return out;
}

/// The Location without its query.
inline std::string location_base(const response& r) {
  std::string loc(r[bhttp::field::location]);
  return loc.substr(0, loc.find('?'));
}

/// The full `Set-Cookie` line for cookie `name`, or "" when the response sets none.
inline std::string set_cookie_line(const response& r, std::string_view name) {
  for (auto it = r.find(bhttp::field::set_cookie); it != r.end() && it->name() == bhttp::field::set_cookie; ++it) {
    std::string_view v = it->value();
    if (v.size() > name.size() && v.substr(0, name.size()) == name && v[name.size()] == '=') return std::string(v);
  }
  return {};
}

/// `name=value` of a cookie the response sets (what a browser sends back), or "".
inline std::string cookie_pair(const response& r, std::string_view name) {
  auto line = set_cookie_line(r, name);
  return line.substr(0, line.find(';'));
}

struct fixture {
  shared_clock clock;
  test_store store;
  header_identity idp;
  server::server_settings settings = default_settings();
  server_type srv{settings, make_clients(), server::key_set(jose::jwk::generate(jose::algorithm::ES256)), store, idp, clock};
  transport::router router;
  transport::request_context ctx{"192.0.2.1", 40000, true};

  fixture() { srv.install(router); }
  /// A fixture whose settings `tweak` changes first (e.g. the refresh grace window).
  explicit fixture(const std::function<void(server::server_settings&)>& tweak)
      : settings([&] {
          auto s = default_settings();
          tweak(s);
          return s;
        }()) {
    srv.install(router);
  }

  response send(request req) const {
    req.prepare_payload();
    return router.route(req, ctx);
  }
  response get(std::string target, std::string user = {}) const {
    request req{bhttp::verb::get, target, 11};
    if (!user.empty()) req.set("X-Test-User", user);
    return send(std::move(req));
  }
  static request form_request(std::string target, std::string body, std::string basic_user = {},
                              std::string basic_pass = {}) {
    request req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    if (!basic_user.empty()) req.set(bhttp::field::authorization, tessera::http::basic_authorization(basic_user, basic_pass));
    req.body() = std::move(body);
    return req;
  }
  response post_form(std::string target, std::string body, std::string basic_user = {}, std::string basic_pass = {}) const {
    return send(form_request(std::move(target), std::move(body), std::move(basic_user), std::move(basic_pass)));
  }
  static boost::json::object json(const response& r) { return boost::json::parse(r.body()).as_object(); }
  static std::string error_of(const response& r) {
    std::error_code ec;
    auto v = boost::json::parse(r.body(), ec);
    if (ec || !v.is_object() || !v.as_object().contains("error")) return {};
    return std::string(v.as_object().at("error").as_string());
  }

  // --- authorization code -------------------------------------------------------------
  /// An authorization request of `flytectl` with PKCE `pk`.
  static http::parameters code_request(const pkce_pair& pk, std::string_view scope = "all offline openid") {
    return {{"response_type", "code"},   {"client_id", "flytectl"},          {"redirect_uri", cli_redirect},
            {"scope", scope},            {"state", "st4te-xyz"},             {"nonce", "n0nce-abc"},
            {"code_challenge", pk.challenge}, {"code_challenge_method", "S256"}};
  }
  /// GET /oauth2/authorize by `user`'s browser ("" for none), as answered: a code, an error,
  /// or a 303 to the login or the consent page.
  response authorize_only(const http::parameters& p, std::string user = "alice") const {
    return get("/oauth2/authorize?" + http::form_encode(p), std::move(user));
  }
  /// The same, and when the server asks for consent, what `user`'s Allow gets.
  response authorize(const http::parameters& p, std::string user = "alice") const {
    auto r = authorize_only(p, user);
    if (r.result() != bhttp::status::see_other || location_base(r) != "/oauth2/consent") return r;
    return decide_consent(cookie_pair(r, "__Host-tessera_authz"), std::move(user), "approve");
  }
  /// The consent page as `user`'s browser, holding the kept-request cookie `pending`
  /// (`name=value`), shows it (REQUIREs 200).
  response consent_page(const std::string& pending, std::string user) const {
    request page{bhttp::verb::get, "/oauth2/consent", 11};
    page.set(bhttp::field::cookie, pending);
    if (!user.empty()) page.set("X-Test-User", user);
    auto shown = send(std::move(page));
    REQUIRE(shown.result() == bhttp::status::ok);
    return shown;
  }
  /// The CSRF token in a page's form.
  static std::string csrf_token_of(const response& page) {
    std::smatch m;
    const std::string& body = page.body();
    static const std::regex token(R"re(name="csrf_token" value="([^"]+)")re");
    REQUIRE(std::regex_search(body, m, token));
    return m[1];
  }
  /// Shows the consent page and posts `decision` ("approve", "deny") on it, as `user`'s
  /// browser holding `pending` would: the answer.
  response decide_consent(const std::string& pending, std::string user, std::string_view decision) const {
    auto shown = consent_page(pending, user);
    request post = form_request("/oauth2/consent", "csrf_token=" + http::form_encode_component(csrf_token_of(shown)) +
                                                       "&decision=" + std::string(decision));
    post.set(bhttp::field::cookie, pending + "; " + cookie_pair(shown, "__Host-tessera_consent"));
    if (!user.empty()) post.set("X-Test-User", user);
    return send(std::move(post));
  }
  /// The code of a successful authorization response (REQUIREs one).
  static std::string code_of(const response& r) {
    REQUIRE(r.result() == bhttp::status::see_other);
    auto q = location_query(r);
    REQUIRE(q.count("code") == 1);
    return q["code"];
  }
  response redeem(std::string_view code, std::string_view verifier, std::string_view client = "flytectl",
                  std::string_view redirect = cli_redirect) const {
    http::parameters p{{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect}};
    if (client != "flytepropeller") p.add("client_id", client);
    if (!verifier.empty()) p.add("code_verifier", verifier);
    return client == "flytepropeller" ? post_form("/oauth2/token", http::form_encode(p), "flytepropeller", service_secret)
                                      : post_form("/oauth2/token", http::form_encode(p));
  }
  /// A whole code + PKCE flow for `flytectl` and `user`: the token response body.
  boost::json::object login(std::string_view scope = "all offline openid", std::string user = "alice") const {
    pkce_pair pk;
    auto code = code_of(authorize(code_request(pk, scope), std::move(user)));
    auto r = redeem(code, pk.verifier);
    REQUIRE(r.result() == bhttp::status::ok);
    return json(r);
  }

  // --- refresh, client credentials, revocation, introspection, userinfo -----------------
  response refresh(std::string_view token, std::string_view client = "flytectl") const {
    http::parameters p{{"grant_type", "refresh_token"}, {"refresh_token", token}};
    if (client == "flytepropeller") return post_form("/oauth2/token", http::form_encode(p), "flytepropeller", service_secret);
    p.add("client_id", client);
    return post_form("/oauth2/token", http::form_encode(p));
  }
  response client_credentials(std::string_view secret = service_secret, std::string_view scope = "all") const {
    return post_form("/oauth2/token", "grant_type=client_credentials&scope=" + http::form_encode_component(scope),
                     "flytepropeller", std::string(secret));
  }
  response revoke(std::string_view token, std::string_view client = "flytectl") const {
    http::parameters p{{"token", token}};
    if (client == "flytepropeller") return post_form("/oauth2/revoke", http::form_encode(p), "flytepropeller", service_secret);
    p.add("client_id", client);
    return post_form("/oauth2/revoke", http::form_encode(p));
  }
  /// Introspection by the confidential client `client` (default: the resource server that may
  /// introspect every token): the response body.
  boost::json::object introspect(std::string_view token, std::string client = "introspector") const {
    auto r = post_form("/oauth2/introspect", http::form_encode({{"token", token}}), std::move(client), service_secret);
    REQUIRE(r.result() == bhttp::status::ok);
    return json(r);
  }
  bool active(std::string_view token) const { return introspect(token).at("active").as_bool(); }
  response userinfo(std::string_view token, std::string_view header = "Authorization") const {
    request req{bhttp::verb::get, "/oauth2/userinfo", 11};
    req.set(header, "Bearer " + std::string(token));
    return send(std::move(req));
  }

  /// Validates one of the server's access tokens as a resource server would.
  jose::verified_jwt access_claims(std::string_view token) const {
    jose::jwt_validator v(srv.keys()->verification_keys());
    v.issuer(issuer).audience(issuer).type("at+jwt");
    return v.validate(token, clock);
  }

  // --- device code ---------------------------------------------------------------------
  /// Starts a device authorization for `flytectl`: the RFC 8628 §3.2 body.
  boost::json::object device_start(std::string_view scope = "all offline") const {
    auto r = post_form("/oauth2/device/authorize", "client_id=flytectl&scope=" + http::form_encode_component(scope));
    REQUIRE(r.result() == bhttp::status::ok);
    return json(r);
  }
  response device_poll(std::string_view device_code) const {
    return post_form("/oauth2/token", http::form_encode({{"grant_type", device_grant},
                                                         {"device_code", device_code},
                                                         {"client_id", "flytectl"}}));
  }
  /// The CSRF token in the device page's form.
  static std::string csrf_field(const response& page) {
    std::smatch m;
    const std::string& body = page.body();
    REQUIRE(std::regex_search(body, m, std::regex("name=\"csrf_token\" value=\"([^\"]+)\"")));
    return m[1];
  }
  static std::string device_csrf_cookie() { return "__Host-tessera_device_csrf"; }
  /// The user opens the verification page and approves or denies `user_code`.
  response device_decide(std::string_view user_code, bool approve, std::string user = "alice") const {
    auto page = get("/oauth2/device?user_code=" + http::form_encode_component(user_code), user);
    REQUIRE(page.result() == bhttp::status::ok);
    auto req = form_request("/oauth2/device",
                            http::form_encode({{"csrf_token", csrf_field(page)},
                                               {"user_code", user_code},
                                               {"decision", approve ? "approve" : "deny"}}));
    req.set("X-Test-User", user);
    req.set(bhttp::field::cookie, cookie_pair(page, device_csrf_cookie()));
    return send(std::move(req));
  }
};

/// The RFC 6749 §5.2 shape every JSON error answer has.
inline void check_error_shape(const response& r, unsigned status, std::string_view error) {
  INFO("body: " << r.body());
  CHECK(r.result_int() == status);
  CHECK(r[bhttp::field::content_type] == "application/json");
  CHECK(r[bhttp::field::cache_control] == "no-store");
  std::error_code ec;
  auto v = boost::json::parse(r.body(), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  const auto& o = v.as_object();
  REQUIRE(o.contains("error"));
  CHECK(o.at("error").as_string() == error);
  REQUIRE(o.contains("error_description"));
  CHECK_FALSE(o.at("error_description").as_string().empty());
}

/// The headers every HTML page of the server carries (docs/security.md rows 14 and 15).
inline void check_html_page(const response& r) {
  CHECK(std::string_view(r[bhttp::field::content_type]).starts_with("text/html"));
  CHECK(r["X-Frame-Options"] == "DENY");
  CHECK(std::string_view(r["Content-Security-Policy"]).find("frame-ancestors 'none'") != std::string_view::npos);
  CHECK(r[bhttp::field::cache_control] == "no-store");
}

/// A server whose only client, "signer", authenticates with private_key_jwt (RFC 7523): what
/// the client-authentication and assertion-replay tests share.
struct assertion_fixture {
  shared_clock clock;
  test_store store;
  header_identity idp;
  jose::jwk client_key = jose::jwk::generate(jose::algorithm::ES256);
  server_type srv;
  transport::router router;

  assertion_fixture()
      : srv(default_settings(), registry(client_key), server::key_set(jose::jwk::generate(jose::algorithm::RS256)),
            store, idp, clock) {
    srv.install(router);
  }

  static server::client_registry registry(const jose::jwk& client_key) {
    server::client c;
    c.id = "signer";
    c.grant_types = {"client_credentials"};
    c.scopes = {"all"};
    c.assertion_keys.add(client_key.public_key());
    server::client_registry reg;
    REQUIRE(reg.add(c) == server::client_problem::none);
    return reg;
  }

  /// An assertion issued at `iat`, expiring at `exp` (Unix seconds).
  std::string assertion_at(std::int64_t iat, std::int64_t exp, std::string jti,
                           std::string aud = issuer + "/oauth2/token", const jose::jwk* key = nullptr) const {
    boost::json::object claims{{"iss", "signer"}, {"sub", "signer"}, {"aud", aud},
                               {"iat", iat},      {"exp", exp},      {"jti", jti}};
    return jose::sign_jwt(jose::jws_signer(key ? *key : client_key), claims);
  }
  /// An assertion issued now, living `lifetime` seconds.
  std::string assertion(std::string jti, std::string aud = issuer + "/oauth2/token", std::int64_t lifetime = 60,
                        const jose::jwk* key = nullptr) const {
    const auto now = to_unix_seconds(clock.now());
    return assertion_at(now, now + lifetime, std::move(jti), std::move(aud), key);
  }

  /// A client-credentials request authenticated by `assertion_jwt`.
  response token(const std::string& assertion_jwt) {
    request req{bhttp::verb::post, "/oauth2/token", 11};
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    req.body() = "grant_type=client_credentials&client_assertion_type=" +
                 tessera::http::form_encode_component(server::jwt_bearer_assertion_type) +
                 "&client_assertion=" + assertion_jwt;
    req.prepare_payload();
    return router.route(req, {"192.0.2.7", 1234, true});
  }
  response token_with(std::int64_t iat, std::int64_t exp, std::string jti) {
    return token(assertion_at(iat, exp, std::move(jti)));
  }
};

}  // namespace test

// The server is instantiated once, in server_grants.cpp; the other test files of the
// executable only use it (the instantiation is most of a test file's compile time).
extern template class tessera::authorization_server<test::traits, tessera::grant::authorization_code<>,
                                                    tessera::grant::client_credentials, tessera::grant::refresh_token<>,
                                                    tessera::grant::device_code>;
