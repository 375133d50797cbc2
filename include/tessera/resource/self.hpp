// tessera — resource/self.hpp
//
// A resource server in the same process as tessera's authorization server (Flyte's Self
// mode): validate the server's own access tokens with its keys, its issuer, the RFC 9068
// profile, and its store's deny-list — the rule of `server::check_access_token`, plus the
// resource side's audience check, scopes, cache and challenges.
//
//     auto tokens = resource::self_issued(server);          // audiences: what the server puts in `aud`
//     routes.get("/api/x", resource::guard(tokens, {"all"}, handler));
//
// The validator reads the server's key ring, so it follows key rotations
// (`authorization_server::rotate_keys`): new keys verify at once, the old one until what it
// signed has expired. For a
// resource server in another process, use External mode (external.hpp) against the server's
// metadata, with introspection for revocation.
#ifndef TESSERA_RESOURCE_SELF_HPP
#define TESSERA_RESOURCE_SELF_HPP

#include <tessera/oauth/access_token.hpp>
#include <tessera/resource/validator.hpp>
#include <tessera/server/settings.hpp>

#include <string>
#include <vector>

namespace tessera::resource {

/// A revocation check against a store's access-token deny-list (`access_revoked(jti, grant)`):
/// the token's own revocation or its grant's. `store` must outlive the check.
template <class Store>
revocation_check deny_list(Store& store) {
  return [&store](const access_claims& c, std::error_code& ec) {
    return store.access_revoked(c.jwt_id, detail::string_member(c.claims, oauth::grant_id_claim), ec);
  };
}

/// The audiences tessera's server puts in access tokens when neither the request nor the
/// client names one: `default_audience`, else the issuer; plus the audience it advertises
/// to Flyte's clients.
inline std::vector<std::string> default_audiences(const server::server_settings& st) {
  std::vector<std::string> out = st.default_audience.empty() ? std::vector<std::string>{st.issuer} : st.default_audience;
  if (!st.flyte_client.audience.empty() &&
      std::find(out.begin(), out.end(), st.flyte_client.audience) == out.end())
    out.push_back(st.flyte_client.audience);
  return out;
}

/// Options for the server's own tokens: its issuer, `typ` at+jwt, the RFC 9068 claims,
/// `audiences` (empty: `default_audiences`), no leeway (same clock).
inline validator_options self_issued_options(const server::server_settings& st, std::vector<std::string> audiences = {}) {
  validator_options o;
  o.issuer = st.issuer;
  o.audiences = audiences.empty() ? default_audiences(st) : std::move(audiences);
  o.token_type = std::string(oauth::access_token_type);
  for (auto c : oauth::access_token_required_claims)
    if (c != "iss" && c != "exp" && c != "aud") o.required_claims.emplace_back(c);
  o.leeway = seconds(0);
  return o;
}

/// A validator of `server`'s access tokens (an `authorization_server`), checked against its
/// store's deny-list through the server's revocation cache. `server` must outlive the validator.
template <class Server>
auto self_issued(const Server& server, std::vector<std::string> audiences = {}) {
  using clock_type = std::remove_cvref_t<decltype(server.clock())>;
  const server::server_settings& st = server.settings();
  validator<jose::shared_key_set, clock_type> v(server.key_ring().verification(),
                                                self_issued_options(st, std::move(audiences)), server.clock());
  // The server's deny-list check, through its revocation cache (one rule with introspection).
  v.revocation([&server](const access_claims& c, std::error_code& ec) {
    return server.access_revoked(c.jwt_id, detail::string_member(c.claims, oauth::grant_id_claim),
                                 c.expires_at.value_or(server.now()), ec);
  });
  return v;
}

}  // namespace tessera::resource

#endif
