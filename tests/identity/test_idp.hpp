// Shared by the identity tests: a local test IdP on an in-memory router that serves a
// profile's documented discovery document and token shapes (the tests change them), a
// browser with a cookie jar, and a relying party built from tessera's `oidc` identity.
#pragma once

#include <tessera/identity.hpp>
#include <tessera/jose.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/transport/in_memory.hpp>
#include <tessera/transport/router.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace itest {

using namespace tessera;

/// A manual clock shared by copies (the provider holds its clock by value).
struct shared_clock {
  std::shared_ptr<manual_clock> c = std::make_shared<manual_clock>(1'800'000'000);
  time_point now() const noexcept { return c->now(); }
  void advance(seconds s) const { c->advance(s); }
};

inline std::map<std::string, std::string> query_of(std::string_view url) {
  std::map<std::string, std::string> out;
  auto u = boost::urls::parse_uri_reference(url);
  REQUIRE(u);
  for (auto p : u->params()) out[std::string(p.key)] = std::string(p.value);
  return out;
}

/// The claims of a JWS (unverified: the tests re-sign them).
inline boost::json::object claims_of(std::string_view jws) {
  const auto a = jws.find('.'), b = jws.find('.', a + 1);
  return boost::json::parse(crypto::base64url_decode(jws.substr(a + 1, b - a - 1))).as_object();
}

/// The identity provider: discovery, JWKS, token (code with PKCE, refresh), userinfo, and an
/// `authorize` the tests call with the URL the relying party sent the browser to.
struct test_idp {
  /// Serves under the path of `iss` on `shared` (several IdPs on one wire) or on its own router.
  test_idp(std::string iss, const shared_clock& clk, transport::router* shared = nullptr)
      : issuer(std::move(iss)), clock(clk), routes(shared ? *shared : own_routes) {
    const std::string base = issuer.ends_with('/') ? issuer.substr(0, issuer.size() - 1) : issuer;
    metadata = {{"issuer", issuer},
                {"authorization_endpoint", base + "/authorize"},
                {"token_endpoint", base + "/token"},
                {"jwks_uri", base + "/jwks"},
                {"userinfo_endpoint", base + "/userinfo"},
                {"end_session_endpoint", base + "/logout"},
                {"id_token_signing_alg_values_supported", boost::json::array{"ES256"}},
                {"token_endpoint_auth_methods_supported", boost::json::array{"client_secret_basic", "client_secret_post"}},
                {"scopes_supported", boost::json::array{"openid", "profile", "email", "offline_access"}},
                {"response_types_supported", boost::json::array{"code"}},
                {"subject_types_supported", boost::json::array{"public"}}};
    userinfo = {{"sub", "alice"}, {"name", "Alice Doe"}, {"email", "alice@example.com"}};
    const std::string path = path_of(issuer);
    routes.get(path + metadata_path, [this](const transport::request& req) {
      hits_metadata.fetch_add(1);
      std::lock_guard lk(mutex);
      if (down) return transport::make_response(req, transport::http::status::service_unavailable, "down");
      return transport::make_response(req, transport::http::status::ok, boost::json::serialize(metadata), "application/json");
    });
    routes.get(path + "/jwks", [this](const transport::request& req) {
      hits_jwks.fetch_add(1);
      jose::jwk_set set;
      set.add(key.public_key());
      return transport::make_response(req, transport::http::status::ok, boost::json::serialize(set.public_json()),
                                      "application/json");
    });
    routes.post(path + "/token", [this](const transport::request& req) { return token(req); });
    routes.get(path + "/userinfo", [this](const transport::request& req) {
      std::lock_guard lk(mutex);
      if (req[transport::http::field::authorization] != "Bearer " + last_access_token)
        return transport::make_response(req, transport::http::status::unauthorized, "{}", "application/json");
      return transport::make_response(req, transport::http::status::ok, boost::json::serialize(userinfo), "application/json");
    });
  }

  static std::string path_of(std::string_view url) {
    auto u = boost::urls::parse_absolute_uri(url);
    std::string p(u->encoded_path());
    while (!p.empty() && p.back() == '/') p.pop_back();
    return p;
  }

  /// What the IdP does when the person approves: a code for the request in `url`.
  std::string authorize(std::string_view url) {
    auto q = query_of(url);
    std::lock_guard lk(mutex);
    last_authorize = q;
    std::string code = "code-" + std::to_string(++serial);
    codes[code] = q;
    return code;
  }

  /// The ID token the token endpoint returns for a request (tests change `id_claims_hook`).
  boost::json::object id_claims(const std::map<std::string, std::string>& q, const std::string& access_token) {
    const auto now = to_unix_seconds(clock.now());
    boost::json::object c{{"iss", token_issuer.empty() ? issuer : token_issuer},
                          {"sub", "alice"},
                          {"aud", q.count("client_id") ? q.at("client_id") : std::string("rp")},
                          {"iat", now},
                          {"exp", now + 600},
                          {"auth_time", now},
                          {"name", "Alice"},
                          {"preferred_username", "alice"}};
    if (q.count("nonce")) c["nonce"] = q.at("nonce");
    c["at_hash"] = oauth::token_hash(jose::algorithm::ES256, access_token);
    if (id_claims_hook) id_claims_hook(c);
    return c;
  }

  transport::response token(const transport::request& req) {
    token_calls.fetch_add(1);
    std::error_code ec;
    auto form = http::parse_form(req.body(), ec);
    REQUIRE(!ec);
    std::lock_guard lk(mutex);
    last_token_form.clear();
    for (const auto& [k, v] : form) last_token_form[std::string(k)] = std::string(v);
    last_token_authorization = std::string(req[transport::http::field::authorization]);
    last_token_accept = std::string(req[transport::http::field::accept]);
    auto refuse = [&](std::string_view error, transport::http::status st = transport::http::status::bad_request) {
      return transport::make_response(req, st, R"({"error":")" + std::string(error) + "\"}", "application/json");
    };
    if (token_status != transport::http::status::ok)
      return transport::make_response(req, token_status, "upstream trouble");
    // Client authentication: basic or post, with the configured secret.
    const bool basic_ok = last_token_authorization == http::basic_authorization(client_id, client_secret);
    const bool post_ok = form.get("client_id") == client_id && form.get("client_secret") == client_secret;
    if (!basic_ok && !post_ok) return refuse("invalid_client", transport::http::status::unauthorized);
    std::map<std::string, std::string> q;
    if (form.get("grant_type") == "authorization_code") {
      auto it = codes.find(std::string(form.get("code")));
      if (it == codes.end()) return refuse("invalid_grant");
      q = it->second;
      codes.erase(it);
      if (crypto::pkce::s256_challenge(form.get("code_verifier")) != q["code_challenge"]) return refuse("invalid_grant");
      if (form.get("redirect_uri") != q["redirect_uri"]) return refuse("invalid_grant");
    } else if (form.get("grant_type") == "refresh_token") {
      refresh_calls.fetch_add(1);
      if (refuse_refresh || form.get("refresh_token") != last_refresh_token) return refuse("invalid_grant");
      q = last_authorize;
      q.erase("nonce");
    } else {
      return refuse("unsupported_grant_type");
    }
    if (error_with_200) return transport::make_response(req, transport::http::status::ok, R"({"error":"bad_verification_code"})", "application/json");
    last_access_token = "at-" + std::to_string(++serial);
    last_refresh_token = "rt-" + std::to_string(++serial);
    boost::json::object body{{"access_token", last_access_token}, {"token_type", "Bearer"}, {"expires_in", expires_in},
                             {"refresh_token", last_refresh_token}};
    if (send_id_token) body["id_token"] = jose::sign_jwt(jose::jws_signer(key, "JWT"), id_claims(q, last_access_token));
    if (token_hook) token_hook(body);
    return transport::make_response(req, transport::http::status::ok, boost::json::serialize(body), "application/json");
  }

  std::string issuer;
  std::string token_issuer;  // the `iss` ID tokens carry; empty: `issuer`
  shared_clock clock;
  std::string metadata_path = "/.well-known/openid-configuration";
  std::string client_id = "rp";
  std::string client_secret = "rp-secret";
  jose::jwk key = jose::jwk::generate(jose::algorithm::ES256).with_kid("idp-1");
  boost::json::object metadata;
  boost::json::object userinfo;
  std::function<void(boost::json::object&)> id_claims_hook;
  std::function<void(boost::json::object&)> token_hook;
  bool send_id_token = true;
  bool refuse_refresh = false;
  bool error_with_200 = false;
  bool down = false;
  std::int64_t expires_in = 300;
  transport::http::status token_status = transport::http::status::ok;

  std::mutex mutex;
  std::map<std::string, std::map<std::string, std::string>> codes;
  std::map<std::string, std::string> last_authorize;
  std::map<std::string, std::string> last_token_form;
  std::string last_token_authorization, last_token_accept, last_access_token, last_refresh_token;
  int serial = 0;
  std::atomic<int> token_calls{0}, refresh_calls{0}, hits_metadata{0}, hits_jwks{0};
  transport::router own_routes;
  transport::router& routes;
};

/// A browser: a cookie jar over an in-memory wire to the relying party.
struct browser_sim {
  explicit browser_sim(const transport::router& r) : wire(r) {}

  transport::response get(std::string_view url) { return send(transport::http::verb::get, url, {}); }
  transport::response post_form(std::string_view url, std::string body) {
    return send(transport::http::verb::post, url, std::move(body));
  }
  transport::response send(transport::http::verb verb, std::string_view url, std::string body) {
    transport::request req{verb, "/", 11};
    if (!jar.empty()) {
      std::string cookie;
      for (const auto& [k, v] : jar) cookie += (cookie.empty() ? "" : "; ") + k + "=" + v;
      req.set(transport::http::field::cookie, cookie);
    }
    if (verb == transport::http::verb::post) {
      req.set(transport::http::field::content_type, "application/x-www-form-urlencoded");
      req.body() = std::move(body);
    }
    std::error_code ec;
    auto res = wire.send(std::move(req), url, ec);
    REQUIRE(!ec);
    for (auto it = res.find(transport::http::field::set_cookie); it != res.end() && it->name() == transport::http::field::set_cookie;
         ++it) {
      std::string line(it->value());
      set_cookie_log.push_back(line);
      auto eq = line.find('=');
      auto semi = line.find(';');
      std::string name = line.substr(0, eq), value = line.substr(eq + 1, semi == std::string::npos ? semi : semi - eq - 1);
      if (line.find("Max-Age=0") != std::string::npos || value.empty())
        jar.erase(name);
      else
        jar[name] = value;
    }
    return res;
  }
  std::string location(const transport::response& r) const { return std::string(r[transport::http::field::location]); }

  transport::in_memory wire;
  std::map<std::string, std::string> jar;
  std::vector<std::string> set_cookie_log;
};

inline constexpr std::string_view rp = "https://rp.example.com";

inline identity::session_identity_settings rp_settings() {
  identity::session_identity_settings s;
  s.browser.cookie_keys = {std::string(32, 'k')};
  s.browser.public_url = std::string(rp);
  s.default_redirect = "/console";
  return s;
}

inline identity::upstream_settings idp_settings(const test_idp& idp) {
  identity::upstream_settings u;
  u.name = "idp";
  u.base_url = idp.issuer;
  u.client_id = idp.client_id;
  u.client_secret = idp.client_secret;
  u.redirect_uri = std::string(rp) + "/callback";
  u.post_logout_redirect_uri = std::string(rp) + "/logout";
  u.retry_initial = seconds(1);
  u.retry_max = seconds(8);
  return u;
}

/// A relying party (tessera's oidc identity of profile P) in front of `idp`, with its own router.
template <class P = identity::profile::generic_oidc>
struct relying_party {
  relying_party(test_idp& idp, identity::upstream_settings u, const shared_clock& clk, identity::oidc_settings o = quiet(),
                identity::session_identity_settings web = rp_settings())
      : clock(clk),
        idp_wire(idp.routes),
        id(std::move(web), std::move(u), transport::any_sync_client(idp_wire), store, clock, std::move(o)),
        routes(make_routes(id)),
        browser(routes) {}
  static identity::oidc_settings quiet() {
    identity::oidc_settings o;
    o.log = [](std::string_view) {};
    return o;
  }
  static transport::router make_routes(const identity::oidc<P, store::memory, shared_clock>& id) {
    transport::router r;
    id.install(r);
    return r;
  }

  /// /login → the IdP's authorization URL (the 303's Location), in a browser without a
  /// session (its cookies are dropped first).
  std::string start(std::string_view query = "") {
    browser.jar.clear();
    auto res = browser.get(std::string(rp) + "/login" + std::string(query));
    REQUIRE(res.result_int() == 303);
    return browser.location(res);
  }
  /// Approves at the IdP and comes back: the callback's response.
  transport::response finish(test_idp& idp, const std::string& authorize_url, std::string extra = "") {
    auto q = query_of(authorize_url);
    std::string code = idp.authorize(authorize_url);
    std::string cb = std::string(rp) + "/callback?code=" + code + "&state=" + q["state"] + extra;
    return browser.get(cb);
  }

  shared_clock clock;
  store::memory store;
  transport::in_memory idp_wire;
  identity::oidc<P, store::memory, shared_clock> id;
  transport::router routes;
  browser_sim browser;
};

}  // namespace itest
