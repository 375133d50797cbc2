// The server composes grants it does not know: a grant defined in this file alone (with its
// own settings, state, endpoint and metadata entry) is served beside the shipped ones, and the
// shipped refresh grant with `rotation::none` behaves as that policy says. Nothing here edits
// or names anything in authorization_server.hpp.
#include "test_server.hpp"

#include <tessera/server.hpp>

#include <atomic>
#include <map>

namespace {

using namespace test;

/// Settings of the grant below: API keys and the subject each stands for.
struct api_key_settings {
  std::map<std::string, std::string, std::less<>> api_keys;
};

/// A grant of this test's own: a confidential client exchanges an API key for an access token
/// whose subject is the key's owner. Counts its exchanges (its state), serves the count at an
/// endpoint of its own and advertises that endpoint in the metadata.
class api_key_grant {
 public:
  using settings_type = api_key_settings;
  static constexpr std::string_view grant_type = "urn:example:params:oauth:grant-type:api-key";

  explicit api_key_grant(const api_key_settings& s) : keys_(s.api_keys) {}

  template <server::grant_context C>
  boost::json::object handle(const C& c, const server::token_request& r, std::error_code& ec) const {
    auto key = r.params.required("api_key", ec);
    if (ec) return {};
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      ec = tessera::error::code_unknown;  // invalid_grant
      return {};
    }
    store::grant_record g;
    g.client_id = r.who.id;
    g.subject = it->second;
    g.scope = c.granted_scope(r.who, r.params.get("scope"), ec);
    if (ec) return {};
    g.family_id = c.new_family_id();
    ++uses_;
    return c.issue_tokens(g, r.who, r.now, {.refresh = false, .nonce = {}, .refresh_token = {}, .for_user = false}, ec);
  }

  template <server::grant_context C>
  void install(transport::router& router, const C&) const {
    router.get("/example/api-key/uses", [this](const request& req) {
      return oauth::json_response(req, bhttp::status::ok, boost::json::object{{"uses", uses_.load()}});
    });
  }

  template <server::grant_context C>
  void describe(oauth::server_metadata& m, const C& c) const {
    const server::server_settings& st = c.settings();
    m.extra["api_key_uses_endpoint"] = st.endpoint("/example/api-key/uses");
  }

 private:
  std::map<std::string, std::string, std::less<>> keys_;
  mutable std::atomic<unsigned> uses_{0};
};

struct extension_settings : server::server_settings, api_key_settings {};

struct extension_traits : server_defaults {
  using identity = header_identity;
  using clock = shared_clock;
  using settings = extension_settings;
};

using extension_server = authorization_server<extension_traits, grant::authorization_code<>, grant::client_credentials,
                                              grant::refresh_token<rotation::none>, api_key_grant>;

server::client_registry extension_clients() {
  server::client_registry reg;
  server::client cli;
  cli.id = "flytectl";
  cli.is_public = true;
  cli.redirect_uris = {cli_redirect};
  cli.grant_types = {"authorization_code", "refresh_token"};
  cli.scopes = {"all", "offline", "openid"};
  REQUIRE(reg.add(cli) == server::client_problem::none);
  server::client svc;
  svc.id = "flytepropeller";
  std::error_code ec;
  svc.add_flyte_secret(service_secret_hash(), ec);
  REQUIRE_FALSE(ec);
  svc.redirect_uris = {"http://localhost:3846/callback"};
  svc.grant_types = {"authorization_code", "refresh_token", "client_credentials", std::string(api_key_grant::grant_type)};
  svc.scopes = {"all", "offline", "openid"};
  REQUIRE(reg.add(svc) == server::client_problem::none);
  return reg;
}

struct extension_fixture {
  shared_clock clock;
  tessera::store::memory store;
  header_identity idp;
  extension_server srv{[] {
                         extension_settings s;
                         s.issuer = issuer;
                         s.api_keys = {{"key-of-carol", "carol"}};
                         return s;
                       }(),
                       extension_clients(), server::key_set(jose::jwk::generate(jose::algorithm::ES256)), store, idp,
                       clock};
  transport::router router;
  transport::request_context ctx{"192.0.2.1", 40000, true};

  extension_fixture() { srv.install(router); }

  response send(request req) const {
    req.prepare_payload();
    return router.route(req, ctx);
  }
  response token(const http::parameters& p, bool as_service) const {
    auto req = fixture::form_request("/oauth2/token", http::form_encode(p), as_service ? "flytepropeller" : "",
                                     as_service ? service_secret : "");
    return send(std::move(req));
  }
  /// Code + PKCE for `client` (the service authenticates with its secret): the token body.
  boost::json::object code_flow(std::string_view client) {
    pkce_pair pk;
    const bool service = client == "flytepropeller";
    const std::string redirect = service ? "http://localhost:3846/callback" : cli_redirect;
    http::parameters q{{"response_type", "code"}, {"client_id", client}, {"redirect_uri", redirect},
                       {"scope", "all offline"}, {"state", "s"}, {"code_challenge", pk.challenge},
                       {"code_challenge_method", "S256"}};
    request a{bhttp::verb::get, "/oauth2/authorize?" + http::form_encode(q), 11};
    a.set("X-Test-User", "alice");
    remember_consent(store, "alice", client, "all offline");
    auto code = fixture::code_of(send(std::move(a)));
    http::parameters p{{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect},
                       {"code_verifier", pk.verifier}};
    if (!service) p.add("client_id", client);
    auto r = token(p, service);
    REQUIRE(r.result() == bhttp::status::ok);
    return fixture::json(r);
  }
};

}  // namespace

TEST_CASE("a grant defined outside the library is served at the token endpoint with its own settings") {
  extension_fixture f;
  auto r = f.token({{"grant_type", api_key_grant::grant_type}, {"api_key", "key-of-carol"}, {"scope", "all"}}, true);
  REQUIRE(r.result() == bhttp::status::ok);
  auto body = fixture::json(r);
  jose::jwt_validator v(f.srv.keys()->verification_keys());
  v.issuer(issuer).type("at+jwt");
  auto claims = v.validate(body.at("access_token").as_string(), f.clock);
  CHECK(claims.subject() == "carol");
  CHECK(claims.string_claim("client_id") == "flytepropeller");

  SECTION("an unknown key is invalid_grant, and nothing is counted") {
    auto bad = f.token({{"grant_type", api_key_grant::grant_type}, {"api_key", "no-such-key"}}, true);
    check_error_shape(bad, 400, "invalid_grant");
  }
}

TEST_CASE("a grant defined outside the library adds its endpoint, its state and its metadata entry") {
  extension_fixture f;
  auto uses = [&] {
    auto r = f.send(request{bhttp::verb::get, "/example/api-key/uses", 11});
    REQUIRE(r.result() == bhttp::status::ok);
    return fixture::json(r).at("uses").as_int64();
  };
  CHECK(uses() == 0);
  REQUIRE(f.token({{"grant_type", api_key_grant::grant_type}, {"api_key", "key-of-carol"}}, true).result() == bhttp::status::ok);
  REQUIRE(f.token({{"grant_type", api_key_grant::grant_type}, {"api_key", "wrong"}}, true).result() == bhttp::status::bad_request);
  CHECK(uses() == 1);

  for (std::string_view doc : {"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"}) {
    auto r = f.send(request{bhttp::verb::get, std::string(doc), 11});
    REQUIRE(r.result() == bhttp::status::ok);
    auto m = fixture::json(r);
    CHECK(m.at("api_key_uses_endpoint").as_string() == issuer + "/example/api-key/uses");
    const auto& types = m.at("grant_types_supported").as_array();
    CHECK(std::find(types.begin(), types.end(), boost::json::value(api_key_grant::grant_type)) != types.end());
    // The shipped grants still describe themselves; no device grant, so no device endpoint.
    CHECK(m.at("authorization_endpoint").as_string() == issuer + "/oauth2/authorize");
    CHECK_FALSE(m.contains("device_authorization_endpoint"));
  }
  // Grants absent from the composition serve nothing.
  CHECK(f.send(request{bhttp::verb::post, "/oauth2/device/authorize", 11}).result() == bhttp::status::not_found);
}

TEST_CASE("rotation::none keeps a confidential client's refresh token valid across refreshes") {
  extension_fixture f;
  auto first = f.code_flow("flytepropeller");
  REQUIRE(first.contains("refresh_token"));
  const std::string rt(first.at("refresh_token").as_string());
  for (int i = 0; i < 3; ++i) {
    auto r = f.token({{"grant_type", "refresh_token"}, {"refresh_token", rt}}, true);
    REQUIRE(r.result() == bhttp::status::ok);
    auto body = fixture::json(r);
    CHECK(body.contains("access_token"));
    CHECK_FALSE(body.contains("refresh_token"));  // the presented one stays the client's
  }
  SECTION("revocation still ends it") {
    auto rv = f.send(fixture::form_request("/oauth2/revoke", http::form_encode({{"token", rt}}), "flytepropeller", service_secret));
    REQUIRE(rv.result() == bhttp::status::ok);
    check_error_shape(f.token({{"grant_type", "refresh_token"}, {"refresh_token", rt}}, true), 400, "invalid_grant");
  }
}

TEST_CASE("rotation::none gives public clients no refresh token") {
  extension_fixture f;
  auto body = f.code_flow("flytectl");
  CHECK(body.contains("access_token"));
  CHECK_FALSE(body.contains("refresh_token"));
}
