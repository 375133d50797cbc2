// tessera-server — the built-in authorization server (Flyte's `authServerType: Self`) as a
// program. With no arguments it runs the embedded default: local login from a users file,
// the SQLite store in its data directory, a signing key generated there, listening on
// 127.0.0.1:8088. On first start it creates a demo public client, a demo confidential client
// and a demo user, stores only their hashes, and prints their secrets once.
//
//   tessera-server [--listen HOST:PORT] [--data-dir DIR] [--issuer URL]
//                  [--signing-alg RS256|ES256|EdDSA] [--tls-cert FILE --tls-key FILE]
//                  [--hsts-max-age SECONDS] [--hsts-include-subdomains] [--no-hsts]
//                  [--max-connections-per-address N] [--threads N] [--quiet]
//                  [--oidc-base-url URL --oidc-client-id ID [--oidc-client-secret-env VAR]
//                   [--oidc-profile NAME] [--oidc-issuer-url URL] [--oidc-scopes "a b"]
//                   [--oidc-tenant T]... [--oidc-audience A] [--oidc-idp-query-parameter P]
//                   [--oidc-post-logout-redirect-uri URL] [--oidc-ca-file FILE] [--oidc-api-url URL]]
//                  [--stateless-sessions] [--store SPEC] [--init-only]
//                  [--log-format text|json] [--no-metrics | --metrics-listen HOST:PORT]
//
// `--store` (examples/server/store_choice.hpp): `sqlite` (the default, <data-dir>/tessera.db),
// `sqlite:PATH`, `memory`, `postgres[:CONNINFO]` / `postgresql://...`, `redis://...` /
// `rediss://...`. PostgreSQL and Redis are shared by replicas, which must share the signing and
// cookie keys: with them tessera-server refuses to start unless the data directory already
// holds both — make it once with `--init-only` (creates the data directory and exits) and give
// every replica a copy.
// `--stateless-sessions` keeps browser sessions in sealed cookies instead of the store (for
// replicas without a shared store; logout then clears only the browser's copy) and raises the
// request-header limit to 48 KiB for the larger Cookie field.
// With `--oidc-base-url` people log in through that identity provider (Flyte's
// `userAuth.openId`: profile generic_oidc, okta, google, azure_ad, auth0, keycloak or github;
// the client secret from the environment variable named by `--oidc-client-secret-env`) instead
// of the users file; its callback is `<issuer>/callback`; RP-initiated logout asks the IdP to
// return to `--oidc-post-logout-redirect-uri` when one is given (it must be registered there;
// otherwise the IdP shows its own page); `/readyz` answers 503 until the IdP's metadata is known
// (start-up does not wait for it) and while the store does not answer. `/healthz` and Flyte's
// `/healthcheck` answer while the process serves. SIGHUP reads the signing keys again from where
// they came (the previous key keeps verifying what it signed) and re-checks `--config`; SIGTERM
// and SIGINT drain and stop. `/me` also answers for tessera's own access tokens
// (`Authorization: Bearer`, or `flyte-authorization`) and, with an IdP, its ID tokens (`IDToken`).
//
// With TLS every response carries Strict-Transport-Security, one year by default
// (docs/security.md row 39); `--hsts-max-age 0` tells browsers to forget it, `--no-hsts` sends
// none (a proxy in front sets its own). Behind a reverse proxy every client shares the proxy's
// address: raise `--max-connections-per-address` (default 64) to the connections the proxy may
// open, and let the proxy limit each client (docs/security.md row 38).
//
// `--log-format json` writes the access log and the program's own messages (listening, stopped,
// errors) as one JSON object per line (transport/access_log.hpp, ops/logger.hpp); every request
// gets an id, from a safe `X-Request-Id` or made, echoed in the response. `/metrics` serves
// Prometheus metrics (ops/): requests and latency per route, tokens issued per grant type,
// token errors per cause, store latency per operation; `--no-metrics` turns it off. It is
// served on the main listener (let the proxy in front keep it from the public), or with
// `--metrics-listen HOST:PORT` (`tessera.metrics.listen`) on a plain-HTTP listener of its own
// instead, with /healthz beside it, and the main listener answers /metrics 404.
#include "data_dir.hpp"
#include "secrets_command.hpp"
#include "store_choice.hpp"

#include <tessera/flyte/server_config.hpp>
#include <tessera/identity.hpp>
#include <tessera/ops/http_metrics.hpp>
#include <tessera/ops/logger.hpp>
#include <tessera/ops/process_metrics.hpp>
#include <tessera/ops/store_metrics.hpp>
#include <tessera/ops/token_metrics.hpp>
#include <tessera/resource.hpp>
#include <tessera/server.hpp>
#include <tessera/transport/http_client.hpp>
#include <tessera/transport/plain.hpp>
#include <tessera/transport/server.hpp>
#include <tessera/transport/tls.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <iostream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 8088;
  std::filesystem::path data_dir;
  std::string issuer;
  std::string signing_alg = "RS256";
  std::string tls_cert, tls_key;
  unsigned threads = 0;
  tessera::transport::thread_scheduling scheduling = tessera::transport::thread_scheduling::per_thread;
  bool quiet = false;
  tessera::transport::hsts_policy hsts{};
  std::size_t max_connections_per_address = tessera::transport::server_limits::default_max_connections_per_address;
  // External identity provider (empty base URL: the users file).
  std::string oidc_base_url, oidc_client_id, oidc_secret_env, oidc_profile = "generic_oidc", oidc_issuer_url, oidc_scopes,
      oidc_audience, oidc_idp_param, oidc_post_logout, oidc_ca_file, oidc_api_url;
  std::vector<std::string> oidc_tenants;
  bool stateless_sessions = false;
  std::string store = "sqlite";
  bool init_only = false;
  std::string oidc_client_secret;  // from the configuration file (Helm's oidc.clientSecret)
  // --config: Flyte's configuration (flyte/server_config.hpp); the flags given with it win.
  std::optional<tessera::flyte::server_config> config;
  bool check_only = false;
  tessera::ops::log_format log_format = tessera::ops::log_format::text;
  bool metrics = true;
  std::string metrics_host;  // --metrics-listen: /metrics there alone (empty: on the main listener)
  unsigned short metrics_port = 0;
};

// The program's own messages, in the chosen format (set before any thread starts).
tessera::ops::logger program_log{"tessera-server"};

[[noreturn]] void usage(int code) {
  std::cerr << "usage: tessera-server [--config FILE [--check]]\n"
               "                      [--listen HOST:PORT] [--data-dir DIR] [--issuer URL]\n"
               "                      [--signing-alg RS256|ES256|EdDSA] [--tls-cert FILE --tls-key FILE]\n"
               "                      [--hsts-max-age SECONDS] [--hsts-include-subdomains] [--no-hsts]\n"
               "                      [--max-connections-per-address N] [--threads N] [--quiet]\n"
               "                      [--scheduling per-thread|shared]\n"
               "                      [--oidc-base-url URL --oidc-client-id ID [--oidc-client-secret-env VAR]\n"
               "                       [--oidc-profile NAME] [--oidc-issuer-url URL] [--oidc-scopes \"a b\"]\n"
               "                       [--oidc-tenant T]... [--oidc-audience A] [--oidc-idp-query-parameter P]\n"
               "                       [--oidc-post-logout-redirect-uri URL] [--oidc-ca-file FILE] [--oidc-api-url URL]]\n"
               "                      [--stateless-sessions]\n"
               "                      [--store sqlite|sqlite:PATH|memory|postgres[:CONNINFO]|postgresql://...|redis://...|rediss://...]\n"
               "                      [--init-only] [--log-format text|json] [--no-metrics | --metrics-listen HOST:PORT]\n"
               "       tessera-server secrets init [-p DIR] [--force]   (Flyte's secrets, as flyteadmin writes them)\n"
               "       tessera-server secrets hash [--generate] [--cost N]   (a clientSecretHash)\n";
  std::exit(code);
}

// The configuration file's values as options (the flags given with --config go over them).
void apply_config(const tessera::flyte::server_config& cfg, options& o) {
  const auto& t = cfg.tessera;
  o.host = t.host;
  o.port = t.port;
  if (!cfg.public_url.empty()) o.issuer = cfg.public_url;
  if (!t.data_dir.empty()) o.data_dir = t.data_dir;
  o.signing_alg = t.signing_algorithm;
  o.tls_cert = t.tls.cert_file;
  o.tls_key = t.tls.key_file;
  o.hsts.enabled = t.tls.hsts;
  o.hsts.max_age = t.tls.hsts_max_age;
  o.hsts.include_subdomains = t.tls.hsts_include_subdomains;
  o.threads = t.threads;
  o.scheduling = t.scheduling == "shared" ? tessera::transport::thread_scheduling::shared
                                          : tessera::transport::thread_scheduling::per_thread;
  o.max_connections_per_address = t.max_connections_per_address;
  o.stateless_sessions = t.stateless_sessions;
  o.store = t.store;
  o.quiet = !t.access_log;
  o.log_format = t.log_format;
  o.metrics = t.metrics;
  o.metrics_host = t.metrics_host;
  o.metrics_port = t.metrics_port;
  const auto& id = cfg.user_auth.open_id;
  if (!id.base_url.empty()) {
    o.oidc_base_url = id.base_url;
    o.oidc_issuer_url = id.issuer_url;
    o.oidc_client_id = id.client_id;
    o.oidc_client_secret = id.client_secret;
    o.oidc_profile = t.idp.profile.empty() ? std::string(tessera::identity::profile_for_base_url(id.base_url)) : t.idp.profile;
    o.oidc_scopes.clear();
    for (const auto& sc : id.scopes) o.oidc_scopes += (o.oidc_scopes.empty() ? "" : " ") + sc;
    o.oidc_tenants = t.idp.tenants;
    o.oidc_audience = t.idp.audience;
    o.oidc_idp_param = cfg.user_auth.idp_query_parameter;
    o.oidc_post_logout = t.idp.post_logout_redirect_uri;
    o.oidc_ca_file = t.idp.ca_file;
    o.oidc_api_url = t.idp.api_url;
  }
}

options parse_args(int argc, char** argv) {
  options o;
  const char* home = std::getenv("HOME");
  o.data_dir = std::filesystem::path(home && *home ? home : ".") / ".tessera-server";
  // --log-format before anything is said, then the configuration file, whatever their places
  // among the flags.
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string_view(argv[i]) == "--log-format")
      if (auto f = tessera::ops::parse_log_format(argv[i + 1]))
        program_log = tessera::ops::logger("tessera-server", *f);
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--config") continue;
    if (i + 1 >= argc) usage(2);
    tessera::flyte::config_problem problem;
    auto cfg = tessera::flyte::load_server_config(argv[i + 1], problem);
    if (problem) {
      program_log.error("config_invalid", problem.message());
      std::exit(2);
    }
    for (const auto& w : cfg.warnings) program_log.warn("config_warning", w);
    apply_config(cfg, o);
    o.config = std::move(cfg);
    break;
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--config") {
      value();  // read above
    } else if (a == "--check") {
      o.check_only = true;
    } else if (a == "--listen") {
      if (!tessera::flyte::parse_host_port(value(), o.host, o.port)) usage(2);
    } else if (a == "--data-dir") {
      o.data_dir = value();
    } else if (a == "--issuer") {
      o.issuer = value();
    } else if (a == "--signing-alg") {
      o.signing_alg = value();
    } else if (a == "--tls-cert") {
      o.tls_cert = value();
    } else if (a == "--tls-key") {
      o.tls_key = value();
    } else if (a == "--hsts-max-age") {
      o.hsts.max_age = std::chrono::seconds{std::stoll(value())};
    } else if (a == "--hsts-include-subdomains") {
      o.hsts.include_subdomains = true;
    } else if (a == "--no-hsts") {
      o.hsts.enabled = false;
    } else if (a == "--max-connections-per-address") {
      o.max_connections_per_address = std::stoul(value());
    } else if (a == "--threads") {
      o.threads = static_cast<unsigned>(std::stoul(value()));
    } else if (a == "--scheduling") {
      const std::string v = value();
      if (v == "per-thread") o.scheduling = tessera::transport::thread_scheduling::per_thread;
      else if (v == "shared") o.scheduling = tessera::transport::thread_scheduling::shared;
      else usage(2);
    } else if (a == "--quiet") {
      o.quiet = true;
    } else if (a == "--oidc-base-url") {
      o.oidc_base_url = value();
    } else if (a == "--oidc-client-id") {
      o.oidc_client_id = value();
    } else if (a == "--oidc-client-secret-env") {
      o.oidc_secret_env = value();
    } else if (a == "--oidc-profile") {
      o.oidc_profile = value();
    } else if (a == "--oidc-issuer-url") {
      o.oidc_issuer_url = value();
    } else if (a == "--oidc-scopes") {
      o.oidc_scopes = value();
    } else if (a == "--oidc-tenant") {
      o.oidc_tenants.push_back(value());
    } else if (a == "--oidc-audience") {
      o.oidc_audience = value();
    } else if (a == "--oidc-idp-query-parameter") {
      o.oidc_idp_param = value();
    } else if (a == "--oidc-post-logout-redirect-uri") {
      o.oidc_post_logout = value();
    } else if (a == "--oidc-api-url") {
      o.oidc_api_url = value();
    } else if (a == "--oidc-ca-file") {
      o.oidc_ca_file = value();
    } else if (a == "--stateless-sessions") {
      o.stateless_sessions = true;
    } else if (a == "--store") {
      o.store = value();
    } else if (a == "--init-only") {
      o.init_only = true;
    } else if (a == "--log-format") {
      auto f = tessera::ops::parse_log_format(value());
      if (!f) {
        std::cerr << "tessera-server: --log-format is text or json\n";
        usage(2);
      }
      o.log_format = *f;
    } else if (a == "--no-metrics") {
      o.metrics = false;
    } else if (a == "--metrics-listen") {
      if (!tessera::flyte::parse_host_port(value(), o.metrics_host, o.metrics_port)) usage(2);
    } else if (a == "--help" || a == "-h") {
      usage(0);
    } else {
      std::cerr << "tessera-server: unknown argument " << a << "\n";
      usage(2);
    }
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::cerr << "tessera-server: --tls-cert and --tls-key go together\n";
    usage(2);
  }
  if (o.check_only && !o.config) {
    std::cerr << "tessera-server: --check checks a --config file\n";
    usage(2);
  }
  return o;
}

using server_type = tessera::embedded_server;
using oidc_identity = tessera::identity::session_identity<tessera::store::any, tessera::system_clock,
                                                          tessera::identity::oidc_authenticator>;

// The origin (scheme://host[:port]) of an absolute URL, or "".
std::string origin_of(std::string_view url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return {};
  return std::string(u->scheme()) + "://" + std::string(u->encoded_host_and_port());
}

tessera::identity::upstream_settings upstream_from(const options& o, const std::string& issuer) {
  tessera::identity::upstream_settings u;
  u.name = o.oidc_profile == "generic_oidc" ? std::string("idp") : o.oidc_profile;
  u.base_url = o.oidc_base_url;
  u.issuer_url = o.oidc_issuer_url;
  u.client_id = o.oidc_client_id;
  if (!o.oidc_client_secret.empty()) u.client_secret = o.oidc_client_secret;
  if (!o.oidc_secret_env.empty()) {
    const char* secret = std::getenv(o.oidc_secret_env.c_str());
    if (!secret || !*secret) throw std::runtime_error("the environment variable " + o.oidc_secret_env + " is empty or unset");
    u.client_secret = secret;
  }
  for (std::size_t at = 0; at < o.oidc_scopes.size();) {
    auto end = o.oidc_scopes.find(' ', at);
    if (end == std::string::npos) end = o.oidc_scopes.size();
    if (end > at) u.scopes.push_back(o.oidc_scopes.substr(at, end - at));
    at = end + 1;
  }
  u.tenants = o.oidc_tenants;
  u.audience = o.oidc_audience;
  u.api_url = o.oidc_api_url;
  u.idp_query_parameter = o.oidc_idp_param;
  u.redirect_uri = issuer + "/callback";
  u.post_logout_redirect_uri = o.oidc_post_logout;  // sent only when registered at the IdP
  return u;
}

// "http://127.0.0.1:8088", "https://[::1]:8443": where a bound listener answers.
std::string url_of(std::string_view scheme, const boost::asio::ip::tcp::endpoint& ep) {
  const std::string a = ep.address().to_string();
  return std::string(scheme) + "://" + (ep.address().is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(ep.port());
}

template <class Server>
int serve(tessera::transport::router routes, const options& o, const typename Server::transport_options& topts,
          tessera::transport::request_observer observer, std::function<void()> on_reload,
          std::optional<tessera::transport::router> metrics_routes) {
  // /metrics on a listener of its own: one thread, plain HTTP, no access log (scrapes are
  // periodic noise); started first and stopped last (its destructor), so it covers the main
  // server's whole life.
  std::optional<tessera::transport::plain_server> metrics_server;
  if (metrics_routes) {
    tessera::transport::server_options mo;
    mo.threads = 1;
    mo.access_log = {};
    mo.drain_timeout = std::chrono::seconds{2};
    metrics_server.emplace(std::move(*metrics_routes), mo);
    auto mep = metrics_server->listen(o.metrics_host, o.metrics_port);
    const std::string murl = url_of("http", mep) + "/metrics";
    program_log.info("metrics_listening", "metrics on " + murl, {{"url", murl}});
    metrics_server->start();
  }
  tessera::transport::server_options so;
  so.threads = o.threads;
  so.scheduling = o.scheduling;
  so.limits.max_connections_per_address = o.max_connections_per_address;
  if (o.stateless_sessions) so.limits.header_limit = 48 * 1024;  // sessions travel in Cookie
  if (o.quiet) so.access_log = {};
  so.log_format = o.log_format;
  so.observer = std::move(observer);
  Server http(std::move(routes), so, topts);
  auto ep = http.listen(o.host, o.port);
  const std::string url = url_of(Server::transport_type::is_tls ? "https" : "http", ep);
  program_log.info("listening", "listening on " + url, {{"url", url}});
  http.on_signal(SIGHUP, std::move(on_reload));
  http.run_until_signal();
  program_log.info("stopped", "stopped");
  return 0;
}

// Flyte's secrets (with --config): the signing key (and the old one), the cookie key, the IdP's
// client secret, from FLYTE_SECRET_<name> or the secrets directory (tessera.secretsDir, else
// /etc/secrets), named as the configuration names them. With none of the keys there and no
// secretsDir configured, the data directory's keys are used (said on stderr); some but not all
// of them is an error, as is any of them missing from a configured secretsDir.
struct flyte_secrets {
  tessera::server::key_set keys;
  std::string cookie_key;  // 32 bytes: HMAC-SHA-256 under cookie_hash_key of cookie_block_key
};

std::optional<flyte_secrets> read_flyte_secrets(const tessera::flyte::server_config& cfg, tessera::jose::algorithm alg) {
  tessera::flyte::secret_source src;
  if (!cfg.tessera.secrets_dir.empty()) src.dir = cfg.tessera.secrets_dir;
  const auto& self = cfg.self_server;
  // Flyte's name is for RSA keys; another algorithm's key keeps tessera's name for it unless
  // the configuration names one.
  const std::string signing_name = self.token_signing_key_secret_name == tessera::flyte::flyte_signing_key_name
                                       ? tessera::flyte::signing_key_file_name(alg)
                                       : self.token_signing_key_secret_name;
  const std::string hash_name = cfg.user_auth.cookie_hash_key_secret_name;
  const std::string block_name = cfg.user_auth.cookie_block_key_secret_name;
  std::vector<std::string> missing;
  for (const auto& name : {signing_name, hash_name, block_name}) {
    tessera::flyte::config_problem p;
    if (!tessera::flyte::find_secret(src, name, p)) {
      if (p) throw tessera::flyte::config_error(p);
      missing.push_back(name);
    }
  }
  if (missing.size() == 3 && cfg.tessera.secrets_dir.empty()) {
    program_log.warn("flyte_secrets_absent", "no Flyte secrets in " + src.dir.string() +
                                                 " or FLYTE_SECRET_*: the data directory's keys are used (tessera-server "
                                                 "secrets init -p DIR makes Flyte's; then set tessera.secretsDir)");
    return std::nullopt;
  }
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    throw std::runtime_error("missing Flyte secrets in " + src.dir.string() + " (or FLYTE_SECRET_<name>): " + names +
                             "; tessera-server secrets init -p " + src.dir.string() + " makes them");
  }
  flyte_secrets out;
  tessera::flyte::signing_key_options ko;
  ko.algorithm = alg;
  ko.signing_key_name = signing_name;
  ko.old_signing_key_name = self.old_token_signing_key_secret_name;
  out.keys = tessera::flyte::load_signing_keys(src, ko).key_set();
  auto hash_key = tessera::flyte::read_secret_key(src, {hash_name, tessera::flyte::cookie_hash_key_secret.size});
  auto block_key = tessera::flyte::read_secret_key(src, {block_name, tessera::flyte::cookie_block_key_secret.size});
  const auto sealing = tessera::crypto::hmac_sha256(hash_key.value(), "tessera cookie sealing key\n" + std::string(block_key.value()));
  out.cookie_key.assign(reinterpret_cast<const char*>(sealing.data()), sealing.size());
  return out;
}

using bearer_check = std::function<std::optional<tessera::identity::user>(std::string_view, std::error_code&)>;

// /me's bearer check over a token validator (this server's own, or an external server's).
template <class Validator>
bearer_check bearer_over(std::shared_ptr<Validator> tokens) {
  return [tokens](std::string_view token, std::error_code& ec) -> std::optional<tessera::identity::user> {
    auto c = tokens->validate(token, ec);
    if (!c) return std::nullopt;
    tessera::identity::user u;
    u.subject = c->subject;
    u.claims = c->user_info;
    return u;
  };
}

// External mode: the external authorization server's metadata (fetched at start, with Flyte's
// retryAttempts and retryDelay), relayed at /.well-known/oauth-authorization-server as Flyte
// relays it; its tokens validated for /me (issuer from that metadata, keys from its JWKS,
// `allowedAudience`, else this server's public URL); /.well-known/openid-configuration sends
// to the IdP's own document (Flyte's 303); /config/v1/flyte_client from thirdPartyConfig.
void install_external(tessera::transport::router& routes, const tessera::flyte::server_config& cfg,
                      const std::string& public_url, const std::string& idp_base_url, bearer_check& bearer) {
  const auto& ext = cfg.external_server;
  tessera::transport::client_options copts;
  copts.ca_file = cfg.tessera.idp.ca_file;
  auto net = std::make_shared<tessera::transport::http_client>(copts);
  tessera::transport::any_sync_client http(net);
  const auto base = boost::urls::parse_absolute_uri(ext.base_url);
  const bool loopback_http = base && base->scheme() == "http" &&
                             (base->host() == "127.0.0.1" || base->host() == "localhost" || base->host() == "[::1]");
  tessera::resource::external_options eo;
  eo.base_url = ext.base_url;
  eo.discovery.metadata_url = ext.metadata_url;
  eo.discovery.allow_http = loopback_http;  // plain http only on loopback (tests)
  eo.validation.audiences = ext.allowed_audience.empty() ? std::vector<std::string>{public_url} : ext.allowed_audience;
  std::error_code ec;
  tessera::oauth::server_metadata meta;
  std::optional<tessera::resource::external_validator<>> validator;
  for (int attempt = 0;; ++attempt) {
    meta = tessera::oauth::discover(http, ext.base_url, eo.discovery, ec);
    if (!ec) validator = tessera::resource::external(http, eo, ec);
    if (!ec) break;
    if (attempt >= ext.retry_attempts)
      throw std::runtime_error(cfg.where("auth.appAuth.externalAuthServer.baseUrl") + ": the authorization server " +
                               ext.base_url + " could not be used: " + ec.message());
    program_log.warn("authorization_server_not_ready",
                     "authorization server " + ext.base_url + " not ready (" + ec.message() + "), retrying",
                     {{"url", ext.base_url}});
    std::this_thread::sleep_for(ext.retry_delay);
  }
  auto tokens = std::make_shared<tessera::resource::external_validator<>>(std::move(*validator));
  bearer = bearer_over(tokens);
  const std::string document = boost::json::serialize(tessera::oauth::to_json(meta));
  routes.get("/.well-known/oauth-authorization-server", [document](const tessera::transport::request& req) {
    auto res = tessera::transport::make_response(req, tessera::transport::http::status::ok, document, "application/json");
    res.set(tessera::transport::http::field::cache_control, "public, max-age=300");
    return res;
  });
  std::string idp_document = idp_base_url;
  while (!idp_document.empty() && idp_document.back() == '/') idp_document.pop_back();
  idp_document += "/.well-known/openid-configuration";
  routes.get("/.well-known/openid-configuration", [idp_document](const tessera::transport::request& req) {
    auto res = tessera::transport::make_response(req, tessera::transport::http::status::see_other, "");
    res.set(tessera::transport::http::field::location, idp_document);
    return res;
  });
  routes.get("/config/v1/flyte_client", [client = cfg.flyte_client](const tessera::transport::request& req) {
    return tessera::server::flyte_client_response(client, req);
  });
}

// How to run tessera-client: its path when it was built beside this program (the build tree's
// examples/client, or the same directory when installed), else its name.
std::string client_command() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "tessera-client";
  for (const auto& candidate : {self.parent_path() / "tessera-client", self.parent_path().parent_path() / "client" / "tessera-client"})
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
  return "tessera-client";
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc > 1 && std::string_view(argv[1]) == "secrets") return examples::run_secrets_command(argc, argv);
  options o = parse_args(argc, argv);
  program_log = tessera::ops::logger("tessera-server", o.log_format);  // the configuration's choice too
  const bool tls = !o.tls_cert.empty();
  std::string issuer = o.issuer;
  if (issuer.empty()) {
    const bool v6 = o.host.find(':') != std::string::npos;
    issuer = std::string(tls ? "https://" : "http://") + (v6 ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port);
  }
  while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();

  std::error_code alg_ec;
  auto alg = tessera::jose::parse_algorithm(o.signing_alg, alg_ec);
  if (!alg || tessera::jose::is_hmac(*alg)) {
    program_log.error("options_invalid", "--signing-alg must be an asymmetric JWS algorithm (RS256, ES256, EdDSA, ...)");
    return 2;
  }
  const tessera::flyte::server_config* cfg = o.config ? &*o.config : nullptr;
  // External (Flyte's appAuth.authServerType): another server issues the tokens; this one
  // logs people in at the IdP, relays that server's metadata and validates its tokens.
  const bool external_as = cfg && cfg->type == tessera::flyte::auth_server_type::external;
  if (cfg && !examples::is_store_spec(o.store)) {
    program_log.error("config_invalid", cfg->where("tessera.store") +
                                            ": not a store (sqlite, sqlite:PATH, memory, postgres[:CONNINFO], "
                                            "postgresql://..., redis://..., rediss://...)");
    return 2;
  }
  if (o.check_only) {
    // What start-up would refuse without reaching anything: the identity provider's settings.
    if (!o.oidc_base_url.empty()) {
      tessera::transport::client_options copts;
      copts.ca_file = o.oidc_ca_file;
      auto net = std::make_shared<tessera::transport::http_client>(copts);
      auto u = upstream_from(o, issuer);
      if (u.client_secret.empty()) u.client_secret = "checked at start";  // read at start, never here
      tessera::identity::make_upstream(o.oidc_profile, std::move(u), tessera::transport::any_sync_client(net));
    }
    std::cout << "tessera-server: " << cfg->file.string() << ": ok (issuer " << issuer << ", "
              << (external_as ? "external authorization server " + cfg->external_server.base_url
                              : std::to_string(cfg->clients.size()) + " static clients")
              << (o.oidc_base_url.empty() ? ", local login" : ", identity provider " + o.oidc_profile) << ")" << std::endl;
    return 0;
  }
  examples::data_dir dir(o.data_dir, issuer);
  examples::first_start_report report;
  const bool demo_clients = !cfg;  // with a configuration its static clients are the clients
  if (o.init_only) {
    dir.prepare(*alg, report, demo_clients);
    if (report.created) examples::print_first_start(std::cout, issuer, dir, report, demo_clients, client_command());
    std::cout << "tessera-server: data directory " << o.data_dir.string() << " ready" << std::endl;
    return 0;
  }
  // A store that other processes share means replicas, and replicas must sign with one key and
  // seal cookies with one key: a replica that made its own would reject every other replica's
  // cookies (sign-in breaks at random) and its tokens would fail elsewhere. So with a shared
  // store the keys must exist already: made once (--init-only) and given to every replica.
  // With --config, Flyte's secrets when they are there (replicas share them as Flyte's do).
  std::optional<flyte_secrets> secrets;
  if (cfg) secrets = read_flyte_secrets(*cfg, *alg);
  if (examples::is_shared_store(o.store) && !secrets) {
    if (auto missing = dir.missing_shared_keys(*alg); !missing.empty()) {
      program_log.error("keys_missing", "a " + o.store.substr(0, o.store.find(':')) +
                                            " store is shared by replicas, which must share their keys; missing: " +
                                            missing +
                                            ". Create the data directory once (tessera-server --init-only --data-dir "
                                            "DIR) and give every replica a copy.");
      return 2;
    }
  }
  dir.prepare(*alg, report, demo_clients);
  // The IdP's client secret; a profile that only vouches for tokens (gcp_identity) uses none.
  if (cfg && !o.oidc_base_url.empty() && o.oidc_client_secret.empty() && o.oidc_secret_env.empty() &&
      tessera::identity::profile_is_interactive(o.oidc_profile)) {
    tessera::flyte::secret_source src;
    if (!cfg->tessera.secrets_dir.empty()) src.dir = cfg->tessera.secrets_dir;
    o.oidc_client_secret = std::string(tessera::flyte::read_text_secret(src, cfg->user_auth.open_id.client_secret_name).value());
  }
  auto chosen = examples::open_store(o.store, o.data_dir);
  tessera::store::any store = chosen.store;
  // Metrics: every store call timed, from here on (the identity layer's sessions too).
  tessera::ops::registry metrics;
  std::optional<tessera::ops::token_metrics> token_metrics;
  std::optional<tessera::ops::http_metrics> http_metrics;
  if (o.metrics) {
    tessera::ops::add_process_metrics(metrics);
    store = tessera::ops::timed_store(std::move(store), metrics);
  }

  // Clients: the configuration's static clients, else the data directory's clients.json.
  auto clients = cfg ? cfg->clients : dir.clients();
  tessera::identity::session_identity_settings browser_side;
  // The login form's redirects end at a client (RFC 8252 loopback on any port, for flytectl).
  // One browser layer for the login pages and the server's own (authorization, device).
  browser_side.browser.form_action_sources = clients.redirect_csp_sources();
  browser_side.browser.cookie_keys = {secrets ? secrets->cookie_key : dir.cookie_key()};
  browser_side.browser.public_url = issuer;
  browser_side.browser.secure_cookies = tls;
  browser_side.default_redirect = "/me";
  if (cfg) {
    browser_side.browser.authorized_uris = cfg->authorized_uris;
    if (!cfg->user_auth.redirect_url.empty()) browser_side.default_redirect = cfg->user_auth.redirect_url;
    // Bearer tokens for /me arrive in `authorization` and Flyte's configured header names.
    browser_side.token_headers = {"authorization"};
    for (const auto& h : {cfg->http_authorization_header, cfg->grpc_authorization_header})
      if (std::find(browser_side.token_headers.begin(), browser_side.token_headers.end(), h) == browser_side.token_headers.end())
        browser_side.token_headers.push_back(h);
  }
  if (o.stateless_sessions) browser_side.storage = tessera::identity::session_storage::cookies;
  // /me answers for this server's own access tokens too (Flyte's IdentityService does); the
  // validator exists once the server does, below.
  auto bearer = std::make_shared<bearer_check>();
  browser_side.token_user = [bearer](std::string_view scheme, std::string_view token,
                                     std::error_code& ec) -> std::optional<tessera::identity::user> {
    if (scheme != "Bearer" || !*bearer) {
      ec = tessera::error::token_scheme_unsupported;
      return std::nullopt;
    }
    return (*bearer)(token, ec);
  };

  // People log in from the users file, or through an external identity provider.
  std::unique_ptr<tessera::identity::local<tessera::store::any>> users;
  std::unique_ptr<oidc_identity> external;
  std::shared_ptr<const tessera::identity::upstream_provider> idp;
  std::optional<tessera::identity::any_identity> identity;
  if (o.oidc_base_url.empty()) {
    tessera::identity::local_settings ids;
    static_cast<tessera::identity::session_identity_settings&>(ids) = browser_side;
    ids.users = dir.users(cfg ? cfg->tessera.users_file : std::filesystem::path());
    users = std::make_unique<tessera::identity::local<tessera::store::any>>(std::move(ids), store);
    identity.emplace(*users);
  } else {
    tessera::transport::client_options copts;
    copts.ca_file = o.oidc_ca_file;
    auto net = std::make_shared<tessera::transport::http_client>(copts);
    auto provider = tessera::identity::make_upstream(o.oidc_profile, upstream_from(o, issuer),
                                                     tessera::transport::any_sync_client(net));
    // Logout continues at the IdP: the CSP's form-action must allow the redirect there (the
    // public issuer's origin too, when the IdP is reached under another URL).
    browser_side.browser.form_action_sources.push_back(origin_of(o.oidc_base_url));
    if (!o.oidc_issuer_url.empty() && origin_of(o.oidc_issuer_url) != origin_of(o.oidc_base_url))
      browser_side.browser.form_action_sources.push_back(origin_of(o.oidc_issuer_url));
    idp = provider;
    tessera::identity::oidc_settings login;
    login.providers = {provider};
    external = std::make_unique<oidc_identity>(std::move(browser_side), std::move(login), store);
    std::error_code ec;
    if (!provider->ready(ec))
      program_log.warn("identity_provider_not_ready",
                       "identity provider " + o.oidc_base_url +
                           " not reachable yet (retrying): " + provider->status().last_error.message(),
                       {{"url", o.oidc_base_url}});
    identity.emplace(*external);
  }

  tessera::server::server_settings settings;
  settings.issuer = issuer;
  settings.flyte_client.client_id = examples::demo_public_client;
  settings.flyte_client.redirect_uri = "http://localhost:53593/callback";
  if (cfg) {
    const auto& t = cfg->tessera;
    settings.flyte_client = cfg->flyte_client;
    settings.access_token_lifespan = cfg->self_server.access_token_lifespan;
    settings.refresh_token_lifespan = cfg->self_server.refresh_token_lifespan;
    settings.authorization_code_lifespan = cfg->self_server.authorization_code_lifespan;
    settings.id_token_lifespan = t.id_token_lifespan;
    settings.device_code_lifespan = t.device_code_lifespan;
    settings.refresh_family_lifetime = t.refresh_family_lifetime;
    settings.revocation_cache_ttl = t.revocation_cache_ttl;
    settings.consent_lifetime = t.consent_lifetime;
    settings.first_party_native_skips_consent = t.first_party_native_skips_consent;
  }
  if (o.metrics && !external_as) {
    token_metrics.emplace(metrics, server_type::grant_types());
    settings.token_events = token_metrics->observer();
  }
  tessera::transport::router routes;
  std::unique_ptr<server_type> auth;
  if (!external_as) {
    auth = std::make_unique<server_type>(settings, std::move(clients), secrets ? secrets->keys : dir.keys(*alg), store,
                                         *identity);
    auto own_tokens =
        std::make_shared<decltype(tessera::resource::self_issued(*auth))>(tessera::resource::self_issued(*auth));
    *bearer = bearer_over(own_tokens);
    auth->install(routes);
  } else {
    install_external(routes, *cfg, issuer, o.oidc_base_url, *bearer);
  }
  identity->install(routes);
  // Liveness, here and beside /metrics when that has a listener of its own.
  const auto healthz = [](const tessera::transport::request& req) {
    return tessera::transport::make_response(req, tessera::transport::http::status::ok, "ok\n");
  };
  routes.get("/healthz", healthz);
  // Flyte's liveness path (flyteadmin answers it with 200 and nothing else).
  routes.get("/healthcheck", [](const tessera::transport::request& req) {
    return tessera::transport::make_response(req, tessera::transport::http::status::ok, "");
  });
  // Ready when the store answers and the identity provider's metadata is known (always, with
  // the users file). The store is asked at most once a second whatever the probe rate; an IdP
  // probe starts a discovery when one is due and never waits for one in progress.
  auto store_probe = std::make_shared<examples::store_readiness>(store);
  routes.get("/readyz", [idp, store_probe](const tessera::transport::request& req) {
    std::error_code ec;
    if (!store_probe->ready(ec))
      return tessera::transport::make_response(req, tessera::transport::http::status::service_unavailable,
                                               "store not reachable: " + ec.message() + "\n");
    if (idp && !idp->ready(ec))
      return tessera::transport::make_response(req, tessera::transport::http::status::service_unavailable,
                                               "identity provider not reachable: " + idp->status().last_error.message() + "\n");
    return tessera::transport::make_response(req, tessera::transport::http::status::ok, "ready\n");
  });

  // SIGHUP: the signing keys again from where they came (Flyte's secrets, else the data
  // directory), made current with the previous key still verifying (rotation); the
  // configuration file checked again. Anything else it changes applies at the next start.
  auto reload = [&]() noexcept {
    try {
      if (cfg) {
        tessera::flyte::config_problem problem;
        auto again = tessera::flyte::load_server_config(cfg->file, problem);
        if (problem) {
          program_log.error("reload_refused", "reload: " + problem.message() + "; keys and settings unchanged");
          return;
        }
      }
      if (!auth) {
        program_log.info("reloaded", "reload: configuration ok; no keys here (External mode); other changes apply "
                                     "at the next start");
        return;
      }
      tessera::server::key_set next;
      if (secrets) {
        auto again = read_flyte_secrets(*cfg, *alg);
        if (!again) throw std::runtime_error("the Flyte secrets that held the keys at start are gone");
        next = std::move(again->keys);
      } else {
        next = dir.keys(*alg);
      }
      const std::string before = auth->keys()->current().kid();
      auth->rotate_keys(std::move(next));
      const auto now = auth->keys();
      const std::string kid = now->current().kid();
      program_log.info("reloaded",
                       "reload: signing key " + kid + (kid == before ? " (unchanged)" : " (rotated from " + before + ")") +
                           ", " + std::to_string(now->verification_keys().size()) + " verification key(s) in the JWKS" +
                           (cfg ? "; configuration ok, changes other than keys apply at the next start" : ""),
                       {{"kid", kid}, {"previous_kid", before}});
    } catch (const std::exception& e) {
      program_log.error("reload_failed", std::string("reload failed, keys unchanged: ") + e.what());
    }
  };

  // Last: every route is labelled by its registered path, /metrics too (when served here).
  tessera::transport::request_observer observer;
  std::optional<tessera::transport::router> metrics_routes;
  if (o.metrics) {
    if (!o.metrics_host.empty()) {
      metrics_routes.emplace();
      metrics_routes->get("/metrics", tessera::ops::metrics_endpoint(metrics));
      metrics_routes->get("/healthz", healthz);
    } else {
      routes.get("/metrics", tessera::ops::metrics_endpoint(metrics));
    }
    http_metrics.emplace(metrics, routes);
    observer = http_metrics->observer();
  }

  if (report.created) examples::print_first_start(std::cout, issuer, dir, report, demo_clients, client_command());
  std::cout << "tessera-server: issuer " << issuer << ", data in " << o.data_dir.string() << ", store "
            << chosen.description << std::endl;

  if (tls) {
    tessera::transport::tls::options topts;
    topts.certificate_chain_file = o.tls_cert;
    topts.private_key_file = o.tls_key;
    topts.hsts = o.hsts;
    return serve<tessera::transport::basic_server<tessera::transport::tls>>(std::move(routes), o, topts,
                                                                            std::move(observer), reload,
                                                                            std::move(metrics_routes));
  }
  return serve<tessera::transport::basic_server<tessera::transport::plain>>(std::move(routes), o, {},
                                                                              std::move(observer), reload,
                                                                              std::move(metrics_routes));
} catch (const std::exception& e) {
  program_log.error("fatal", e.what());
  return 1;
}
