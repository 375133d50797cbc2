// Shared fixture for the authorization-server tests: a server over the memory store, a
// manual clock, and a test identity policy (the archetype: the least an identity must do).
#pragma once

#include <tessera/server.hpp>
#include <tessera/transport/router.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <map>

namespace test {

using namespace tessera;
namespace bhttp = boost::beast::http;
using transport::request;
using transport::response;

/// Identity archetype: a request "logs in" by carrying `X-Test-User: <subject>`.
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
    return u;
  }
  std::string_view login_path() const { return "/login"; }
  void install(transport::router&) const {}
};
static_assert(identity::identity_policy<header_identity>);

/// A clock the tests move; copies share the time (the server holds a copy).
struct shared_clock {
  std::shared_ptr<manual_clock> c = std::make_shared<manual_clock>(1'800'000'000);
  time_point now() const noexcept { return c->now(); }
  template <class D>
  void advance(D d) const { c->advance(d); }
};

struct traits : server_defaults {
  using identity = header_identity;
  using clock = shared_clock;
};

using server_type = authorization_server<traits, grant::authorization_code<>, grant::client_credentials,
                                         grant::refresh_token<>, grant::device_code>;

inline const std::string service_secret = "s3cret-service-password";
inline const std::string issuer = "https://auth.example.com";

inline server::client_registry make_clients() {
  server::client_registry reg;
  server::client cli;
  cli.id = "flytectl";
  cli.is_public = true;
  cli.redirect_uris = {"http://localhost:53593/callback", "http://127.0.0.1:53593/callback"};
  cli.grant_types = {"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"};
  cli.scopes = {"all", "offline", "openid", "profile"};
  REQUIRE(reg.add(cli) == server::client_problem::none);

  server::client svc;
  svc.id = "flytepropeller";
  std::error_code ec;
  svc.add_flyte_secret(crypto::hash_flyte_client_secret(service_secret, 4), ec);
  REQUIRE_FALSE(ec);
  svc.redirect_uris = {"http://localhost:3846/callback"};
  svc.grant_types = {"client_credentials", "refresh_token", "authorization_code"};
  svc.scopes = {"all", "offline"};
  REQUIRE(reg.add(svc) == server::client_problem::none);
  return reg;
}

struct fixture {
  shared_clock clock;
  store::memory store;
  header_identity idp;
  server::server_settings settings = [] {
    server::server_settings s;
    s.issuer = issuer;
    return s;
  }();
  server_type srv{settings, make_clients(), server::key_set(jose::jwk::generate(jose::algorithm::ES256)), store, idp, clock};
  transport::router router;
  transport::request_context ctx{"192.0.2.1", 40000, true};

  fixture() { srv.install(router); }

  response send(request req) {
    req.prepare_payload();
    return router.route(req, ctx);
  }
  response get(std::string target, std::string user = {}) {
    request req{bhttp::verb::get, target, 11};
    if (!user.empty()) req.set("X-Test-User", user);
    return send(std::move(req));
  }
  response post_form(std::string target, std::string body, std::string basic_user = {}, std::string basic_pass = {}) {
    request req{bhttp::verb::post, target, 11};
    req.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
    if (!basic_user.empty()) req.set(bhttp::field::authorization, tessera::http::basic_authorization(basic_user, basic_pass));
    req.body() = std::move(body);
    return send(std::move(req));
  }
  static boost::json::object json(const response& r) { return boost::json::parse(r.body()).as_object(); }
  static std::string error_of(const response& r) {
    auto o = json(r);
    return o.contains("error") ? std::string(o.at("error").as_string()) : std::string();
  }
};

/// The query parameters of a redirect's Location.
inline std::map<std::string, std::string> location_query(const response& r) {
  std::string loc(r[bhttp::field::location]);
  std::map<std::string, std::string> out;
  auto q = loc.find('?');
  if (q == std::string::npos) return out;
  for (const auto& p : tessera::http::parse_query(std::string_view(loc).substr(q + 1))) out[p.name] = p.value;
  return out;
}

}  // namespace test
