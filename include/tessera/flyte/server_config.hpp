// tessera — flyte/server_config.hpp
//
// The configuration of a Flyte authorization server, as Flyte writes it, read into one
// `server_config` that tessera-server (examples/server) runs from:
//
//     tessera::flyte::config_problem problem;
//     auto cfg = tessera::flyte::load_server_config("/etc/tessera/config.yaml", problem);
//     if (problem) { std::cerr << problem.message() << '\n'; return 2; }
//     for (const auto& w : cfg.warnings) std::cerr << "warning: " << w << '\n';
//
// One YAML file holds one of two forms, plus tessera's own settings under `tessera:`:
//
//  * Flyte's configuration (flyteadmin's config file): the `auth:` section with every key of
//    flyteadmin's `auth/config` (below) and Flyte's defaults for what is left out. The file's
//    other sections (server, database, storage, logger, ...) belong to other parts of Flyte and
//    are left alone.
//  * The Helm values of the flyte-binary chart, as the Flyte docs write them:
//    `configuration.auth.{enabled, enableAuthServer, oidc.{baseUrl, clientId, clientSecret},
//    internal.{clientId, clientSecret, clientSecretHash, audience}, flyteClient,
//    authorizedUris, clientSecretsExternalSecretRef}`, then `configuration.inline.auth` over
//    it (the chart merges `inline` last), and `secrets.adminOauthClientCredentials.{enabled,
//    clientId, clientSecret}` (flyte-core's). The chart's other values are left alone.
//
// The `auth:` keys (flyteadmin auth/config/config.go; Flyte's default in brackets):
//
//   httpAuthorizationHeader [flyte-authorization]   grpcAuthorizationHeader [flyte-authorization]
//   disableForHttp, disableForGrpc [false]   authorizedUris [[]]   httpProxyURL [""]
//   userAuth: redirectUrl [/console], httpProxyURL, cookieHashKeySecretName [cookie_hash_key],
//     cookieBlockKeySecretName [cookie_block_key], idpQueryParameter,
//     cookieSetting: {sameSitePolicy [DefaultMode] (LaxMode, StrictMode, NoneMode), domain},
//     openId: {baseUrl, issuerUrl, clientId, clientSecretName [oidc_client_secret],
//              clientSecretFile (deprecated), scopes [openid, profile]}
//   appAuth: authServerType [Self] (External),
//     selfAuthServer: {issuer, accessTokenLifespan [30m], refreshTokenLifespan [1h],
//       authorizationCodeLifespan [5m], claimSymmetricEncryptionKeySecretName
//       [claim_symmetric_key], tokenSigningRSAKeySecretName [token_rsa_key.pem],
//       oldTokenSigningRSAKeySecretName [token_rsa_key_old.pem], staticClients},
//     externalAuthServer: {baseUrl, metadataUrl, allowedAudience, httpProxyURL,
//       retryAttempts [5], retryDelay [1s]},
//     thirdPartyConfig: {flyteClient: {clientId [flytectl], redirectUri
//       [http://localhost:53593/callback], scopes [all, offline], audience [""]}}
//
// Static clients (flyte/clients.hpp reads each) start from Flyte's three: `flytectl` and
// `flyte-cli` (public; redirects http://localhost:53593/callback and
// http://localhost:12345/callback; authorization_code, refresh_token) and `flytepropeller`
// (confidential; client_credentials, refresh_token); scopes all, offline, access_token. A
// configured client replaces the default of its name whole, as Flyte's decoder does; the
// others stay. Flyte's built-in `flytepropeller` secret is public (CVE-2022-39273): tessera has
// none, so `flytepropeller` exists only when its secret is configured — as the client's
// `client_secret`, the chart's `internal.clientSecretHash`, or a plain `internal.clientSecret` /
// `secrets.adminOauthClientCredentials.clientSecret` (hashed here). A plain secret and a hash
// that do not match are an error.
//
// tessera's own settings (all optional):
//
//   tessera:
//     listen: 127.0.0.1:8088           # host:port ([v6]:port)
//     publicUrl: https://flyte.example.com   # the issuer; else selfAuthServer.issuer, else
//                                      # the first authorizedUris entry, else from listen
//     dataDir: /var/lib/tessera        # the store file, users file, generated keys
//     secretsDir: /etc/secrets         # Flyte's secrets (FLYTE_SECRET_<name> first)
//     store: sqlite                    # sqlite[:PATH] | memory | postgres[:CONNINFO] |
//                                      # postgresql://... | redis://... | rediss://...
//     signingAlgorithm: RS256          # any asymmetric JWS algorithm
//     threads: 0                       # 0: one per core
//     scheduling: per-thread           # per-thread: a connection stays on one thread's loop;
//                                      # shared: one loop all threads run (a blocked handler
//                                      # holds one thread, not its connections)
//     maxConnectionsPerAddress: 64
//     statelessSessions: false         # browser sessions in sealed cookies
//     accessLog: true                  # false: no access log (tessera-server --quiet)
//     logging: {format: text}          # text | json: the access log and the program's own
//                                      # messages as one JSON object per line
//     metrics: {enabled: true, listen: ""}  # Prometheus metrics at /metrics (--no-metrics);
//                                      # listen host:port: there alone, not on the main listener
//     usersFile: ""                    # local login (no openId.baseUrl); "": <dataDir>/users.htpasswd
//     tls: {certFile, keyFile, hsts: true, hstsMaxAge: 8760h, hstsIncludeSubdomains: false}
//     idp: {profile: "", tenants: [], audience: "", postLogoutRedirectUri: "", caFile: "",
//           apiUrl: ""}                # apiUrl: GitHub's API; "": derived from openId.baseUrl
//                                      # profile "": chosen from openId.baseUrl
//     consent: {lifetime: 720h, firstPartyNativeSkipsConsent: false}
//     idTokenLifespan: 1h
//     deviceCodeLifespan: 10m
//     refreshFamilyLifetime: 168h      # 0: no limit
//     revocationCacheTtl: 5s
//
// Rules. Keys match Flyte's spelling without regard to case (viper's), with a warning for
// another spelling. Inside `auth:`, `configuration.auth`, `secrets.adminOauthClientCredentials`
// and `tessera:` an unknown key is an error naming it, its line and the keys expected; so is a
// value of the wrong type or out of range. Durations are Go's ("30m", "1h30m"). Nothing is
// half-read: the result is whole, or empty with `problem` set. The file is at most 1 MiB, YAML
// aliases expand to at most `max_config_nodes` nodes. Messages never quote a value.
//
// What tessera does not do as Flyte does, on purpose:
//   * `cookieSetting.sameSitePolicy: StrictMode` (the browser would not send the session cookie
//     back from the IdP's redirect) and `NoneMode` (cookies on every cross-site request), and a
//     cookie `domain` (tessera's cookies are host-only, `__Host-`) are errors;
//   * `httpProxyURL` (any of them): tessera sends no request through a proxy, so a configured
//     one is an error rather than silently bypassed;
//   * `disableForHttp` / `disableForGrpc`: tessera-server serves no Flyte API to leave open;
//     `true` is an error, `false` accepted;
//   * `userAuth.redirectUrl` is where a login ends when no other place was asked for; unset,
//     tessera-server's `/me` (it serves no `/console`);
//   * `claimSymmetricEncryptionKeySecretName`: tessera stores codes instead of sealing claims
//     into them; the name is read and not used.
#ifndef TESSERA_FLYTE_SERVER_CONFIG_HPP
#define TESSERA_FLYTE_SERVER_CONFIG_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/secret_hash.hpp>
#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>
#include <tessera/flyte/clients.hpp>
#include <tessera/flyte/config_error.hpp>
#include <tessera/flyte/detail/read_file.hpp>
#include <tessera/flyte/detail/yaml_reader.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/identity/profiles.hpp>
#include <tessera/jose/algorithm.hpp>
#include <tessera/ops/json_line.hpp>
#include <tessera/server/client.hpp>
#include <tessera/server/settings.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <openssl/crypto.h>

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tessera::flyte {

enum class auth_server_type { self, external };
enum class same_site_policy { default_mode, lax, strict, none };
/// Which form the file had: Flyte's configuration (`auth:`) or the chart's Helm values.
enum class config_form { flyte, helm };

/// `auth.userAuth.openId` (plus the chart's inline `oidc.clientSecret`).
struct open_id_config {
  std::string base_url;  // empty: people log in with tessera's local login
  std::string issuer_url;
  std::string client_id;
  std::string client_secret_name = "oidc_client_secret";
  std::string client_secret_file;  // deprecated `clientSecretFile`
  std::string client_secret;       // Helm's `configuration.auth.oidc.clientSecret`; never logged
  std::vector<std::string> scopes{"openid", "profile"};
};

/// `auth.userAuth`.
struct user_auth_config {
  std::string redirect_url;  // empty: not configured (tessera-server: /me)
  open_id_config open_id;
  std::string cookie_hash_key_secret_name = "cookie_hash_key";
  std::string cookie_block_key_secret_name = "cookie_block_key";
  same_site_policy same_site = same_site_policy::default_mode;
  std::string idp_query_parameter;
};

/// `auth.appAuth.selfAuthServer` (the static clients are `server_config::clients`).
struct self_auth_server_config {
  std::string issuer;
  seconds access_token_lifespan{30 * 60};
  seconds refresh_token_lifespan{60 * 60};
  seconds authorization_code_lifespan{5 * 60};
  std::string claim_symmetric_key_secret_name = "claim_symmetric_key";
  std::string token_signing_key_secret_name = "token_rsa_key.pem";
  std::string old_token_signing_key_secret_name = "token_rsa_key_old.pem";
};

/// `auth.appAuth.externalAuthServer`.
struct external_auth_server_config {
  std::string base_url;
  std::string metadata_url;  // empty: <baseUrl>/.well-known/oauth-authorization-server
  std::vector<std::string> allowed_audience;
  int retry_attempts = 5;
  std::chrono::milliseconds retry_delay{1000};
};

/// `tessera.tls`.
struct tls_config {
  std::string cert_file, key_file;  // both or neither
  bool hsts = true;
  seconds hsts_max_age{365 * 24 * 60 * 60};
  bool hsts_include_subdomains = false;
};

/// `tessera.idp`: what Flyte's openId block cannot say.
struct idp_config {
  std::string profile;  // empty: from the base URL (`identity::profile_for_base_url`)
  std::vector<std::string> tenants;
  std::string audience;
  std::string post_logout_redirect_uri;
  std::string ca_file;
  std::string api_url;  // GitHub's API; empty: derived from the base URL
};

/// `tessera:`.
struct tessera_config {
  std::string host = "127.0.0.1";
  unsigned short port = 8088;
  std::string public_url;
  std::filesystem::path data_dir;     // empty: the program's default
  std::filesystem::path secrets_dir;  // empty: /etc/secrets
  std::string store = "sqlite";
  std::string signing_algorithm = "RS256";
  unsigned threads = 0;
  std::string scheduling = "per-thread";  // per-thread | shared (transport::thread_scheduling)
  std::size_t max_connections_per_address = 64;
  bool stateless_sessions = false;
  bool access_log = true;
  ops::log_format log_format = ops::log_format::text;  // logging.format
  bool metrics = true;                                 // metrics.enabled
  std::string metrics_host;                            // metrics.listen; empty: the main listener
  unsigned short metrics_port = 0;
  std::filesystem::path users_file;
  tls_config tls;
  idp_config idp;
  seconds consent_lifetime{30 * 24 * 60 * 60};
  bool first_party_native_skips_consent = false;
  seconds id_token_lifespan{60 * 60};
  seconds device_code_lifespan{10 * 60};
  seconds refresh_family_lifetime{7 * 24 * 60 * 60};
  seconds revocation_cache_ttl{5};
};

/// Everything read, with Flyte's defaults for what the file leaves out.
struct server_config {
  std::filesystem::path file;  // the file read; empty for text
  config_form form = config_form::flyte;

  // auth:
  std::string http_authorization_header = "flyte-authorization";
  std::string grpc_authorization_header = "flyte-authorization";
  std::vector<std::string> authorized_uris;
  user_auth_config user_auth;
  auth_server_type type = auth_server_type::self;
  self_auth_server_config self_server;
  external_auth_server_config external_server;
  server::flyte_client_settings flyte_client;  // thirdPartyConfig.flyteClient
  server::client_registry clients;             // staticClients over Flyte's defaults

  tessera_config tessera;

  /// The public URL (= issuer): `tessera.publicUrl`, else `selfAuthServer.issuer`, else the
  /// first `authorizedUris` entry; empty: none configured (the program derives it).
  std::string public_url;

  std::vector<std::string> warnings;
  /// The line of each value read, by its path ("tessera.store"): for errors found later.
  std::map<std::string, int, std::less<>> lines;

  /// "config.yaml: tessera.store (line 12)": where a value was set, for messages about it.
  std::string where(std::string_view path) const {
    std::string out = file.empty() ? std::string() : file.string() + ": ";
    out.append(path);
    if (auto it = lines.find(path); it != lines.end() && it->second > 0) out += " (line " + std::to_string(it->second) + ")";
    return out;
  }
};

/// Largest configuration file, and most YAML nodes visited (aliases counted each time).
inline constexpr std::size_t max_server_config_size = 1024 * 1024;
inline constexpr std::size_t max_config_nodes = 100000;

/// `host:port` as `tessera.listen`, `tessera.metrics.listen` and tessera-server's `--listen`
/// take it: `127.0.0.1:8088`, `[::1]:8088`, `0.0.0.0:443` (an IPv6 address in brackets; a
/// port 0-65535; the host printable, without `/` or `@`). False, and nothing set, otherwise.
inline bool parse_host_port(std::string_view s, std::string& host, unsigned short& port) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view h = s.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string_view::npos) {
    return false;  // an IPv6 address needs brackets
  }
  const std::string_view p = s.substr(colon + 1);
  unsigned value = 0;
  auto r = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() || value > 65535) return false;
  for (unsigned char c : h)
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@') return false;
  host.assign(h);
  port = static_cast<unsigned short>(value);
  return true;
}

namespace detail {

inline constexpr std::array<std::string_view, 8> auth_keys = {
    "httpAuthorizationHeader", "grpcAuthorizationHeader", "disableForHttp", "disableForGrpc",
    "authorizedUris",          "httpProxyURL",            "userAuth",       "appAuth"};
inline constexpr std::array<std::string_view, 7> user_auth_keys = {
    "redirectUrl",         "openId",          "httpProxyURL", "cookieHashKeySecretName", "cookieBlockKeySecretName",
    "cookieSetting",       "idpQueryParameter"};
inline constexpr std::array<std::string_view, 6> open_id_keys = {"clientId", "clientSecretName", "clientSecretFile",
                                                                  "baseUrl",  "issuerUrl",        "scopes"};
inline constexpr std::array<std::string_view, 2> cookie_setting_keys = {"sameSitePolicy", "domain"};
inline constexpr std::array<std::string_view, 4> app_auth_keys = {"authServerType", "selfAuthServer",
                                                                   "externalAuthServer", "thirdPartyConfig"};
inline constexpr std::array<std::string_view, 8> self_server_keys = {
    "issuer",
    "accessTokenLifespan",
    "refreshTokenLifespan",
    "authorizationCodeLifespan",
    "claimSymmetricEncryptionKeySecretName",
    "tokenSigningRSAKeySecretName",
    "oldTokenSigningRSAKeySecretName",
    "staticClients"};
inline constexpr std::array<std::string_view, 6> external_server_keys = {
    "baseUrl", "allowedAudience", "metadataUrl", "httpProxyURL", "retryAttempts", "retryDelay"};
inline constexpr std::array<std::string_view, 1> third_party_keys = {"flyteClient"};
inline constexpr std::array<std::string_view, 4> flyte_client_keys = {"clientId", "redirectUri", "scopes", "audience"};

inline constexpr std::array<std::string_view, 7> helm_auth_keys = {
    "enabled", "enableAuthServer", "oidc", "internal", "flyteClient", "authorizedUris", "clientSecretsExternalSecretRef"};
inline constexpr std::array<std::string_view, 3> helm_oidc_keys = {"baseUrl", "clientId", "clientSecret"};
inline constexpr std::array<std::string_view, 4> helm_internal_keys = {"clientId", "clientSecret", "clientSecretHash",
                                                                        "audience"};
inline constexpr std::array<std::string_view, 3> helm_admin_credentials_keys = {"enabled", "clientSecret", "clientId"};

inline constexpr std::array<std::string_view, 21> tessera_keys = {
    "listen",          "publicUrl",           "dataDir",         "secretsDir",
    "store",           "signingAlgorithm",    "threads",         "maxConnectionsPerAddress",
    "statelessSessions", "accessLog",         "usersFile",       "tls",
    "idp",             "consent",             "idTokenLifespan", "deviceCodeLifespan",
    "refreshFamilyLifetime", "revocationCacheTtl", "logging",    "metrics",
    "scheduling"};
inline constexpr std::array<std::string_view, 5> tls_keys = {"certFile", "keyFile", "hsts", "hstsMaxAge",
                                                              "hstsIncludeSubdomains"};
inline constexpr std::array<std::string_view, 6> idp_keys = {"profile", "tenants", "audience", "postLogoutRedirectUri",
                                                              "caFile", "apiUrl"};
inline constexpr std::array<std::string_view, 2> consent_keys = {"lifetime", "firstPartyNativeSkipsConsent"};
inline constexpr std::array<std::string_view, 1> logging_keys = {"format"};
inline constexpr std::array<std::string_view, 2> metrics_keys = {"enabled", "listen"};

/// Flyte's default static clients (flyteadmin auth/config/config.go), `flytepropeller` without
/// the public secret Flyte ships.
inline boost::json::object flyte_default_static_clients() {
  auto native = [](std::string_view id) {
    return boost::json::object{
        {"id", id},
        {"public", true},
        {"redirect_uris", boost::json::array{"http://localhost:53593/callback", "http://localhost:12345/callback"}},
        {"response_types", boost::json::array{"code", "token"}},
        {"grant_types", boost::json::array{"refresh_token", "authorization_code"}},
        {"scopes", boost::json::array{"all", "offline", "access_token"}}};
  };
  boost::json::object out;
  out["flytectl"] = native("flytectl");
  out["flyte-cli"] = native("flyte-cli");
  out["flytepropeller"] = boost::json::object{{"id", "flytepropeller"},
                                              {"redirect_uris", boost::json::array{"http://localhost:3846/callback"}},
                                              {"response_types", boost::json::array{"token"}},
                                              {"grant_types", boost::json::array{"refresh_token", "client_credentials"}},
                                              {"scopes", boost::json::array{"all", "offline", "access_token"}}};
  return out;
}

/// An HTTP header field name (RFC 9110 §5.1: a token), of a sane length.
inline bool is_header_name(std::string_view s) noexcept { return s.size() <= 256 && http::detail::is_token(s); }

/// An absolute http(s) URL with a host, without user info or fragment.
inline bool is_http_url(std::string_view s) noexcept {
  auto u = boost::urls::parse_absolute_uri(s);
  if (!u || !u->has_authority() || u->encoded_host().empty() || u->has_userinfo() || u->has_fragment()) return false;
  return tessera::detail::iequals_ascii(u->scheme(), "https") || tessera::detail::iequals_ascii(u->scheme(), "http");
}

class server_config_loader : yaml_reader {
 public:
  server_config_loader(server_config& out, config_problem& problem)
      : yaml_reader(problem, out.warnings, " (viper matches keys without regard to case; other readers may not)"),
        out_(out),
        clients_(flyte_default_static_clients()) {}

  bool run_file(const std::filesystem::path& file) {
    problem_ = {};
    std::string text;
    wipe_on_exit wipe(text);  // Helm values may hold secrets
    if (!read_config_file(file, max_server_config_size, text, problem_)) return false;
    out_.file = file;
    file_ = file;
    if (!run_text(text)) {
      problem_.file = file.string();
      return false;
    }
    return true;
  }

  bool run_text(std::string_view text) {
    if (text.size() > max_server_config_size)
      return fail(error::config_too_large, {"", 0, true}, "larger than " + std::to_string(max_server_config_size) + " bytes");
    try {
      const YAML::Node doc = YAML::Load(std::string(text));
      if (!count_nodes(doc, 0)) return false;
      if (!doc.IsDefined() || doc.IsNull()) return finish();  // an empty file: Flyte's defaults
      if (!doc.IsMap())
        return fail(error::config_type_mismatch, yaml_origin("", doc),
                    "the document is not a YAML mapping (expected auth:, configuration: or tessera:)");
      return read_document(doc) && finish();
    } catch (const YAML::Exception& e) {
      config_origin o{"", e.mark.is_null() ? 0 : e.mark.line + 1, true};
      const std::string msg = safe_parser_message(e.msg);
      return fail(error::config_value_invalid, o, "not valid YAML" + (msg.empty() ? std::string() : ": " + msg));
    }
  }

 private:
  //---------------------------------------------------------------------------------------
  // Bounds.

  /// Visits every node once per reference (an alias counts each time it is used), so that a
  /// document of nested aliases cannot make the readers below walk billions of nodes.
  bool count_nodes(const YAML::Node& n, std::size_t depth) {
    if (++nodes_ > max_config_nodes)
      return fail(error::config_too_large, yaml_origin("", n),
                  "more than " + std::to_string(max_config_nodes) + " YAML nodes (aliases count each time they are used)");
    if (depth > 64) return fail(error::config_too_large, yaml_origin("", n), "nested deeper than 64 levels");
    if (n.IsMap()) {
      for (auto it = n.begin(); it != n.end(); ++it)
        if (!count_nodes(it->first, depth + 1) || !count_nodes(it->second, depth + 1)) return false;
    } else if (n.IsSequence()) {
      for (auto it = n.begin(); it != n.end(); ++it)
        if (!count_nodes(*it, depth + 1)) return false;
    }
    return true;
  }

  //---------------------------------------------------------------------------------------
  // Values: each records its line under its path.

  void note(const config_origin& o) { out_.lines[o.path] = o.line; }

  bool str(const YAML::Node& v, const config_origin& o, std::string& out) {
    config_given<std::string> g;
    if (!yaml_string(v, o, g)) return false;
    if (g) {
      out = std::move(*g.value);
      note(o);
    }
    return true;
  }
  bool flag(const YAML::Node& v, const config_origin& o, bool& out) {
    config_given<bool> g;
    if (!yaml_bool(v, o, &g)) return false;
    if (g) {
      out = *g.value;
      note(o);
    }
    return true;
  }
  /// A list of strings; in YAML only (a comma-separated string is flytekit's, not the server's).
  bool list(const YAML::Node& v, const config_origin& o, std::vector<std::string>& out) {
    if (v.IsScalar()) return fail(error::config_type_mismatch, o, "not a list of strings (write [a, b] or one item per line)");
    config_given<std::vector<std::string>> g;
    if (!yaml_list(v, o, g)) return false;
    if (g) {
      out = std::move(*g.value);
      note(o);
    }
    return true;
  }
  bool duration(const YAML::Node& v, const config_origin& o, seconds& out, bool zero_allowed) {
    config_given<std::chrono::milliseconds> g;
    if (!yaml_duration(v, o, &g, zero_allowed ? duration_rule::any_nonnegative : duration_rule::positive)) return false;
    if (g) {
      if (!zero_allowed && g.value->count() < 1000) return fail(error::config_value_invalid, o, "must be at least 1s");
      if (*g.value > std::chrono::hours(24 * 366 * 10)) return fail(error::config_value_invalid, o, "longer than ten years");
      out = std::chrono::duration_cast<seconds>(*g.value);
      note(o);
    }
    return true;
  }
  template <class Int>
  bool integer(const YAML::Node& v, const config_origin& o, Int& out, long long lo, long long hi) {
    if (v.IsNull()) return true;
    const std::string range = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (!v.IsScalar()) return fail(error::config_type_mismatch, o, "not " + range);
    const std::string& s = v.Scalar();
    long long n = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return fail(error::config_type_mismatch, o, "not " + range);
    if (n < lo || n > hi) return fail(error::config_value_invalid, o, "out of range: expected " + range);
    out = static_cast<Int>(n);
    note(o);
    return true;
  }
  bool url(const YAML::Node& v, const config_origin& o, std::string& out, bool keep_trailing_slash = false) {
    std::string s;
    if (!str(v, o, s)) return false;
    if (s.empty()) {
      out.clear();
      return true;
    }
    if (!is_http_url(s))
      return fail(error::config_value_invalid, o, "not an absolute http(s) URL with a host (no user info or fragment)");
    if (!keep_trailing_slash)
      while (s.size() > 1 && s.back() == '/' && s.find("://") + 3 < s.size() - 1) s.pop_back();
    out = std::move(s);
    return true;
  }
  bool header(const YAML::Node& v, const config_origin& o, std::string& out) {
    std::string s;
    if (!str(v, o, s)) return false;
    if (!is_header_name(s)) return fail(error::config_value_invalid, o, "not an HTTP header name");
    out = tessera::detail::to_lower_ascii(s);
    return true;
  }
  bool secret_name(const YAML::Node& v, const config_origin& o, std::string& out) {
    std::string s;
    if (!str(v, o, s)) return false;
    if (s.empty() || s.size() > 255 || s == "." || s == ".." || s.find_first_of("/\\") != std::string::npos ||
        std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x21 || c >= 0x7f; }))
      return fail(error::config_value_invalid, o, "not a secret name (a file name: no '/', spaces or control characters)");
    out = std::move(s);
    return true;
  }
  bool no_proxy(const YAML::Node& v, const config_origin& o) {
    std::string s;
    if (!str(v, o, s)) return false;
    if (!s.empty())
      return fail(error::config_value_invalid, o,
                  "tessera does not send requests through an HTTP proxy; remove it (requests would bypass the proxy)");
    return true;
  }
  bool must_be_mapping(const YAML::Node& v, const config_origin& o) {
    if (v.IsMap()) return true;
    return fail(error::config_type_mismatch, o, "not a mapping");
  }
  /// The value of a key that holds a mapping; null counts as absent.
  template <std::size_t N, class OnKey>
  bool section(const YAML::Node& v, const config_origin& o, const std::array<std::string_view, N>& keys, OnKey on_key) {
    if (v.IsNull()) return true;
    if (!must_be_mapping(v, o)) return false;
    note(o);
    return read_mapping(v, o.path, keys, on_key);
  }

  //---------------------------------------------------------------------------------------
  // The document.

  bool read_document(const YAML::Node& doc) {
    std::optional<YAML::Node> auth, configuration, secrets, tessera;
    config_origin auth_o, configuration_o, secrets_o, tessera_o;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) return fail(error::config_type_mismatch, yaml_origin("", key), "has a key that is not a string");
      const std::string& name = key.Scalar();
      auto take = [&](std::string_view spelled, std::optional<YAML::Node>& slot, config_origin& o) {
        if (!tessera::detail::iequals_ascii(name, spelled)) return false;
        o = yaml_origin(std::string(spelled), key);
        if (slot) return fail(error::config_value_invalid, o, "section given twice"), true;
        if (name != spelled) warn(o, "Flyte spells it " + std::string(spelled));
        slot.emplace(it->second);
        return true;
      };
      if (take("auth", auth, auth_o) || take("configuration", configuration, configuration_o) ||
          take("secrets", secrets, secrets_o) || take("tessera", tessera, tessera_o)) {
        if (problem_) return false;
      }
    }
    const bool helm = configuration && !configuration->IsNull();
    if (helm && auth)
      return fail(error::config_value_invalid, auth_o,
                  "a file holds Flyte's configuration (auth:) or the chart's Helm values (configuration:), not both; "
                  "put Flyte keys under configuration.inline.auth");
    if (helm) {
      out_.form = config_form::helm;
      if (!read_helm(*configuration, configuration_o)) return false;
      if (secrets && !read_helm_secrets(*secrets, secrets_o)) return false;
    } else {
      if (secrets && !secrets->IsNull())
        warn(secrets_o, "Helm values without configuration: are not read; secrets: was ignored");
      if (auth && !section(*auth, auth_o, auth_keys, [&](std::size_t i, const config_origin& o, const YAML::Node& v) {
            return read_auth_key(i, o, v);
          }))
        return false;
    }
    if (tessera && !section(*tessera, tessera_o, tessera_keys, [&](std::size_t i, const config_origin& o, const YAML::Node& v) {
          return read_tessera_key(i, o, v);
        }))
      return false;
    return true;
  }

  //---------------------------------------------------------------------------------------
  // auth:

  bool read_auth_key(std::size_t i, const config_origin& o, const YAML::Node& v) {
    switch (i) {
      case 0: return header(v, o, out_.http_authorization_header);
      case 1: return header(v, o, out_.grpc_authorization_header) && set_metadata_key();
      case 2:
      case 3: {
        bool disabled = false;
        if (!flag(v, o, disabled)) return false;
        if (disabled)
          return fail(error::config_value_invalid, o,
                      "tessera-server serves no Flyte API whose authentication could be turned off; remove it or set false");
        return true;
      }
      case 4: {
        std::vector<std::string> uris;
        if (!list(v, o, uris)) return false;
        for (std::size_t k = 0; k < uris.size(); ++k) {
          if (!is_http_url(uris[k])) {
            config_origin io = o;
            append_index(io.path, k);
            return fail(error::config_value_invalid, io, "not an absolute http(s) URL with a host");
          }
          while (uris[k].size() > 1 && uris[k].back() == '/' && uris[k].find("://") + 3 < uris[k].size() - 1) uris[k].pop_back();
        }
        out_.authorized_uris = std::move(uris);
        return true;
      }
      case 5: return no_proxy(v, o);
      case 6:
        return section(v, o, user_auth_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          return read_user_auth_key(k, ko, kv);
        });
      default:
        return section(v, o, app_auth_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          return read_app_auth_key(k, ko, kv);
        });
    }
  }

  bool set_metadata_key() {
    out_.flyte_client.authorization_metadata_key = out_.grpc_authorization_header;
    return true;
  }

  bool read_user_auth_key(std::size_t i, const config_origin& o, const YAML::Node& v) {
    auto& u = out_.user_auth;
    switch (i) {
      case 0: {
        std::string s;
        if (!str(v, o, s)) return false;
        if (!s.empty() && !(s.front() == '/' && (s.size() == 1 || (s[1] != '/' && s[1] != '\\'))) && !is_http_url(s))
          return fail(error::config_value_invalid, o, "not a path on this server (/console) or an absolute http(s) URL");
        u.redirect_url = std::move(s);
        return true;
      }
      case 1:
        return section(v, o, open_id_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          return read_open_id_key(k, ko, kv);
        });
      case 2: return no_proxy(v, o);
      case 3: return secret_name(v, o, u.cookie_hash_key_secret_name);
      case 4: return secret_name(v, o, u.cookie_block_key_secret_name);
      case 5:
        return section(v, o, cookie_setting_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          std::string s;
          if (!str(kv, ko, s)) return false;
          if (k == 1) {
            if (!s.empty())
              return fail(error::config_value_invalid, ko,
                          "tessera's cookies are host-only (__Host- prefix, no Domain): a cookie domain is not supported");
            return true;
          }
          if (s.empty() || s == "DefaultMode") u.same_site = same_site_policy::default_mode;
          else if (s == "LaxMode") u.same_site = same_site_policy::lax;
          else if (s == "StrictMode")
            return fail(error::config_value_invalid, ko,
                        "StrictMode would keep the session cookie from the IdP's redirect back; use LaxMode or DefaultMode");
          else if (s == "NoneMode")
            return fail(error::config_value_invalid, ko,
                        "NoneMode would send the session cookies with every cross-site request; use LaxMode or DefaultMode");
          else
            return fail(error::config_value_invalid, ko, "expected DefaultMode, LaxMode, StrictMode or NoneMode");
          return true;
        });
      default: {
        std::string s;
        if (!str(v, o, s)) return false;
        if (!s.empty() && !is_header_name(s))
          return fail(error::config_value_invalid, o, "not a query parameter name (letters, digits, - _ .)");
        u.idp_query_parameter = std::move(s);
        return true;
      }
    }
  }

  bool read_open_id_key(std::size_t i, const config_origin& o, const YAML::Node& v) {
    auto& id = out_.user_auth.open_id;
    switch (i) {
      case 0: return str(v, o, id.client_id);
      case 1: return secret_name(v, o, id.client_secret_name);
      case 2:
        if (!str(v, o, id.client_secret_file)) return false;
        if (!id.client_secret_file.empty()) warn(o, "deprecated in Flyte; name a secret with clientSecretName instead");
        return true;
      case 3: return url(v, o, id.base_url, true);
      case 4: return url(v, o, id.issuer_url, true);
      default: return list(v, o, id.scopes);
    }
  }

  bool read_app_auth_key(std::size_t i, const config_origin& o, const YAML::Node& v) {
    switch (i) {
      case 0: {
        std::string s;
        if (!str(v, o, s)) return false;
        if (tessera::detail::iequals_ascii(s, "Self")) out_.type = auth_server_type::self;
        else if (tessera::detail::iequals_ascii(s, "External")) out_.type = auth_server_type::external;
        else return fail(error::config_value_invalid, o, "expected Self or External");
        return true;
      }
      case 1:
        return section(v, o, self_server_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          return read_self_server_key(k, ko, kv);
        });
      case 2:
        return section(v, o, external_server_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          return read_external_server_key(k, ko, kv);
        });
      default:
        return section(v, o, third_party_keys, [&](std::size_t, const config_origin& ko, const YAML::Node& kv) {
          return section(kv, ko, flyte_client_keys, [&](std::size_t k, const config_origin& fo, const YAML::Node& fv) {
            return read_flyte_client_key(k, fo, fv);
          });
        });
    }
  }

  bool read_self_server_key(std::size_t i, const config_origin& o, const YAML::Node& v) {
    auto& s = out_.self_server;
    switch (i) {
      case 0: return url(v, o, s.issuer);
      case 1: return duration(v, o, s.access_token_lifespan, false);
      case 2: return duration(v, o, s.refresh_token_lifespan, false);
      case 3: return duration(v, o, s.authorization_code_lifespan, false);
      case 4: return secret_name(v, o, s.claim_symmetric_key_secret_name);
      case 5: return secret_name(v, o, s.token_signing_key_secret_name);
      case 6: return secret_name(v, o, s.old_token_signing_key_secret_name);
      default: return read_static_clients(v, o);
    }
  }

  bool read_external_server_key(std::size_t i, const config_origin& o, const YAML::Node& v) {
    auto& e = out_.external_server;
    switch (i) {
      case 0: return url(v, o, e.base_url, true);
      case 1: return list(v, o, e.allowed_audience);
      case 2: {
        std::string s;
        if (!str(v, o, s)) return false;
        // Flyte: relative to baseUrl, or absolute.
        if (!s.empty() && !is_http_url(s) &&
            (s.find("://") != std::string::npos || std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= 0x20 || c >= 0x7f; })))
          return fail(error::config_value_invalid, o, "not a path relative to baseUrl or an absolute http(s) URL");
        e.metadata_url = std::move(s);
        return true;
      }
      case 3: return no_proxy(v, o);
      case 4: return integer(v, o, e.retry_attempts, 0, 100);
      default: {
        config_given<std::chrono::milliseconds> g;
        if (!yaml_duration(v, o, &g, duration_rule::any_nonnegative)) return false;
        if (g) {
          if (*g.value > std::chrono::minutes(10)) return fail(error::config_value_invalid, o, "longer than 10m");
          e.retry_delay = *g.value;
          note(o);
        }
        return true;
      }
    }
  }

  bool read_flyte_client_key(std::size_t i, const config_origin& o, const YAML::Node& v) {
    auto& f = out_.flyte_client;
    switch (i) {
      case 0: return str(v, o, f.client_id);
      case 1: {
        std::string s;
        if (!str(v, o, s)) return false;
        if (!s.empty() && !server::valid_redirect_uri(s))
          return fail(error::config_value_invalid, o, "not a redirect URI (absolute, no fragment)");
        f.redirect_uri = std::move(s);
        return true;
      }
      case 2: return list(v, o, f.scopes);
      default: return str(v, o, f.audience);
    }
  }

  //---------------------------------------------------------------------------------------
  // Static clients: YAML to JSON for flyte/clients.hpp, with each path's line kept.

  bool to_json(const YAML::Node& n, const std::string& path, boost::json::value& out) {
    const int line = line_of(n);
    if (line > 0) client_lines_.emplace(path, line);
    if (n.IsNull()) {
      out = nullptr;
    } else if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      if (n.Tag() == "?") {  // a plain scalar: YAML's core schema types
        if (s == "true" || s == "True" || s == "TRUE") return (out = true), true;
        if (s == "false" || s == "False" || s == "FALSE") return (out = false), true;
        if (s == "~" || s == "null" || s == "Null" || s == "NULL") return (out = nullptr), true;
        std::int64_t i = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), i);
        if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size()) return (out = i), true;
      }
      out = boost::json::string(s);
    } else if (n.IsSequence()) {
      boost::json::array a;
      std::size_t k = 0;
      for (auto it = n.begin(); it != n.end(); ++it, ++k) {
        std::string p = path;
        append_index(p, k);
        boost::json::value item;
        if (!to_json(*it, p, item)) return false;
        a.push_back(std::move(item));
      }
      out = std::move(a);
    } else if (n.IsMap()) {
      boost::json::object obj;
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar())
          return fail(error::config_type_mismatch, yaml_origin(path, it->first), "has a key that is not a string");
        std::string p = path;
        append_member(p, it->first.Scalar());
        if (obj.contains(it->first.Scalar())) return fail(error::config_value_invalid, yaml_origin(p, it->first), "key given twice");
        boost::json::value item;
        client_lines_.emplace(p, line_of(it->first));
        if (!to_json(it->second, p, item)) return false;
        obj[it->first.Scalar()] = std::move(item);
      }
      out = std::move(obj);
    }
    return true;
  }

  bool read_static_clients(const YAML::Node& v, const config_origin& o) {
    if (v.IsNull()) return true;
    if (!v.IsMap()) return fail(error::config_type_mismatch, o, "not a map of clients (name: {id: ..., ...})");
    note(o);
    clients_path_ = o.path;
    boost::json::value given;
    if (!to_json(v, o.path, given)) return false;
    for (auto& member : given.as_object()) clients_[member.key()] = member.value();  // replaces a default whole
    return true;
  }

  //---------------------------------------------------------------------------------------
  // Helm values (flyte-binary's configuration.auth, configuration.inline; flyte-core's
  // secrets.adminOauthClientCredentials).

  bool read_helm(const YAML::Node& configuration, const config_origin& co) {
    if (!must_be_mapping(configuration, co)) return false;
    std::optional<YAML::Node> auth, inline_auth;
    config_origin auth_o, inline_o;
    for (auto it = configuration.begin(); it != configuration.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string& name = it->first.Scalar();
      if (name == "auth" && !auth) {
        auth.emplace(it->second);
        auth_o = yaml_origin("configuration.auth", it->first);
      } else if (name == "inline" && it->second.IsMap()) {
        for (auto jt = it->second.begin(); jt != it->second.end(); ++jt)
          if (jt->first.IsScalar() && jt->first.Scalar() == "auth" && !inline_auth) {
            inline_auth.emplace(jt->second);
            inline_o = yaml_origin("configuration.inline.auth", jt->first);
          }
      }
    }
    bool enabled = false, enable_auth_server = true;
    std::string hash, plain, internal_client = "flytepropeller";
    config_origin hash_o, plain_o, internal_client_o;
    if (auth && !auth->IsNull()) {
      if (!section(*auth, auth_o, helm_auth_keys, [&](std::size_t i, const config_origin& o, const YAML::Node& v) -> bool {
            switch (i) {
              case 0: return flag(v, o, enabled);
              case 1: return flag(v, o, enable_auth_server);
              case 2:
                return section(v, o, helm_oidc_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
                  auto& id = out_.user_auth.open_id;
                  if (k == 0) return url(kv, ko, id.base_url, true);
                  if (k == 1) return str(kv, ko, id.client_id);
                  return str(kv, ko, id.client_secret);
                });
              case 3:
                return section(v, o, helm_internal_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
                  if (k == 0) return (internal_client_o = ko), str(kv, ko, internal_client);
                  if (k == 1) return (plain_o = ko), str(kv, ko, plain);
                  if (k == 2) return (hash_o = ko), str(kv, ko, hash);
                  std::string audience;  // the audience flytepropeller asks for: its client's setting
                  return str(kv, ko, audience);
                });
              case 4:
                return section(v, o, flyte_client_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
                  return read_flyte_client_key(k, ko, kv);
                });
              case 5: return read_auth_key(4, o, v);
              default: {
                std::string ref;  // the chart's Secret name: the cluster's business, not the server's
                return str(v, o, ref);
              }
            }
          }))
        return false;
    }
    // The chart renders configuration.auth only when enabled; inline.auth always.
    const bool has_inline = inline_auth && !inline_auth->IsNull();
    if (!enabled && !has_inline) {
      const auto at = out_.lines.find("configuration.auth.enabled");
      return fail(error::config_value_invalid,
                  {"configuration.auth.enabled", at == out_.lines.end() ? auth_o.line : at->second, true},
                  "not true, and there is no configuration.inline.auth: these values configure no authentication; "
                  "set enabled: true");
    }
    if (!enabled) {
      hash.clear();
      plain.clear();
      enable_auth_server = false;
      if (auth && !auth->IsNull()) {  // the chart renders none of it
        out_.user_auth.open_id = {};
        out_.flyte_client = {};
        out_.authorized_uris.clear();
        warn(auth_o, "ignored: enabled is not true, so only configuration.inline.auth applies (as the chart renders it)");
      }
    }
    if (enable_auth_server && !attach_secret("flytepropeller", hash, hash_o, plain, plain_o)) return false;
    // The chart gives the internal secret to the static client flytepropeller whatever clientId
    // says; clientId is what flytepropeller logs in as. Another id works only if it is a static
    // client of its own (configuration.inline.auth), which is known only after reading that.
    if (enabled && enable_auth_server && internal_client != "flytepropeller")
      internal_client_check_.emplace(internal_client, internal_client_o);
    if (!enable_auth_server && (!hash.empty() || !plain.empty()))
      warn(hash.empty() ? plain_o : hash_o, "not used: enableAuthServer is false (the chart does not render it)");
    if (has_inline) {
      if (!section(*inline_auth, inline_o, auth_keys, [&](std::size_t i, const config_origin& o, const YAML::Node& v) {
            return read_auth_key(i, o, v);
          }))
        return false;
    }
    return true;
  }

  bool read_helm_secrets(const YAML::Node& secrets, const config_origin& so) {
    if (secrets.IsNull()) return true;
    if (!must_be_mapping(secrets, so)) return false;
    for (auto it = secrets.begin(); it != secrets.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar() != "adminOauthClientCredentials") continue;
      const config_origin o = yaml_origin("secrets.adminOauthClientCredentials", it->first);
      bool enabled = true;
      std::string plain, id = "flytepropeller";
      config_origin plain_o;
      if (!section(it->second, o, helm_admin_credentials_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
            if (k == 0) return flag(kv, ko, enabled);
            if (k == 1) return (plain_o = ko), str(kv, ko, plain);
            return str(kv, ko, id);
          }))
        return false;
      if (enabled && !plain.empty() && !attach_secret(id, {}, {}, plain, plain_o)) return false;
    }
    return true;
  }

  /// Gives the static client `id` its secret hash: `hash` (base64 of a bcrypt hash, Flyte's
  /// form) or, when only `plain` is given, a hash of it made here. Both given: they must match.
  bool attach_secret(const std::string& id, const std::string& hash, const config_origin& hash_o, std::string plain,
                     const config_origin& plain_o) {
    wipe_on_exit wipe(plain);
    if (hash.empty() && plain.empty()) return true;
    auto* client = clients_.if_contains(id);
    if (!client || !client->is_object()) {
      const config_origin& o = hash.empty() ? plain_o : hash_o;
      std::string shown;
      append_member(shown, id);  // escaped and bounded: the id is input text
      return fail(error::config_value_invalid, o, "names the static client " + shown + ", which is not configured");
    }
    auto& obj = client->as_object();
    if (!hash.empty()) {
      std::error_code ec;
      crypto::decode_flyte_client_secret_hash(hash, ec);
      if (ec)
        return fail(ec == error::secret_hash_cost ? error::secret_hash_cost : error::secret_hash_invalid, hash_o,
                    "not the base64 of a bcrypt hash tessera accepts (cost 4-12; make one: tessera-server secrets hash)");
      if (!plain.empty() && !crypto::verify_flyte_client_secret(plain, hash, ec))
        return fail(error::config_value_invalid, plain_o, "does not match clientSecretHash: one of the two is stale");
      obj["client_secret"] = hash;
      return true;
    }
    std::error_code ec;
    std::string made = crypto::hash_flyte_client_secret(plain, crypto::bcrypt_default_cost, ec);
    if (ec) return fail(error::config_value_invalid, plain_o, "cannot be hashed (at most 72 bytes, no NUL)");
    obj["client_secret"] = std::move(made);
    return true;
  }

  //---------------------------------------------------------------------------------------
  // tessera:

  bool read_tessera_key(std::size_t i, const config_origin& o, const YAML::Node& v) {
    auto& t = out_.tessera;
    switch (i) {
      case 0: {
        std::string s;
        if (!str(v, o, s)) return false;
        if (!parse_host_port(s, t.host, t.port))
          return fail(error::config_value_invalid, o, "not host:port (127.0.0.1:8088, [::1]:8088, 0.0.0.0:443)");
        return true;
      }
      case 1: return url(v, o, t.public_url);
      case 2: return path(v, o, t.data_dir);
      case 3: return path(v, o, t.secrets_dir);
      case 4: {
        std::string s;
        if (!str(v, o, s)) return false;
        if (s.empty()) return fail(error::config_value_invalid, o, "empty (sqlite, memory, postgres, postgresql://..., redis://...)");
        t.store = std::move(s);
        return true;
      }
      case 5: {
        std::string s;
        if (!str(v, o, s)) return false;
        std::error_code ec;
        auto alg = jose::parse_algorithm(s, ec);
        if (!alg || jose::is_hmac(*alg))
          return fail(error::config_value_invalid, o, "not an asymmetric JWS algorithm (RS256, PS256, ES256, ES384, EdDSA, ...)");
        t.signing_algorithm = std::move(s);
        return true;
      }
      case 6: return integer(v, o, t.threads, 0, 1024);
      case 7: return integer(v, o, t.max_connections_per_address, 1, 1000000);
      case 8: return flag(v, o, t.stateless_sessions);
      case 9: return flag(v, o, t.access_log);
      case 10: return path(v, o, t.users_file);
      case 11:
        return section(v, o, tls_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          switch (k) {
            case 0: return str(kv, ko, t.tls.cert_file);
            case 1: return str(kv, ko, t.tls.key_file);
            case 2: return flag(kv, ko, t.tls.hsts);
            case 3: return duration(kv, ko, t.tls.hsts_max_age, true);
            default: return flag(kv, ko, t.tls.hsts_include_subdomains);
          }
        });
      case 12:
        return section(v, o, idp_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          switch (k) {
            case 0: {
              std::string s;
              if (!str(kv, ko, s)) return false;
              if (!s.empty() && std::find(std::begin(identity::profile_names), std::end(identity::profile_names), s) ==
                                    std::end(identity::profile_names)) {
                std::string known;
                for (auto n : identity::profile_names) known.append(known.empty() ? "" : ", ").append(n);
                return fail(error::config_value_invalid, ko, "not a profile tessera knows: " + known);
              }
              t.idp.profile = std::move(s);
              return true;
            }
            case 1: return list(kv, ko, t.idp.tenants);
            case 2: return str(kv, ko, t.idp.audience);
            case 3: {
              std::string s;
              if (!str(kv, ko, s)) return false;
              if (!s.empty() && !is_http_url(s)) return fail(error::config_value_invalid, ko, "not an absolute http(s) URL");
              t.idp.post_logout_redirect_uri = std::move(s);
              return true;
            }
            case 4: return str(kv, ko, t.idp.ca_file);
            default: {
              std::string s;
              if (!str(kv, ko, s)) return false;
              if (!s.empty() && !is_http_url(s)) return fail(error::config_value_invalid, ko, "not an absolute http(s) URL");
              t.idp.api_url = std::move(s);
              return true;
            }
          }
        });
      case 13:
        return section(v, o, consent_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          if (k == 0) return duration(kv, ko, t.consent_lifetime, true);
          return flag(kv, ko, t.first_party_native_skips_consent);
        });
      case 14: return duration(v, o, t.id_token_lifespan, false);
      case 15: return duration(v, o, t.device_code_lifespan, false);
      case 16: return duration(v, o, t.refresh_family_lifetime, true);
      case 17: return duration(v, o, t.revocation_cache_ttl, true);
      case 18:
        return section(v, o, logging_keys, [&](std::size_t, const config_origin& ko, const YAML::Node& kv) {
          std::string s;
          if (!str(kv, ko, s)) return false;
          auto f = ops::parse_log_format(s);
          if (!f) return fail(error::config_value_invalid, ko, "not a log format (text, json)");
          t.log_format = *f;
          return true;
        });
      case 19:
        return section(v, o, metrics_keys, [&](std::size_t k, const config_origin& ko, const YAML::Node& kv) {
          if (k == 0) return flag(kv, ko, t.metrics);
          std::string s;
          if (!str(kv, ko, s)) return false;
          if (s.empty()) {
            t.metrics_host.clear();
            t.metrics_port = 0;
            return true;
          }
          if (!parse_host_port(s, t.metrics_host, t.metrics_port))
            return fail(error::config_value_invalid, ko, "not host:port (127.0.0.1:10254, [::1]:10254)");
          return true;
        });
      default: {
        std::string s;
        if (!str(v, o, s)) return false;
        if (s != "per-thread" && s != "shared") return fail(error::config_value_invalid, o, "not per-thread or shared");
        t.scheduling = std::move(s);
        return true;
      }
    }
  }

  bool path(const YAML::Node& v, const config_origin& o, std::filesystem::path& out) {
    std::string s;
    if (!str(v, o, s)) return false;
    if (s.find('\0') != std::string::npos) return fail(error::config_value_invalid, o, "not a path");
    out = s;
    return true;
  }

  //---------------------------------------------------------------------------------------
  // After reading: the static clients, the public URL, the checks across sections.

  bool finish() {
    if (internal_client_check_ && !clients_.contains(internal_client_check_->first)) {
      std::string shown;
      append_member(shown, internal_client_check_->first);  // escaped and bounded: input text
      warn(internal_client_check_->second,
           "flytepropeller will log in as " + shown +
               ", which is not a static client; the chart gives the internal secret to flytepropeller");
    }
    // flytepropeller without a secret: Flyte would use its public built-in one.
    if (auto* p = clients_.if_contains("flytepropeller"); p && p->is_object()) {
      const auto& obj = p->as_object();
      const auto* secret = obj.if_contains("client_secret");
      const bool has_secret = secret && !(secret->is_string() && secret->as_string().empty()) && !secret->is_null();
      const bool is_public = obj.contains("public") && obj.at("public").is_bool() && obj.at("public").as_bool();
      if (!has_secret && !is_public && !obj.contains("jwks")) {
        clients_.erase("flytepropeller");
        out_.warnings.push_back(
            "static client flytepropeller left out: no client_secret is configured (Flyte's built-in one is public, "
            "CVE-2022-39273); configure staticClients.flytepropeller.client_secret, or the chart's "
            "configuration.auth.internal.clientSecretHash (tessera-server secrets hash makes one)");
      }
    }
    static_clients_options opts;
    opts.path = clients_path_.empty() ? std::string_view("auth.appAuth.selfAuthServer.staticClients") : clients_path_;
    config_problem p;
    out_.clients = parse_static_clients(boost::json::value(clients_), p, opts);
    if (p) {
      problem_ = p;
      problem_.file = file_.empty() ? std::string() : file_.string();
      // The line of the deepest position that has one.
      for (std::string at = p.path; !at.empty();) {
        if (auto it = client_lines_.find(at); it != client_lines_.end() && it->second > 0) {
          problem_.detail += line_suffix(it->second);
          break;
        }
        const auto cut = at.find_last_of(".[");
        if (cut == std::string::npos) break;
        at.resize(cut);
      }
      return false;
    }

    // The public URL.
    auto& t = out_.tessera;
    const std::string& issuer = out_.self_server.issuer;
    if (!t.public_url.empty() && !issuer.empty() && t.public_url != issuer)
      return fail(error::config_value_invalid, {"tessera.publicUrl", out_.lines["tessera.publicUrl"], true},
                  "differs from auth.appAuth.selfAuthServer.issuer: tessera's issuer is its public URL; set one of them");
    if (!t.public_url.empty()) out_.public_url = t.public_url;
    else if (!issuer.empty()) out_.public_url = issuer;
    else if (!out_.authorized_uris.empty()) {
      out_.public_url = out_.authorized_uris.front();
      out_.warnings.push_back("the public URL (issuer) is the first authorizedUris entry, " + out_.public_url +
                              "; set tessera.publicUrl to choose another");
    }

    if (t.tls.cert_file.empty() != t.tls.key_file.empty())
      return fail(error::config_value_invalid, {"tessera.tls", out_.lines["tessera.tls"], true},
                  "certFile and keyFile go together");
    if (t.metrics_port != 0 && t.metrics_port == t.port && t.metrics_host == t.host)
      return fail(error::config_value_invalid, {"tessera.metrics.listen", out_.lines["tessera.metrics.listen"], true},
                  "the same address as tessera.listen: name another port, or leave it empty to serve /metrics there");

    // External mode: the base URL is required; Self mode with an external base URL is fine.
    if (out_.type == auth_server_type::external && out_.external_server.base_url.empty())
      return fail(error::config_member_missing, {"auth.appAuth.externalAuthServer.baseUrl", 0, true},
                  "required with authServerType: External");
    const auto& id = out_.user_auth.open_id;
    if (!id.base_url.empty() && id.client_id.empty())
      return fail(error::config_member_missing, {"auth.userAuth.openId.clientId", 0, true},
                  "required with openId.baseUrl (the client registered at the identity provider)");
    if (out_.type == auth_server_type::external && id.base_url.empty())
      return fail(error::config_member_missing, {"auth.userAuth.openId.baseUrl", 0, true},
                  "required with authServerType: External (people log in at the identity provider; the local "
                  "login exists only for tessera's own authorization server)");
    return true;
  }

  server_config& out_;
  boost::json::object clients_;
  std::string clients_path_;
  std::map<std::string, int, std::less<>> client_lines_;
  std::size_t nodes_ = 0;
  std::optional<std::pair<std::string, config_origin>> internal_client_check_;  // Helm internal.clientId
};

}  // namespace detail

//------------------------------------------------------------------------------------------
// Loading.

/// Reads a server configuration from YAML text. On failure `problem` says what and where, and
/// the result is empty.
inline server_config parse_server_config(std::string_view yaml, config_problem& problem) {
  server_config out;
  detail::server_config_loader loader(out, problem);
  if (!loader.run_text(yaml)) return {};
  return out;
}
inline server_config parse_server_config(std::string_view yaml) {
  config_problem p;
  auto out = parse_server_config(yaml, p);
  detail::throw_if(p);
  return out;
}

/// Reads a server configuration file (at most `max_server_config_size` bytes).
inline server_config load_server_config(const std::filesystem::path& file, config_problem& problem) {
  server_config out;
  detail::server_config_loader loader(out, problem);
  if (!loader.run_file(file)) return {};
  return out;
}
inline server_config load_server_config(const std::filesystem::path& file, std::error_code& ec) {
  config_problem p;
  auto out = load_server_config(file, p);
  ec = p.code;
  return out;
}
/// Throws `config_error` naming the file, the key, its line and what is wrong.
inline server_config load_server_config(const std::filesystem::path& file) {
  config_problem p;
  auto out = load_server_config(file, p);
  detail::throw_if(p);
  return out;
}

}  // namespace tessera::flyte

#endif
