// tessera — server/endpoints/metadata.hpp
//
// What the server says about itself — only what really works:
//   GET /.well-known/oauth-authorization-server   RFC 8414
//   GET /.well-known/openid-configuration         OIDC Discovery 1.0 §3 (the server issues
//                                                 ID tokens itself; Flyte redirects to its IdP)
//   GET /oauth2/jwks                              RFC 7517 §5, current key first
//   GET /config/v1/flyte_client                   Flyte's public client configuration
#ifndef TESSERA_SERVER_ENDPOINTS_METADATA_HPP
#define TESSERA_SERVER_ENDPOINTS_METADATA_HPP

#include <tessera/jose/algorithm.hpp>
#include <tessera/server/responses.hpp>

#include <boost/json/array.hpp>

#include <set>

namespace tessera::server {

template <class Server>
boost::json::object authorization_server_metadata(const Server& s, bool openid) {
  const auto& st = s.settings();
  auto strings = [](auto&& range) {
    boost::json::array a;
    for (const auto& v : range) a.emplace_back(std::string_view(v));
    return a;
  };
  boost::json::object m;
  m["issuer"] = st.issuer;
  if constexpr (Server::has_code_grant) {
    m["authorization_endpoint"] = st.endpoint("/oauth2/authorize");
    m["response_types_supported"] = strings(std::array{"code"});
    m["response_modes_supported"] = strings(std::array{"query"});
    m["code_challenge_methods_supported"] = strings(std::array{"S256"});
    m["authorization_response_iss_parameter_supported"] = true;
  }
  m["token_endpoint"] = st.endpoint("/oauth2/token");
  m["jwks_uri"] = st.endpoint("/oauth2/jwks");
  m["grant_types_supported"] = strings(Server::grant_types());
  const auto auth_methods = strings(std::array{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"});
  boost::json::array assertion_algs;
  for (std::size_t i = 0; i < jose::algorithm_count; ++i)
    if (!jose::is_hmac(static_cast<jose::algorithm>(i)))
      assertion_algs.emplace_back(jose::to_string(static_cast<jose::algorithm>(i)));
  m["token_endpoint_auth_methods_supported"] = auth_methods;
  m["token_endpoint_auth_signing_alg_values_supported"] = assertion_algs;
  m["revocation_endpoint"] = st.endpoint("/oauth2/revoke");
  m["revocation_endpoint_auth_methods_supported"] = auth_methods;
  m["introspection_endpoint"] = st.endpoint("/oauth2/introspect");
  m["introspection_endpoint_auth_methods_supported"] =
      strings(std::array{"client_secret_basic", "client_secret_post", "private_key_jwt"});
  if constexpr (Server::has_device_grant) m["device_authorization_endpoint"] = st.endpoint("/oauth2/device/authorize");
  std::set<std::string> scopes;
  for (const auto& [id, c] : s.clients()) scopes.insert(c.scopes.begin(), c.scopes.end());
  if (openid) scopes.insert("openid");
  m["scopes_supported"] = strings(scopes);
  if (openid) {
    m["userinfo_endpoint"] = st.endpoint("/oauth2/userinfo");
    m["subject_types_supported"] = strings(std::array{"public"});
    m["id_token_signing_alg_values_supported"] = strings(std::array{jose::to_string(s.keys().current().alg())});
    m["claims_supported"] = strings(std::array{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
                                               "azp", "name", "preferred_username", "email"});
  }
  return m;
}

template <class Server>
response metadata_endpoint(const Server& s, const request& req, bool openid) {
  auto res = transport::make_response(req, beast_http::status::ok, boost::json::serialize(authorization_server_metadata(s, openid)),
                                      "application/json");
  res.set(beast_http::field::cache_control, "public, max-age=300");
  return res;
}

template <class Server>
response jwks_endpoint(const Server& s, const request& req) {
  auto res = transport::make_response(req, beast_http::status::ok, boost::json::serialize(s.keys().jwks()), "application/json");
  res.set(beast_http::field::cache_control, "public, max-age=300");
  return res;
}

template <class Server>
response flyte_client_endpoint(const Server& s, const request& req) {
  const auto& f = s.settings().flyte_client;
  boost::json::object o;
  o["client_id"] = f.client_id;
  o["redirect_uri"] = f.redirect_uri;
  boost::json::array scopes;
  for (const auto& sc : f.scopes) scopes.emplace_back(sc);
  o["scopes"] = std::move(scopes);
  o["authorization_metadata_key"] = f.authorization_metadata_key;
  o["audience"] = f.audience.empty() ? s.settings().issuer : f.audience;
  o["service_http_endpoint"] = s.settings().issuer;
  return transport::make_response(req, beast_http::status::ok, boost::json::serialize(o), "application/json");
}

}  // namespace tessera::server

#endif
