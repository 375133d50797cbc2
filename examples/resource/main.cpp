// tessera-resource — a small protected API, the shape a downstream team copies: a Beast server
// whose routes accept only valid access tokens of one authorization server — tessera's own
// (`tessera-server`), or Okta, Auth0, Keycloak, Azure AD (Flyte's External mode).
//
//   tessera-resource --issuer URL --audience AUD [--audience AUD ...] [--metadata-url URL]
//                    [--listen HOST:PORT] [--header NAME] [--ca-file PEM]
//                    [--introspection-client ID --introspection-secret-env VAR [--introspect-jwts]]
//                    [--scopes-without-client SCOPE ...] [--leeway S] [--cache-max-age S]
//                    [--jwks-cooldown S] [--key-grace S] [--quiet]
//
// At start it fetches the issuer's metadata (`--issuer` is Flyte's `externalAuthServer.baseUrl`,
// `--metadata-url` its `metadataUrl`) and key set; it refuses to start when either fails.
// Routes:
//   GET /api/hello   any valid token: {"subject", "client_id", "scopes"}
//   GET /api/admin   a token with scope `all` (Flyte's one scope)
//   GET /healthz     unprotected
// Tokens are read from `Authorization: Bearer ...` and then from `--header` (default
// `flyte-authorization`). Refusals follow RFC 6750 (401 with a `WWW-Authenticate: Bearer`
// challenge, 403 `insufficient_scope` naming the scope, 503 while the issuer's keys cannot be
// fetched). `--leeway` (clock skew, default 60 s), `--cache-max-age` (how long an accepted token
// is trusted before it is checked again, default 30 s), `--jwks-cooldown` (least time between
// two key-set fetches for unknown keys, default 30 s) and `--key-grace` (how long a key the
// issuer withdrew keeps verifying, default 0) tune the validator. The introspection client's
// secret is read from the environment variable named by `--introspection-secret-env`, never
// from the command line (it would show in `ps`).
#include <tessera/resource.hpp>
#include <tessera/transport/http_client.hpp>
#include <tessera/transport/plain.hpp>
#include <tessera/transport/server.hpp>

#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace tt = tessera::transport;

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 8090;
  std::string issuer, metadata_url, header = "flyte-authorization", ca_file;
  std::vector<std::string> audiences, scopes_without_client;
  std::string introspection_client, introspection_secret_env;
  bool introspect_jwts = false;
  bool quiet = false;
  std::optional<long> leeway, cache_max_age, jwks_cooldown, key_grace;  // seconds
};

[[noreturn]] void usage(int code) {
  std::cerr << "usage: tessera-resource --issuer URL --audience AUD [--audience AUD ...] [--metadata-url URL]\n"
               "                        [--listen HOST:PORT] [--header NAME] [--ca-file PEM]\n"
               "                        [--introspection-client ID --introspection-secret-env VAR [--introspect-jwts]]\n"
               "                        [--scopes-without-client SCOPE ...] [--leeway S] [--cache-max-age S]\n"
               "                        [--jwks-cooldown S] [--key-grace S] [--quiet]\n";
  std::exit(code);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--issuer") o.issuer = value();
    else if (a == "--audience") o.audiences.push_back(value());
    else if (a == "--metadata-url") o.metadata_url = value();
    else if (a == "--header") o.header = value();
    else if (a == "--ca-file") o.ca_file = value();
    else if (a == "--introspection-client") o.introspection_client = value();
    else if (a == "--introspection-secret-env") o.introspection_secret_env = value();
    else if (a == "--introspect-jwts") o.introspect_jwts = true;
    else if (a == "--scopes-without-client") o.scopes_without_client.push_back(value());
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--leeway") o.leeway = std::stol(value());
    else if (a == "--cache-max-age") o.cache_max_age = std::stol(value());
    else if (a == "--jwks-cooldown") o.jwks_cooldown = std::stol(value());
    else if (a == "--key-grace") o.key_grace = std::stol(value());
    else if (a == "--listen") {
      std::string v = value();
      auto colon = v.rfind(':');
      if (colon == std::string::npos) usage(2);
      o.host = v.substr(0, colon);
      if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
      o.port = static_cast<unsigned short>(std::stoul(v.substr(colon + 1)));
    } else if (a == "--help" || a == "-h") {
      usage(0);
    } else {
      std::cerr << "tessera-resource: unknown argument " << a << "\n";
      usage(2);
    }
  }
  if (o.issuer.empty() || o.audiences.empty()) {
    std::cerr << "tessera-resource: --issuer and at least one --audience are required\n";
    usage(2);
  }
  if (!o.introspection_client.empty() && o.introspection_secret_env.empty()) {
    std::cerr << "tessera-resource: --introspection-client needs --introspection-secret-env\n";
    usage(2);
  }
  return o;
}

tt::response json(const tt::request& req, const boost::json::value& v) {
  return tt::make_response(req, tt::http::status::ok, boost::json::serialize(v) + "\n", "application/json");
}

}  // namespace

int main(int argc, char** argv) try {
  const options o = parse_args(argc, argv);

  tt::client_options co;
  co.ca_file = o.ca_file;
  co.connect_timeout = std::chrono::seconds(5);
  co.read_timeout = std::chrono::seconds(10);
  auto net = std::make_shared<tt::http_client>(co);

  tessera::resource::external_options eo;
  eo.base_url = o.issuer;
  eo.discovery.metadata_url = o.metadata_url;
  eo.validation.audiences = o.audiences;
  eo.validation.claims.scopes_without_client = o.scopes_without_client;
  if (o.leeway) eo.validation.leeway = std::chrono::seconds(*o.leeway);
  if (o.cache_max_age) eo.validation.cache.max_age = std::chrono::seconds(*o.cache_max_age);
  if (o.jwks_cooldown) eo.keys.cooldown = std::chrono::seconds(*o.jwks_cooldown);
  if (o.key_grace) eo.keys.removed_key_grace = std::chrono::seconds(*o.key_grace);
  if (!o.introspection_client.empty()) {
    const char* secret = std::getenv(o.introspection_secret_env.c_str());
    if (!secret || !*secret) {
      std::cerr << "tessera-resource: environment variable " << o.introspection_secret_env << " is empty\n";
      return 2;
    }
    eo.introspection_client_id = o.introspection_client;
    eo.introspection_client_secret = secret;
    eo.introspect_jwts = o.introspect_jwts;
  }
  std::error_code ec;
  auto tokens = tessera::resource::external(tt::any_sync_client(net), eo, ec);
  if (ec) {
    std::cerr << "tessera-resource: cannot use the authorization server at " << o.issuer << ": " << ec.message() << "\n";
    return 1;
  }

  tessera::resource::guard_options g;
  g.extra_header = o.header;
  tt::router routes;
  routes.get("/api/hello", tessera::resource::guard(
                               *tokens, {},
                               [](const tt::request& req, const tessera::resource::access_claims& who) {
                                 boost::json::array scopes;
                                 for (const auto& s : who.scopes) scopes.emplace_back(s);
                                 return json(req, {{"subject", who.subject}, {"client_id", who.client_id},
                                                   {"scopes", std::move(scopes)}});
                               },
                               g));
  routes.get("/api/admin", tessera::resource::guard(
                               *tokens, {"all"},
                               [](const tt::request& req, const tessera::resource::access_claims& who) {
                                 return json(req, {{"admin", true}, {"subject", who.subject}});
                               },
                               g));
  routes.get("/healthz", [](const tt::request& req) { return tt::make_response(req, tt::http::status::ok, "ok\n"); });

  tt::server_options so;
  if (o.quiet) so.access_log = {};
  tt::plain_server http(std::move(routes), so);
  auto ep = http.listen(o.host, o.port);
  std::cerr << "tessera-resource: issuer " << tokens->options().issuer << ", listening on http://"
            << (ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string()) << ":"
            << ep.port() << std::endl;
  http.run_until_signal();
  std::cerr << "tessera-resource: stopped" << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "tessera-resource: " << e.what() << "\n";
  return 1;
}
