// Shared by the client tests: an authorization server on an in-memory router whose answers the
// tests script — but which checks what a real one checks: client authentication, the PKCE
// verifier against the challenge of the authorization URL, one use per code and per refresh
// token (rotation), device polls. (tessera's own server is the peer in tests/interop and in
// the client-credentials cases here.)
#pragma once

#include <tessera/client.hpp>
#include <tessera/crypto/pkce.hpp>
#include <tessera/http/basic_auth.hpp>
#include <tessera/http/form.hpp>
#include <tessera/transport/in_memory.hpp>
#include <tessera/transport/router.hpp>

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace ctest {

using namespace tessera;
namespace bhttp = transport::http;

/// A manual clock shared by copies.
struct shared_clock {
  std::shared_ptr<manual_clock> c = std::make_shared<manual_clock>(1'800'000'000);
  time_point now() const noexcept { return c->now(); }
  void advance(std::chrono::milliseconds d) const { c->advance(d); }
};

struct test_traits : client::client_defaults {
  using clock = shared_clock;
};

inline constexpr std::string_view base = "https://flyte.example.com";

struct scripted_as {
  scripted_as() {
    routes.get("/.well-known/oauth-authorization-server", [this](const transport::request& req) {
      hits["metadata"]++;
      if (!serve_oauth_metadata) return transport::make_response(req, bhttp::status::not_found, "");
      return json(req, metadata());
    });
    routes.get("/.well-known/openid-configuration", [this](const transport::request& req) {
      hits["openid"]++;
      return json(req, metadata());
    });
    routes.get("/config/v1/flyte_client", [this](const transport::request& req) {
      hits["flyte_client"]++;
      if (flyte_client_body.empty()) return transport::make_response(req, bhttp::status::not_found, "");
      return transport::make_response(req, bhttp::status::ok, flyte_client_body, "application/json");
    });
    routes.post("/oauth2/token", [this](const transport::request& req) { return token(req); });
    routes.post("/oauth2/device/authorize", [this](const transport::request& req) { return device_authorize(req); });
    routes.post("/oauth2/revoke", [this](const transport::request& req) {
      std::lock_guard lk(m);
      hits["revoke"]++;
      auto f = http::parse_form(req.body());
      if (jwt_access_tokens && f.get("token").starts_with("at-"))
        return oauth_error(req, "unsupported_token_type", bhttp::status::bad_request, "JWTs cannot be revoked");
      revoked.push_back(std::string(f.get("token")));
      return transport::make_response(req, bhttp::status::ok, "");
    });
  }

  boost::json::object metadata() const {
    boost::json::object m{{"issuer", issuer},
                          {"authorization_endpoint", std::string(base) + "/oauth2/authorize"},
                          {"token_endpoint", std::string(base) + "/oauth2/token"},
                          {"jwks_uri", std::string(base) + "/oauth2/jwks"},
                          {"device_authorization_endpoint", std::string(base) + "/oauth2/device/authorize"},
                          {"authorization_response_iss_parameter_supported", true}};
    if (with_revocation) m["revocation_endpoint"] = std::string(base) + "/oauth2/revoke";
    if (!auth_methods.empty()) {
      boost::json::array a;
      for (const auto& x : auth_methods) a.emplace_back(x);
      m["token_endpoint_auth_methods_supported"] = std::move(a);
    }
    return m;
  }

  static transport::response json(const transport::request& req, const boost::json::value& v,
                                  bhttp::status s = bhttp::status::ok) {
    return transport::make_response(req, s, boost::json::serialize(v), "application/json");
  }
  static transport::response oauth_error(const transport::request& req, std::string_view e, bhttp::status s = bhttp::status::bad_request,
                                         std::string_view desc = {}) {
    boost::json::object o{{"error", e}};
    if (!desc.empty()) o["error_description"] = desc;
    return json(req, o, s);
  }

  /// Who authenticated: basic (decoded) or the body's client_id / client_secret.
  std::pair<std::string, std::string> client_of(const transport::request& req, const http::parameters& f) {
    if (auto a = req[bhttp::field::authorization]; !a.empty()) {
      auto c = http::parse_basic_authorization(a);
      return {c.client_id, c.client_secret};
    }
    return {std::string(f.get("client_id")), std::string(f.get("client_secret"))};
  }

  transport::response issue(const transport::request& req, bool with_refresh) {
    const int n = ++issued;
    boost::json::object o{{"access_token", "at-" + std::to_string(n)}, {"token_type", token_type}, {"expires_in", expires_in}};
    if (with_refresh) {
      const std::string rt = "rt-" + std::to_string(n);
      live_refresh.insert(rt);
      o["refresh_token"] = rt;
    }
    return json(req, o);
  }

  transport::response token(const transport::request& req) {
    std::lock_guard lk(m);
    hits["token"]++;
    auto f = http::parse_form(req.body());
    const std::string grant(f.get("grant_type"));
    auto [id, secret] = client_of(req, f);
    grants.push_back(grant);
    last_form = req.body();
    last_authorization = std::string(req[bhttp::field::authorization]);
    if (grant == "client_credentials") {
      if (id != client_id || secret != client_secret)
        return oauth_error(req, "invalid_client", bhttp::status::unauthorized, "client authentication failed");
      return issue(req, false);
    }
    if (id != client_id) return oauth_error(req, "invalid_client", bhttp::status::unauthorized);
    if (grant == "authorization_code") {
      const std::string code(f.get("code"));
      if (code != issued_code || code_used) return oauth_error(req, "invalid_grant");
      code_used = true;
      if (crypto::pkce::s256_challenge(f.get("code_verifier")) != challenge) return oauth_error(req, "invalid_grant", bhttp::status::bad_request, "PKCE verification failed");
      if (f.get("redirect_uri") != redirect_uri) return oauth_error(req, "invalid_grant");
      return issue(req, true);
    }
    if (grant == "refresh_token") {
      if (refresh_down) return transport::make_response(req, bhttp::status::bad_gateway, "<html>bad gateway</html>", "text/html");
      if (!refresh_error.empty()) return oauth_error(req, refresh_error, refresh_error_status);
      const std::string rt(f.get("refresh_token"));
      if (!live_refresh.erase(rt)) {
        ++reuse_detected;
        return oauth_error(req, "invalid_grant", bhttp::status::bad_request, "refresh token reused");
      }
      return issue(req, true);
    }
    if (grant == "urn:ietf:params:oauth:grant-type:device_code") {
      if (f.get("device_code") != device_code) return oauth_error(req, "invalid_grant");
      ++polls;
      if (!device_script.empty()) {
        const std::string next = device_script.front();
        device_script.erase(device_script.begin());
        if (next != "ok") return oauth_error(req, next);
      }
      return issue(req, true);
    }
    return oauth_error(req, "unsupported_grant_type");
  }

  transport::response device_authorize(const transport::request& req) {
    std::lock_guard lk(m);
    hits["device"]++;
    auto f = http::parse_form(req.body());
    if (client_of(req, f).first != client_id) return oauth_error(req, "invalid_client", bhttp::status::unauthorized);
    device_scope = std::string(f.get("scope"));
    device_audience = std::string(f.get("audience"));
    return transport::make_response(req, bhttp::status::ok, device_body, "application/json");
  }

  /// What the person's browser does with the authorization URL: the server "logs them in" and
  /// redirects to the loopback with a code (or `error`), optionally after a stray redirect.
  /// Returns the redirect URL it followed.
  std::string authorize(const std::string& url) {
    auto u = boost::urls::parse_uri(url).value();
    std::map<std::string, std::string> q;
    for (auto p : u.params()) q[std::string(p.key)] = std::string(p.value);
    std::lock_guard lk(m);
    authorization_params = q;
    challenge = q["code_challenge"];
    redirect_uri = q["redirect_uri"];
    issued_code = "code-" + std::to_string(++codes);
    code_used = false;
    return redirect_uri;
  }

  transport::router routes;
  transport::in_memory wire{routes};
  std::mutex m;
  std::map<std::string, int> hits;
  std::string issuer = std::string(base);
  bool serve_oauth_metadata = true;
  bool with_revocation = true;
  std::vector<std::string> auth_methods;  // token_endpoint_auth_methods_supported; empty: not named
  bool jwt_access_tokens = false;  // the revocation endpoint answers unsupported_token_type for them
  std::string flyte_client_body =
      R"({"client_id":"flytectl","redirect_uri":"http://127.0.0.1:0/callback","scopes":["all","offline"],"authorization_metadata_key":"flyte-authorization","service_http_endpoint":"","audience":"https://flyte.example.com/api"})";
  std::string client_id = "flytectl";
  std::string client_secret;
  std::string token_type = "Bearer";
  std::int64_t expires_in = 600;
  int issued = 0;
  std::set<std::string> live_refresh;
  int reuse_detected = 0;
  bool refresh_down = false;
  std::string refresh_error;  // answer refreshes with this OAuth error (and status)
  bhttp::status refresh_error_status = bhttp::status::internal_server_error;
  std::vector<std::string> grants;
  std::string last_form, last_authorization;
  std::vector<std::string> revoked;
  // PKCE
  std::map<std::string, std::string> authorization_params;
  std::string challenge, redirect_uri, issued_code;
  bool code_used = false;
  int codes = 0;
  // device
  std::string device_code = "dc-1";
  std::string device_body =
      R"({"device_code":"dc-1","user_code":"WDJB-MJHT","verification_uri":"https://flyte.example.com/oauth2/device","verification_uri_complete":"https://flyte.example.com/oauth2/device?user_code=WDJB-MJHT","expires_in":600,"interval":5})";
  std::vector<std::string> device_script;
  std::string device_scope, device_audience;
  int polls = 0;
};

/// Settings for `as` with `type`.
inline client::client_settings settings_for(client::auth_type type) {
  client::client_settings s;
  s.endpoint = std::string(base);
  s.type = type;
  return s;
}

}  // namespace ctest
