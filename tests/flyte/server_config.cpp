#include <tessera/flyte/server_config.hpp>

#include "test_files.hpp"

#include <tessera/crypto/secret_hash.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include <string>
#include <vector>

using namespace tessera;

namespace {

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

flyte::config_problem problem_of(std::string_view yaml) {
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config(yaml, p);
  CHECK(cfg.clients.size() == 0);  // nothing half-read
  return p;
}

bool has_warning(const flyte::server_config& c, std::string_view part) {
  for (const auto& w : c.warnings)
    if (w.find(part) != std::string::npos) return true;
  return false;
}

// The Flyte docs' values.yaml fragment (Step 3), with its placeholders filled in.
constexpr std::string_view seed_values = R"(configuration:
  auth:
    enabled: true
    oidc:
      # Uncomment the correct baseUrl for your IdP:
      # baseUrl: https://accounts.google.com
      # baseUrl: https://<keycloak-url>/auth/realms/<realm>
      # baseUrl: https://login.microsoftonline.com/<tenant-id>/v2.0
      baseUrl: https://dev-12345.okta.com/oauth2/default
      clientId: 0oa1flyte
      clientSecret: idp-secret-value
    internal:
      clientSecret: 'PROPELLER_SECRET'
      clientSecretHash: PROPELLER_HASH
    authorizedUris:
      - https://flyte.example.com
)";

// The docs' external authorization server fragment.
constexpr std::string_view seed_external = R"(configuration:
  inline:
    auth:
      appAuth:
        authServerType: External
        externalAuthServer:
          baseUrl: https://dev-12345.okta.com/oauth2/aus1flyte
          metadataUrl: .well-known/oauth-authorization-server
        thirdPartyConfig:
          flyteClient:
            clientId: 0oa1flytectl
            redirectUri: http://localhost:53593/callback
            scopes: [offline, all]
      userAuth:
        openId:
          baseUrl: https://dev-12345.okta.com/oauth2/aus1flyte
          scopes: [profile, openid]
          clientId: 0oa1flyte
)";

struct material {
  std::string secret = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
  std::string hash = crypto::hash_flyte_client_secret(secret, 4);
  std::string other_hash = crypto::hash_flyte_client_secret("another secret", 4);
};
const material& m() {
  static const material x;
  return x;
}

}  // namespace

TEST_CASE("server config: an empty file is Flyte's defaults, without the public propeller secret", "[flyte][server_config]") {
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config("", p);
  REQUIRE_FALSE(p);
  CHECK(cfg.type == flyte::auth_server_type::self);
  CHECK(cfg.http_authorization_header == "flyte-authorization");
  CHECK(cfg.flyte_client.client_id == "flytectl");
  CHECK(cfg.flyte_client.redirect_uri == "http://localhost:53593/callback");
  CHECK(cfg.flyte_client.scopes == std::vector<std::string>{"all", "offline"});
  CHECK(cfg.flyte_client.audience.empty());
  CHECK(cfg.self_server.access_token_lifespan == std::chrono::minutes(30));
  CHECK(cfg.self_server.refresh_token_lifespan == std::chrono::hours(1));
  CHECK(cfg.self_server.authorization_code_lifespan == std::chrono::minutes(5));
  CHECK(cfg.user_auth.open_id.scopes == std::vector<std::string>{"openid", "profile"});
  CHECK(cfg.user_auth.open_id.client_secret_name == "oidc_client_secret");
  CHECK(cfg.self_server.token_signing_key_secret_name == "token_rsa_key.pem");
  REQUIRE(cfg.clients.size() == 2);
  const auto* ctl = cfg.clients.find("flytectl");
  REQUIRE(ctl);
  CHECK(ctl->is_public);
  CHECK(ctl->redirect_uris == std::vector<std::string>{"http://localhost:53593/callback", "http://localhost:12345/callback"});
  CHECK(ctl->allows_grant("authorization_code"));
  CHECK(ctl->allows_grant("refresh_token"));
  CHECK(ctl->scopes == std::vector<std::string>{"all", "offline", "access_token"});
  CHECK(cfg.clients.find("flyte-cli"));
  CHECK(cfg.clients.find("flytepropeller") == nullptr);
  CHECK(has_warning(cfg, "CVE-2022-39273"));
  CHECK(cfg.public_url.empty());
  CHECK(cfg.tessera.host == "127.0.0.1");
  CHECK(cfg.tessera.port == 8088);
  CHECK(cfg.tessera.store == "sqlite");
}

TEST_CASE("server config: Flyte's auth block", "[flyte][server_config]") {
  const std::string yaml = replace_all(R"(# flyteadmin's config file: other sections are other parts of Flyte
server:
  httpPort: 8088
database:
  postgres: {host: localhost}
auth:
  httpAuthorizationHeader: Flyte-Authorization
  grpcAuthorizationHeader: x-flyte-auth
  authorizedUris:
    - https://flyte.example.com/
    - http://flyte-binary.flyte:8088
  userAuth:
    redirectUrl: /console
    idpQueryParameter: idp
    cookieSetting: {sameSitePolicy: LaxMode, domain: ""}
    openId:
      baseUrl: https://accounts.google.com
      clientId: flyte-google
      scopes: [openid, profile, email]
  appAuth:
    authServerType: Self
    selfAuthServer:
      issuer: https://flyte.example.com
      accessTokenLifespan: 1h
      refreshTokenLifespan: 12h
      authorizationCodeLifespan: 2m30s
      staticClients:
        flytepropeller:
          id: flytepropeller
          client_secret: HASH
          redirect_uris: [http://localhost:3846/callback]
          grant_types: [refresh_token, client_credentials]
          response_types: [token]
          scopes: [all, offline, access_token]
        ci:
          client_secret: HASH
          grant_types: [client_credentials]
          scopes: [all]
    thirdPartyConfig:
      flyteClient:
        clientId: flytectl
        redirectUri: http://localhost:53593/callback
        scopes: [all, offline]
        audience: https://flyte.example.com
)",
                                       "HASH", m().hash);
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config(yaml, p);
  INFO(p.message());
  REQUIRE_FALSE(p);
  CHECK(cfg.form == flyte::config_form::flyte);
  CHECK(cfg.http_authorization_header == "flyte-authorization");  // header names are case-insensitive
  CHECK(cfg.flyte_client.authorization_metadata_key == "x-flyte-auth");
  CHECK(cfg.authorized_uris == std::vector<std::string>{"https://flyte.example.com", "http://flyte-binary.flyte:8088"});
  CHECK(cfg.user_auth.redirect_url == "/console");
  CHECK(cfg.user_auth.idp_query_parameter == "idp");
  CHECK(cfg.user_auth.same_site == flyte::same_site_policy::lax);
  CHECK(cfg.user_auth.open_id.base_url == "https://accounts.google.com");
  CHECK(cfg.user_auth.open_id.scopes.size() == 3);
  CHECK(cfg.self_server.access_token_lifespan == std::chrono::hours(1));
  CHECK(cfg.self_server.refresh_token_lifespan == std::chrono::hours(12));
  CHECK(cfg.self_server.authorization_code_lifespan == std::chrono::seconds(150));
  CHECK(cfg.public_url == "https://flyte.example.com");
  CHECK(cfg.flyte_client.audience == "https://flyte.example.com");
  REQUIRE(cfg.clients.size() == 4);  // flytectl, flyte-cli stay; flytepropeller, ci configured
  const auto* prop = cfg.clients.find("flytepropeller");
  REQUIRE(prop);
  CHECK_FALSE(prop->is_public);
  CHECK(prop->allows_grant("client_credentials"));
  REQUIRE(prop->secret_hashes.size() == 1);
  CHECK(crypto::verify_secret(m().secret, prop->secret_hashes.front()));
  CHECK(cfg.clients.find("ci"));
  CHECK_FALSE(has_warning(cfg, "CVE-2022-39273"));
  CHECK(cfg.lines.at("auth.appAuth.selfAuthServer.accessTokenLifespan") == 24);
  CHECK(cfg.where("auth.appAuth.selfAuthServer.accessTokenLifespan") == "auth.appAuth.selfAuthServer.accessTokenLifespan (line 24)");
}

TEST_CASE("server config: a configured default client replaces Flyte's whole", "[flyte][server_config]") {
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config(R"(auth:
  appAuth:
    selfAuthServer:
      staticClients:
        flytectl:
          public: true
          redirect_uris: [http://localhost:53593/callback]
          grant_types: [authorization_code]
          scopes: [all]
)",
                                        p);
  REQUIRE_FALSE(p);
  const auto* ctl = cfg.clients.find("flytectl");
  REQUIRE(ctl);
  CHECK(ctl->redirect_uris.size() == 1);
  CHECK_FALSE(ctl->allows_grant("refresh_token"));
  CHECK(cfg.clients.find("flyte-cli"));
}

TEST_CASE("server config: the Flyte docs' Helm values", "[flyte][server_config]") {
  const std::string yaml =
      replace_all(replace_all(std::string(seed_values), "PROPELLER_HASH", m().hash), "PROPELLER_SECRET", m().secret);
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config(yaml, p);
  INFO(p.message());
  REQUIRE_FALSE(p);
  CHECK(cfg.form == flyte::config_form::helm);
  CHECK(cfg.type == flyte::auth_server_type::self);
  CHECK(cfg.user_auth.open_id.base_url == "https://dev-12345.okta.com/oauth2/default");
  CHECK(cfg.user_auth.open_id.client_id == "0oa1flyte");
  CHECK(cfg.user_auth.open_id.client_secret == "idp-secret-value");
  CHECK(identity::profile_for_base_url(cfg.user_auth.open_id.base_url) == "okta");
  CHECK(cfg.authorized_uris == std::vector<std::string>{"https://flyte.example.com"});
  CHECK(cfg.public_url == "https://flyte.example.com");
  CHECK(has_warning(cfg, "first authorizedUris entry"));
  const auto* prop = cfg.clients.find("flytepropeller");
  REQUIRE(prop);
  REQUIRE(prop->secret_hashes.size() == 1);
  CHECK(crypto::verify_secret(m().secret, prop->secret_hashes.front()));
  CHECK(cfg.clients.find("flytectl"));
}

namespace {
// Helm values with a plain internal secret (and `extra` lines before it under internal:).
flyte::server_config helm_internal(std::string_view extra = {}) {
  const std::string yaml = replace_all(std::string(R"(configuration:
  auth:
    enabled: true
    internal:
)") + std::string(extra) + "      clientSecret: 'PLAIN'\n",
                                       "PLAIN", m().secret);
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config(yaml, p);
  INFO(p.message());
  REQUIRE_FALSE(p);
  return cfg;
}
}  // namespace

TEST_CASE("server config: the Helm values' secrets", "[flyte][server_config]") {
  SECTION("a plain internal secret alone is hashed here") {
    const auto cfg = helm_internal();
    const auto* prop = cfg.clients.find("flytepropeller");
    REQUIRE(prop);
    CHECK(crypto::verify_secret(m().secret, prop->secret_hashes.at(0)));
  }
  SECTION("internal.clientId that no static client has: a warning, the secret still goes to flytepropeller") {
    const auto cfg = helm_internal("      clientId: \"propeller\\x01two\"\n");
    REQUIRE(cfg.clients.find("flytepropeller"));
    std::string all;
    for (const auto& w : cfg.warnings) all += w + "\n";
    INFO(all);
    CHECK(all.find("configuration.auth.internal.clientId") != std::string::npos);
    CHECK(all.find("not a static client") != std::string::npos);
    CHECK(all.find('\x01') == std::string::npos);  // the id is shown escaped
  }
  SECTION("internal.clientId flytepropeller (the chart's default): no warning about it") {
    const auto cfg = helm_internal("      clientId: flytepropeller\n");
    for (const auto& w : cfg.warnings) CHECK(w.find("internal.clientId") == std::string::npos);
  }
  SECTION("flyte-core's adminOauthClientCredentials") {
    const std::string yaml = replace_all(R"(configuration:
  auth:
    enabled: true
secrets:
  adminOauthClientCredentials:
    enabled: true
    clientSecret: PLAIN
    clientId: flytepropeller
)",
                                         "PLAIN", m().secret);
    flyte::config_problem p;
    auto cfg = flyte::parse_server_config(yaml, p);
    REQUIRE_FALSE(p);
    REQUIRE(cfg.clients.find("flytepropeller"));
  }
  SECTION("clientSecret: null leaves the secret to an external manager") {
    flyte::config_problem p;
    auto cfg = flyte::parse_server_config(R"(configuration:
  auth: {enabled: true}
secrets:
  adminOauthClientCredentials:
    enabled: true
    clientSecret: null
    clientId: flytepropeller
)",
                                          p);
    REQUIRE_FALSE(p);
    CHECK(cfg.clients.find("flytepropeller") == nullptr);
  }
  SECTION("a plain secret and a hash that disagree") {
    const std::string yaml = replace_all(replace_all(std::string(seed_values), "PROPELLER_HASH", m().other_hash),
                                         "PROPELLER_SECRET", m().secret);
    auto p = problem_of(yaml);
    CHECK(p.code == error::config_value_invalid);
    CHECK(p.path == "configuration.auth.internal.clientSecret");
    CHECK(p.detail.find("does not match clientSecretHash") != std::string::npos);
    CHECK(p.detail.find("(line 13)") != std::string::npos);
    CHECK(p.message().find(m().secret) == std::string::npos);
  }
  SECTION("a clientId naming no static client is shown escaped, never as raw bytes (fuzz_server_config)") {
    const std::string yaml = "configuration:\n  inline:\n    auth:\n      appAuth:\nsecrets:\n"
                             "  adminOauthClientCredentials:\n    clientSecret: n\n    clientId: \"a\xff" "\\t\\\"\"\n";
    auto p = problem_of(yaml);
    CHECK(p.code == error::config_value_invalid);
    CHECK(p.path == "secrets.adminOauthClientCredentials.clientSecret");
    const std::string message = p.message();
    CHECK(message.find(R"(names the static client ["a\xff\x09\""], which is not configured)") != std::string::npos);
    for (unsigned char c : message) CHECK((c >= 0x20 && c <= 0x7e));
  }
  SECTION("a plain clientId naming no static client is shown as it is") {
    auto p = problem_of(
        "configuration:\n  auth: {enabled: true}\nsecrets:\n  adminOauthClientCredentials: {clientSecret: s, clientId: ci}\n");
    CHECK(p.code == error::config_value_invalid);
    CHECK(p.path == "secrets.adminOauthClientCredentials.clientSecret");
    CHECK(p.message().find("names the static client ci, which is not configured") != std::string::npos);
  }
  SECTION("a hash that is not one, never echoed") {
    const std::string yaml = replace_all(replace_all(std::string(seed_values), "PROPELLER_HASH", "not-a-hash-value"),
                                         "clientSecret: 'PROPELLER_SECRET'", "clientId: flytepropeller");
    auto p = problem_of(yaml);
    CHECK(p.code == error::secret_hash_invalid);
    CHECK(p.path == "configuration.auth.internal.clientSecretHash");
    CHECK(p.message().find("not-a-hash-value") == std::string::npos);
  }
}

TEST_CASE("server config: the Flyte docs' external authorization server fragment", "[flyte][server_config]") {
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config(seed_external, p);
  INFO(p.message());
  REQUIRE_FALSE(p);
  CHECK(cfg.type == flyte::auth_server_type::external);
  CHECK(cfg.external_server.base_url == "https://dev-12345.okta.com/oauth2/aus1flyte");
  CHECK(cfg.external_server.metadata_url == ".well-known/oauth-authorization-server");
  CHECK(cfg.flyte_client.client_id == "0oa1flytectl");
  CHECK(cfg.flyte_client.scopes == std::vector<std::string>{"offline", "all"});
  CHECK(cfg.user_auth.open_id.client_id == "0oa1flyte");
  CHECK(cfg.user_auth.open_id.scopes == std::vector<std::string>{"profile", "openid"});

  // And with Step 3's values in the same file: inline wins where both speak.
  const std::string both = replace_all(replace_all(std::string(seed_values), "PROPELLER_HASH", m().hash),
                                       "PROPELLER_SECRET", m().secret) +
                           std::string(seed_external.substr(std::string_view("configuration:\n").size()));
  auto merged = flyte::parse_server_config(both, p);
  INFO(p.message());
  REQUIRE_FALSE(p);
  CHECK(merged.type == flyte::auth_server_type::external);
  CHECK(merged.user_auth.open_id.base_url == "https://dev-12345.okta.com/oauth2/aus1flyte");
  CHECK(merged.user_auth.open_id.client_secret == "idp-secret-value");
  CHECK(merged.clients.find("flytepropeller"));
}

TEST_CASE("server config: tessera's own settings", "[flyte][server_config]") {
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config(R"(tessera:
  listen: "[::1]:9443"
  publicUrl: https://auth.example.com/
  dataDir: /var/lib/tessera
  secretsDir: /run/secrets
  store: postgresql://tessera@db/tessera
  signingAlgorithm: ES256
  threads: 4
  scheduling: shared
  maxConnectionsPerAddress: 512
  statelessSessions: true
  accessLog: false
  logging: {format: json}
  metrics: {enabled: false, listen: '[::1]:10254'}
  tls: {certFile: /etc/tls/cert.pem, keyFile: /etc/tls/key.pem, hstsMaxAge: 1h, hstsIncludeSubdomains: true}
  idp: {profile: azure_ad, tenants: [contoso.onmicrosoft.com], postLogoutRedirectUri: https://auth.example.com/,
        apiUrl: https://github.example.com/api/v3}
  consent: {lifetime: 0s, firstPartyNativeSkipsConsent: true}
  idTokenLifespan: 15m
  deviceCodeLifespan: 5m
  refreshFamilyLifetime: 0s
  revocationCacheTtl: 1s
)",
                                        p);
  INFO(p.message());
  REQUIRE_FALSE(p);
  const auto& t = cfg.tessera;
  CHECK(t.host == "::1");
  CHECK(t.port == 9443);
  CHECK(cfg.public_url == "https://auth.example.com");
  CHECK(t.data_dir == "/var/lib/tessera");
  CHECK(t.secrets_dir == "/run/secrets");
  CHECK(t.store == "postgresql://tessera@db/tessera");
  CHECK(t.signing_algorithm == "ES256");
  CHECK(t.threads == 4);
  CHECK(t.scheduling == "shared");
  CHECK(t.max_connections_per_address == 512);
  CHECK(t.stateless_sessions);
  CHECK_FALSE(t.access_log);
  CHECK(t.log_format == ops::log_format::json);
  CHECK_FALSE(t.metrics);
  CHECK(t.metrics_host == "::1");
  CHECK(t.metrics_port == 10254);
  CHECK(t.tls.cert_file == "/etc/tls/cert.pem");
  CHECK(t.tls.hsts_max_age == std::chrono::hours(1));
  CHECK(t.tls.hsts_include_subdomains);
  CHECK(t.idp.profile == "azure_ad");
  CHECK(t.idp.tenants == std::vector<std::string>{"contoso.onmicrosoft.com"});
  CHECK(t.idp.api_url == "https://github.example.com/api/v3");
  CHECK(t.consent_lifetime.count() == 0);
  CHECK(t.first_party_native_skips_consent);
  CHECK(t.id_token_lifespan == std::chrono::minutes(15));
  CHECK(t.device_code_lifespan == std::chrono::minutes(5));
  CHECK(t.refresh_family_lifetime.count() == 0);
  CHECK(t.revocation_cache_ttl == std::chrono::seconds(1));
}

TEST_CASE("server config: every class of mistake names the key, its line and what was expected", "[flyte][server_config]") {
  struct mistake {
    const char* yaml;
    error cause;
    const char* path;
    const char* detail_part;
  };
  const mistake mistakes[] = {
      {"auth:\n  userAuth:\n    openID:\n      baseUrl: https://x.example\n      clientID: a\n      clientSecret: b\n",
       error::config_member_unknown, "auth.userAuth.openID.clientSecret", "line 6"},
      {"auth:\n  appAuth:\n    selfAuthServer:\n      acessTokenLifespan: 1h\n", error::config_member_unknown,
       "auth.appAuth.selfAuthServer.acessTokenLifespan", "expected one of: issuer, accessTokenLifespan"},
      {"tessera:\n  listn: 1.2.3.4:80\n", error::config_member_unknown, "tessera.listn", "expected one of: listen,"},
      {"tessera:\n  data_dir: /x\n", error::config_member_unknown, "tessera.data_dir", "did you mean dataDir"},
      {"auth:\n  appAuth:\n    selfAuthServer:\n      accessTokenLifespan: soon\n", error::config_value_invalid,
       "auth.appAuth.selfAuthServer.accessTokenLifespan", "not a Go duration"},
      {"auth:\n  appAuth:\n    selfAuthServer:\n      accessTokenLifespan: 0s\n", error::config_value_invalid,
       "auth.appAuth.selfAuthServer.accessTokenLifespan", "at least"},
      {"auth:\n  appAuth:\n    authServerType: Internal\n", error::config_value_invalid, "auth.appAuth.authServerType",
       "expected Self or External"},
      {"auth:\n  appAuth:\n    authServerType: External\n", error::config_member_missing,
       "auth.appAuth.externalAuthServer.baseUrl", "required"},
      {"auth:\n  authorizedUris: https://flyte.example.com\n", error::config_type_mismatch, "auth.authorizedUris",
       "not a list"},
      {"auth:\n  authorizedUris: [flyte.example.com]\n", error::config_value_invalid, "auth.authorizedUris[0]",
       "absolute http(s) URL"},
      {"auth:\n  userAuth:\n    openId: {baseUrl: 'ftp://idp.example'}\n", error::config_value_invalid,
       "auth.userAuth.openId.baseUrl", "http(s)"},
      {"auth:\n  userAuth:\n    openId: {baseUrl: 'https://idp.example'}\n", error::config_member_missing,
       "auth.userAuth.openId.clientId", "required"},
      {"auth:\n  userAuth:\n    cookieSetting: {sameSitePolicy: StrictMode}\n", error::config_value_invalid,
       "auth.userAuth.cookieSetting.sameSitePolicy", "LaxMode"},
      {"auth:\n  userAuth:\n    cookieSetting: {domain: example.com}\n", error::config_value_invalid,
       "auth.userAuth.cookieSetting.domain", "host-only"},
      {"auth:\n  httpProxyURL: http://proxy:3128\n", error::config_value_invalid, "auth.httpProxyURL", "proxy"},
      {"auth:\n  disableForHttp: true\n", error::config_value_invalid, "auth.disableForHttp", "serves no Flyte API"},
      {"auth:\n  disableForGrpc: maybe\n", error::config_type_mismatch, "auth.disableForGrpc", "not a boolean"},
      {"auth:\n  httpAuthorizationHeader: 'bad header'\n", error::config_value_invalid, "auth.httpAuthorizationHeader",
       "header name"},
      {"auth:\n  userAuth:\n    cookieHashKeySecretName: ../etc/passwd\n", error::config_value_invalid,
       "auth.userAuth.cookieHashKeySecretName", "secret name"},
      {"auth:\n  appAuth:\n    externalAuthServer:\n      baseUrl: https://as.example\n      retryAttempts: -1\n",
       error::config_value_invalid, "auth.appAuth.externalAuthServer.retryAttempts", "from 0 to 100"},
      {"auth:\n  appAuth:\n    thirdPartyConfig:\n      flyteClient: {redirectUri: 'http://localhost:53593/cb#x'}\n",
       error::config_value_invalid, "auth.appAuth.thirdPartyConfig.flyteClient.redirectUri", "redirect URI"},
      {"auth:\n  appAuth:\n    selfAuthServer:\n      staticClients:\n        web:\n          redirect_uris: ['https://web.example/cb#frag']\n          public: true\n",
       error::config_value_invalid, "auth.appAuth.selfAuthServer.staticClients.web.redirect_uris[0]", "line 6"},
      {"auth:\n  appAuth:\n    selfAuthServer:\n      staticClients:\n        web:\n          redirect_uri: [https://web.example/cb]\n",
       error::config_member_unknown, "auth.appAuth.selfAuthServer.staticClients.web.redirect_uri", "redirect_uris"},
      {"auth:\n  appAuth:\n    selfAuthServer:\n      staticClients: [a, b]\n", error::config_type_mismatch,
       "auth.appAuth.selfAuthServer.staticClients", "map of clients"},
      {"auth:\n  appAuth:\n    selfAuthServer:\n      staticClients:\n        ci: {client_secret: c2VjcmV0, grant_types: [client_credentials]}\n",
       error::secret_hash_invalid, "auth.appAuth.selfAuthServer.staticClients.ci.client_secret", "line 5"},
      {"tessera:\n  listen: localhost\n", error::config_value_invalid, "tessera.listen", "host:port"},
      {"tessera:\n  listen: '::1:80'\n", error::config_value_invalid, "tessera.listen", "host:port"},
      {"tessera:\n  signingAlgorithm: HS256\n", error::config_value_invalid, "tessera.signingAlgorithm", "asymmetric"},
      {"tessera:\n  threads: many\n", error::config_type_mismatch, "tessera.threads", "integer"},
      {"tessera:\n  scheduling: pooled\n", error::config_value_invalid, "tessera.scheduling", "per-thread or shared"},
      {"tessera:\n  tls: {certFile: /a.pem}\n", error::config_value_invalid, "tessera.tls", "go together"},
      {"tessera:\n  idp: {profile: ping}\n", error::config_value_invalid, "tessera.idp.profile", "okta"},
      {"tessera:\n  idp: {apiUrl: api.github.com}\n", error::config_value_invalid, "tessera.idp.apiUrl", "http(s) URL"},
      {"tessera:\n  logging: {format: yaml}\n", error::config_value_invalid, "tessera.logging.format", "text, json"},
      {"tessera:\n  logging:\n    formatt: json\n", error::config_member_unknown, "tessera.logging.formatt", "line 3"},
      {"tessera:\n  logging: json\n", error::config_type_mismatch, "tessera.logging", "mapping"},
      {"tessera:\n  metrics: {enabled: maybe}\n", error::config_type_mismatch, "tessera.metrics.enabled", "true or false"},
      {"tessera:\n  metrics: {port: 9090}\n", error::config_member_unknown, "tessera.metrics.port", "expected one of: enabled, listen"},
      {"tessera:\n  metrics: {listen: 10254}\n", error::config_value_invalid, "tessera.metrics.listen", "host:port"},
      {"tessera:\n  listen: 127.0.0.1:9000\n  metrics:\n    listen: 127.0.0.1:9000\n", error::config_value_invalid,
       "tessera.metrics.listen", "line 4"},
      {"tessera:\n  publicUrl: https://a.example\nauth:\n  appAuth:\n    selfAuthServer: {issuer: https://b.example}\n",
       error::config_value_invalid, "tessera.publicUrl", "issuer"},
      {"auth: {}\nconfiguration:\n  auth: {enabled: true}\n", error::config_value_invalid, "auth", "not both"},
      {"configuration:\n  auth:\n    enabled: false\n", error::config_value_invalid, "configuration.auth.enabled",
       "enabled: true"},
      {"configuration:\n  auth:\n    enabled: true\n    oidc: {clientSecrett: x}\n", error::config_member_unknown,
       "configuration.auth.oidc.clientSecrett", "clientSecret"},
      {"auth:\n  appAuth: [Self]\n", error::config_type_mismatch, "auth.appAuth", "mapping"},
      {"auth:\n  appAuth:\n  appAuth: {}\n", error::config_value_invalid, "auth.appAuth", "key given twice (line 3)"},
      {"auth:\n  appAuth: {\n", error::config_value_invalid, "", "not valid YAML"},
      {"- auth\n", error::config_type_mismatch, "", "not a YAML mapping"},
      {"auth:\n  userAuth: {redirectUrl: //evil.example}\n", error::config_value_invalid, "auth.userAuth.redirectUrl",
       "path on this server"},
  };
  for (const auto& x : mistakes) {
    INFO(x.yaml);
    auto p = problem_of(x.yaml);
    INFO(p.message());
    CHECK(p.code == x.cause);
    CHECK(p.path == x.path);
    CHECK(p.message().find(x.detail_part) != std::string::npos);
  }
}

TEST_CASE("server config: keys in another case are read, with a warning", "[flyte][server_config]") {
  flyte::config_problem p;
  auto cfg = flyte::parse_server_config("Auth:\n  appauth:\n    authservertype: Self\n", p);
  REQUIRE_FALSE(p);
  CHECK(has_warning(cfg, "Flyte spells it auth"));
  CHECK(has_warning(cfg, "Flyte spells it auth.appAuth"));
}

TEST_CASE("server config: bounds on hostile documents", "[flyte][server_config]") {
  SECTION("nested aliases") {
    std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {  // 10^9 nodes if expanded
      const std::string prev = "*a" + std::to_string(i - 1);
      yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
      for (int k = 1; k < 10; ++k) yaml += ", " + prev;
      yaml += "]\n";
    }
    auto p = problem_of(yaml);
    CHECK(p.code == error::config_too_large);
  }
  SECTION("a file too large") {
    test::scratch_dir dir;
    auto f = dir.write("big.yaml", "# " + std::string(flyte::max_server_config_size, 'x') + "\n");
    flyte::config_problem p;
    flyte::load_server_config(f, p);
    CHECK(p.code == error::config_too_large);
    CHECK(p.file == f.string());
  }
  SECTION("a missing file") {
    flyte::config_problem p;
    flyte::load_server_config("/nonexistent/tessera.yaml", p);
    CHECK(p.code == error::config_file_unreadable);
  }
}

TEST_CASE("server config: the file is named in every failure and the throwing overload says the same", "[flyte][server_config]") {
  test::scratch_dir dir;
  auto f = dir.write("tessera.yaml", "tessera:\n  threads: -3\n");
  flyte::config_problem p;
  flyte::load_server_config(f, p);
  REQUIRE(p);
  CHECK(p.message() == f.string() + ": tessera.threads: out of range: expected an integer from 0 to 1024 (line 2)");
  try {
    flyte::load_server_config(f);
    FAIL("no exception");
  } catch (const flyte::config_error& e) {
    CHECK(std::string(e.what()) == p.message());
  }
  auto ok = dir.write("ok.yaml", "tessera:\n  store: memory\n");
  auto cfg = flyte::load_server_config(ok);
  CHECK(cfg.file == ok);
  CHECK(cfg.where("tessera.store") == ok.string() + ": tessera.store (line 2)");
}

TEST_CASE("server config: the IdP profile from a base URL", "[flyte][server_config][identity]") {
  CHECK(identity::profile_for_base_url("https://dev-1.okta.com/oauth2/default") == "okta");
  CHECK(identity::profile_for_base_url("https://acme.oktapreview.com") == "okta");
  CHECK(identity::profile_for_base_url("https://accounts.google.com") == "google");
  CHECK(identity::profile_for_base_url("https://securetoken.google.com/my-project") == "gcp_identity");
  CHECK(identity::profile_for_base_url("https://login.microsoftonline.com/abc/v2.0") == "azure_ad");
  CHECK(identity::profile_for_base_url("https://acme.eu.auth0.com/") == "auth0");
  CHECK(identity::profile_for_base_url("https://kc.example.com/auth/realms/flyte") == "keycloak");
  CHECK(identity::profile_for_base_url("https://github.com") == "github");
  CHECK(identity::profile_for_base_url("https://notokta.com") == "generic_oidc");
  CHECK(identity::profile_for_base_url("https://okta.com.evil.example") == "generic_oidc");
  CHECK(identity::profile_for_base_url("not a url") == "generic_oidc");
}

TEST_CASE("server config: the configuration reference loads, and names every key", "[flyte][server_config][docs]") {
  std::ifstream in(std::string(TESSERA_DOCS_DIR) + "/configuration.md");
  REQUIRE(in.is_open());
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t blocks = 0;
  for (auto at = doc.find("```yaml\n"); at != std::string::npos; at = doc.find("```yaml\n", at)) {
    at += 8;
    const auto end = doc.find("```", at);
    REQUIRE(end != std::string::npos);
    const std::string block = doc.substr(at, end - at);
    INFO(block);
    flyte::config_problem p;
    auto cfg = flyte::parse_server_config(block, p);
    INFO(p.message());
    CHECK_FALSE(p);
    ++blocks;
    at = end + 3;
  }
  CHECK(blocks == 5);
  auto named = [&](std::string_view key) { return doc.find(std::string(key) + ":") != std::string::npos; };
  auto all_named = [&](const auto& keys) {
    for (auto k : keys) {
      INFO(k);
      CHECK(named(k));
    }
  };
  using namespace flyte::detail;
  all_named(auth_keys);
  all_named(user_auth_keys);
  all_named(open_id_keys);
  all_named(cookie_setting_keys);
  all_named(app_auth_keys);
  all_named(self_server_keys);
  all_named(external_server_keys);
  all_named(third_party_keys);
  all_named(flyte_client_keys);
  all_named(helm_auth_keys);
  all_named(helm_oidc_keys);
  all_named(helm_internal_keys);
  all_named(helm_admin_credentials_keys);
  all_named(tessera_keys);
  all_named(tls_keys);
  all_named(idp_keys);
  all_named(consent_keys);
  all_named(logging_keys);
  all_named(metrics_keys);
  for (auto m : flyte::static_client_members) {
    INFO(m);
    CHECK(named(m));
  }
}
