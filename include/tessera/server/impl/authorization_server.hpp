// tessera — server/impl/authorization_server.hpp: the route table and the metadata.
#ifndef TESSERA_SERVER_IMPL_AUTHORIZATION_SERVER_HPP
#define TESSERA_SERVER_IMPL_AUTHORIZATION_SERVER_HPP

#include <tessera/jose/algorithm.hpp>
#include <tessera/server/authorization_server.hpp>
#include <tessera/server/endpoints/end_session.hpp>
#include <tessera/server/endpoints/metadata.hpp>
#include <tessera/server/endpoints/token.hpp>

#include <set>

namespace tessera {

template <class Traits, class... Grants>
void authorization_server<Traits, Grants...>::install(transport::router& r) const {
  using transport::request;
  using transport::request_context;
  using verb = transport::http::verb;
  const auto* s = this;
  r.post("/oauth2/token", [s](const request& q, const request_context& c) { return server::token_endpoint(*s, q, c); });
  r.post("/oauth2/revoke", [s](const request& q, const request_context& c) { return server::revocation_endpoint(*s, q, c); });
  r.post("/oauth2/introspect",
         [s](const request& q, const request_context& c) { return server::introspection_endpoint(*s, q, c); });
  r.add({verb::get, verb::post}, "/oauth2/userinfo", [s](const request& q) { return server::userinfo_endpoint(*s, q); });
  r.get("/oauth2/jwks", [s](const request& q) { return server::jwks_endpoint(*s, q); });
  r.get("/.well-known/oauth-authorization-server", [s](const request& q) { return server::metadata_endpoint(*s, q, false); });
  r.get("/.well-known/openid-configuration", [s](const request& q) { return server::metadata_endpoint(*s, q, true); });
  r.get("/config/v1/flyte_client", [s](const request& q) { return server::flyte_client_endpoint(*s, q); });
  if constexpr (tessera::identity::ends_sessions<identity_type>) {
    if (ends_sessions())
      r.add({verb::get, verb::post}, "/oauth2/logout",
            [s](const request& q, const request_context& c) { return server::end_session_endpoint(*s, q, c); });
  }
  for_each_grant([&](const auto& g) {
    if constexpr (server::installs_endpoints<std::decay_t<decltype(g)>, authorization_server>) g.install(r, *this);
  });
}

template <class Traits, class... Grants>
oauth::server_metadata authorization_server<Traits, Grants...>::metadata(bool openid) const {
  const server::server_settings& st = settings_;
  oauth::server_metadata m;
  m.issuer = st.issuer;
  m.token_endpoint = st.endpoint("/oauth2/token");
  m.jwks_uri = st.endpoint("/oauth2/jwks");
  m.grant_types_supported.assign({std::string(Grants::grant_type)...});
  m.token_endpoint_auth_methods_supported = {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"};
  for (std::size_t i = 0; i < jose::algorithm_count; ++i)
    if (!jose::is_hmac(static_cast<jose::algorithm>(i)))
      m.token_endpoint_auth_signing_alg_values_supported.emplace_back(jose::to_string(static_cast<jose::algorithm>(i)));
  m.revocation_endpoint = st.endpoint("/oauth2/revoke");
  m.revocation_endpoint_auth_methods_supported = m.token_endpoint_auth_methods_supported;
  m.introspection_endpoint = st.endpoint("/oauth2/introspect");
  m.introspection_endpoint_auth_methods_supported = {"client_secret_basic", "client_secret_post", "private_key_jwt"};
  std::set<std::string> scopes;
  for (const auto& [id, c] : clients_) scopes.insert(c.scopes.begin(), c.scopes.end());
  if (openid) scopes.insert("openid");
  m.scopes_supported.assign(scopes.begin(), scopes.end());
  if (openid) {
    m.userinfo_endpoint = st.endpoint("/oauth2/userinfo");
    if (ends_sessions()) m.end_session_endpoint = st.endpoint("/oauth2/logout");
    m.subject_types_supported = {"public"};
    m.id_token_signing_alg_values_supported = {std::string(jose::to_string(keys_.current()->current().alg()))};
    m.claims_supported = {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
                          "azp", "name", "preferred_username", "email"};
  }
  for_each_grant([&](const auto& g) {
    if constexpr (server::describes_metadata<std::decay_t<decltype(g)>, authorization_server>) g.describe(m, *this);
  });
  return m;
}

}  // namespace tessera

#endif
