// tessera — resource/external.hpp
//
// A resource server for tokens of an external authorization server (Flyte's External mode:
// `appAuth.externalAuthServer`): Okta, Auth0, Keycloak, Azure AD, or a tessera server in
// another process.
//
//     transport::http_client net;
//     resource::external_options o;
//     o.base_url = "https://dev-123.okta.com/oauth2/default";   // externalAuthServer.baseUrl
//     o.audiences = {"api://flyte"};                              // allowedAudience
//     auto tokens = resource::external(transport::any_sync_client(net), o);
//
// `external` fetches the metadata (oauth/discovery.hpp: Flyte's URL rules, the issuer checked),
// then the JWK set from its `jwks_uri` (oauth/remote_jwks.hpp: followed through rotations), and builds a
// validator that accepts exactly the metadata's issuer. With `introspection_client_id` set and
// an `introspection_endpoint` in the metadata, opaque tokens are introspected, and with
// `introspect_jwts` every JWT too (revocation). Failing to reach the server at start is an
// error: better refuse to start than to refuse every request later.
#ifndef TESSERA_RESOURCE_EXTERNAL_HPP
#define TESSERA_RESOURCE_EXTERNAL_HPP

#include <tessera/oauth/discovery.hpp>
#include <tessera/resource/validator.hpp>

#include <optional>

namespace tessera::resource {

using oauth::discover;
using oauth::discovery_options;

struct external_options {
  /// `externalAuthServer.baseUrl`.
  std::string base_url{};
  /// `externalAuthServer.metadataUrl` and the expected issuer (discovery.hpp).
  discovery_options discovery{};
  /// Everything but the issuer, which comes from the metadata: audiences (Flyte's
  /// `allowedAudience`, plus the service's public URL), claims, cache, leeway.
  validator_options validation{};
  remote_jwks_options keys{};
  /// This resource server's credentials for the introspection endpoint; empty: no
  /// introspection (opaque tokens are refused).
  std::string introspection_client_id{};
  std::string introspection_client_secret{};
  /// Also introspect every JWT that passed the local checks (honours revocation; one request
  /// to the server per token and cache lifetime).
  bool introspect_jwts = false;
};

template <clock Clock = system_clock>
using external_validator = validator<remote_jwks<Clock>, Clock>;

/// Discovers the server and fetches its keys; nullopt with `ec` when either fails
/// (discovery's causes, `url_insecure` for a plain-http `jwks_uri` or introspection endpoint
/// off loopback, `jwks_fetch_failed`), or when introspection is configured but the metadata has
/// no endpoint for it (`metadata_invalid`), or without an audience (`config_value_invalid`).
template <clock Clock = system_clock>
std::optional<external_validator<Clock>> external(const transport::any_sync_client& http, external_options o,
                                                  std::error_code& ec, Clock clk = {}) {
  auto meta = discover(http, o.base_url, o.discovery, ec);
  if (ec) return std::nullopt;
  oauth::detail::require_secure(meta.jwks_uri, o.discovery.allow_http, ec);
  if (ec) return std::nullopt;
  remote_jwks<Clock> keys(meta.jwks_uri, http, o.keys, clk);
  keys.refresh(ec);
  if (ec) return std::nullopt;
  validator_options vo = std::move(o.validation);
  vo.issuer = meta.issuer;
  ec = check_options(vo);
  if (ec) return std::nullopt;
  std::optional<external_validator<Clock>> v(std::in_place, std::move(keys), std::move(vo), std::move(clk));
  if (!o.introspection_client_id.empty()) {
    if (meta.introspection_endpoint.empty()) {
      ec = error::metadata_invalid;
      return std::nullopt;
    }
    oauth::detail::require_secure(meta.introspection_endpoint, o.discovery.allow_http, ec);
    if (ec) return std::nullopt;
    v->introspection(introspection_client(http, {meta.introspection_endpoint, o.introspection_client_id,
                                                 o.introspection_client_secret}),
                     o.introspect_jwts);
  }
  return v;
}

/// Throwing overload (`tessera::system_error`).
template <clock Clock = system_clock>
external_validator<Clock> external(const transport::any_sync_client& http, external_options o, Clock clk = {}) {
  std::error_code ec;
  auto v = external(http, std::move(o), ec, std::move(clk));
  tessera::detail::throw_if(ec);
  return std::move(*v);
}

}  // namespace tessera::resource

#endif
