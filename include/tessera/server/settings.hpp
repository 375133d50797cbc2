// tessera — server/settings.hpp
//
// The run-time values of an authorization server. Behaviour (grants, PKCE policy, rotation,
// store, identity) is chosen at compile time; these are the numbers and names a deployment
// sets. Defaults are Flyte's (`auth.appAuth.selfAuthServer`): access tokens 30 min, refresh
// tokens 1 h, codes 5 min. Flyte's config file maps onto this struct in `flyte/`.
//
// What browsers see (cookie keys, the Secure-cookie rule, `authorizedUris`) is not here but in
// `identity::browser_settings`: the identity policy's one browser layer serves the server's
// pages too, so those values are configured once, for both.
#ifndef TESSERA_SERVER_SETTINGS_HPP
#define TESSERA_SERVER_SETTINGS_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/failure_rate_limiter.hpp>
#include <tessera/server/token_observer.hpp>
#include <tessera/store/records.hpp>

#include <string>
#include <vector>

namespace tessera::server {

/// What `/config/v1/flyte_client` tells Flyte's CLIs (`auth.appAuth.thirdPartyConfig`).
struct flyte_client_settings {
  std::string client_id = "flytectl";
  std::string redirect_uri = "http://localhost:53593/callback";
  std::vector<std::string> scopes{"all", "offline"};
  std::string audience;                 // what clients with useAudienceFromAdmin send; Flyte: ""
  std::string authorization_metadata_key = "flyte-authorization";
  std::string service_http_endpoint;    // Flyte serves "" (clients then use the admin endpoint)
};

struct server_settings {
  /// The public base URL, e.g. "https://flyte.example.com" — the `iss` of every token and
  /// the base of every endpoint URL in metadata. Never derived from request headers
  /// (docs/security.md row 18). No trailing slash.
  std::string issuer;

  seconds access_token_lifespan{30 * 60};
  seconds refresh_token_lifespan{60 * 60};
  seconds authorization_code_lifespan{5 * 60};
  seconds id_token_lifespan{60 * 60};
  seconds device_code_lifespan{10 * 60};
  seconds device_poll_interval{5};
  /// Wrong user codes entered on the device page, per logged-in user (RFC 8628 §5.1): five in
  /// a row, then one a minute — with ≈34 bits per code, guessing one is out of reach.
  crypto::failure_rate_limiter::options device_user_code_failures{5, std::chrono::seconds(60), 16384};
  /// Live device authorizations (docs/security.md row 21): anyone can ask for one with a public
  /// client's id, and each lives `device_code_lifespan`. Past a cap `/oauth2/device/authorize`
  /// answers 429 `slow_down` with `Retry-After: device_authorization_retry_after` and stores
  /// nothing. Per address: the peer (IPv6 by /64); behind a proxy that hides peers, set it to 0.
  store::device_caps device_authorization_caps{.per_client = 1000, .per_address = 30, .total = 10000};
  seconds device_authorization_retry_after{30};

  /// The longest a family of refresh tokens lives, counted from the user's authentication
  /// (`auth_time`): past it, a refresh is refused and the person logs in again, however
  /// often the tokens were rotated. Zero: no limit.
  seconds refresh_family_lifetime{7 * 24 * 60 * 60};

  /// How long a bearer check may rely on an earlier "not revoked" answer of the store's
  /// deny-list (server/revocation_cache.hpp): the bound on how late a revocation made by
  /// another replica is seen here. This server's own revocations take effect at once. Zero:
  /// every check reads the store.
  seconds revocation_cache_ttl{5};

  /// Reuse of a rotated refresh token within this window (and count) issues a sibling
  /// instead of revoking the family: for two tabs refreshing at once. Off by default.
  store::grace_policy refresh_grace{};

  /// `aud` of access tokens when the client has no audience configured. Empty: the issuer
  /// (Flyte puts the public URL in `aud`).
  std::vector<std::string> default_audience;

  /// Refresh tokens are issued only when one of these scopes was granted (Flyte: `offline`;
  /// OIDC: `offline_access`). Empty: whenever the client may use the refresh grant.
  std::vector<std::string> refresh_scopes{"offline", "offline_access"};

  /// Failed client-secret checks (docs/security.md row 19; `client_authentication.hpp`),
  /// counted per (client, peer address): `client_auth_burst` back to back, then a delay of
  /// `client_auth_refill` that doubles with each further failure up to `client_auth_max_delay`.
  /// A correct secret from an address that has not failed is always checked and accepted.
  unsigned client_auth_burst = 10;
  seconds client_auth_refill{30};
  seconds client_auth_max_delay{15 * 60};
  /// Failed client-secret checks per peer address over all clients (IPv6 per /64), with the
  /// same delays. Zero: no per-address limit — behind a reverse proxy that hides client
  /// addresses this limit would hold every client back at once (see client_authentication.hpp).
  unsigned client_auth_address_burst = 40;
  /// Failures of one client from all addresses (one forgiven per `client_auth_refill`) at which
  /// it is under attack: then each address gets one attempt (not `client_auth_burst`) before its
  /// delays start. Zero: never.
  unsigned client_auth_client_budget = 100;
  /// How long a verified client secret skips bcrypt: `verified_secret_lifetime` past its last
  /// use, and never longer than `verified_secret_max_lifetime` past its verification.
  seconds verified_secret_lifetime{300};
  seconds verified_secret_max_lifetime{60 * 60};

  /// Consent (docs/security.md row 37): a person's "Allow" for a client and the scopes shown is
  /// remembered this long (per person and client; a request for more scopes asks again). Zero:
  /// never remembered, asked at every authorization.
  seconds consent_lifetime{30 * 24 * 60 * 60};
  /// Whether a first-party client that is public and redirects to a native app (loopback or
  /// private-use scheme) skips the consent page too. Off: any program on the user's machine
  /// can use such a client's id and port, and with a session would get the user's tokens
  /// without the user seeing anything (RFC 8252 §8.6).
  bool first_party_native_skips_consent = false;

  /// Maximum lifetime accepted for private_key_jwt client assertions.
  seconds client_assertion_max_lifetime{300};

  flyte_client_settings flyte_client;

  /// Told the outcome of every token-endpoint request (server/token_observer.hpp): metrics
  /// (ops/token_metrics.hpp). Empty: nobody.
  token_observer token_events;

  std::string endpoint(std::string_view path) const { return issuer + std::string(path); }
};

}  // namespace tessera::server

#endif
