// tessera — server/endpoints/metadata.hpp
//
// What the server says about itself — only what really works:
//   GET /.well-known/oauth-authorization-server   RFC 8414
//   GET /.well-known/openid-configuration         OIDC Discovery 1.0 §3 (the server issues
//                                                 ID tokens itself; Flyte redirects to its IdP)
//   GET /oauth2/jwks                              RFC 7517 §5, current key first
//   GET /config/v1/flyte_client                   Flyte's public client configuration
// The metadata document itself is `Server::metadata(openid)`: the server's entries, then what
// each grant adds (`describe`).
#ifndef TESSERA_SERVER_ENDPOINTS_METADATA_HPP
#define TESSERA_SERVER_ENDPOINTS_METADATA_HPP

#include <tessera/oauth/metadata.hpp>
#include <tessera/oauth/responses.hpp>
#include <tessera/server/settings.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace tessera::server {

namespace detail {
inline transport::response public_json(const transport::request& req, const boost::json::value& body) {
  auto res = transport::make_response(req, transport::http::status::ok, boost::json::serialize(body), "application/json");
  res.set(transport::http::field::cache_control, "public, max-age=300");
  return res;
}
}  // namespace detail

template <class Server>
transport::response metadata_endpoint(const Server& s, const transport::request& req, bool openid) {
  return detail::public_json(req, oauth::to_json(s.metadata(openid)));
}

template <class Server>
transport::response jwks_endpoint(const Server& s, const transport::request& req) {
  return detail::public_json(req, s.keys()->jwks());
}

/// Flyte's `PublicClientAuthConfigResponse` as its gRPC gateway answers it: snake_case (the
/// proto's own names) when the request accepts `application/json`, camelCase otherwise; every
/// field present, empty ones too.
inline transport::response flyte_client_response(const flyte_client_settings& f, const transport::request& req) {
  const bool snake =
      std::string_view(req[transport::http::field::accept]).find("application/json") != std::string_view::npos;
  boost::json::object o;
  boost::json::array scopes;
  for (const auto& sc : f.scopes) scopes.emplace_back(sc);
  o[snake ? "client_id" : "clientId"] = f.client_id;
  o[snake ? "redirect_uri" : "redirectUri"] = f.redirect_uri;
  o["scopes"] = std::move(scopes);
  o[snake ? "authorization_metadata_key" : "authorizationMetadataKey"] = f.authorization_metadata_key;
  o[snake ? "service_http_endpoint" : "serviceHttpEndpoint"] = f.service_http_endpoint;
  o["audience"] = f.audience;
  return transport::make_response(req, transport::http::status::ok, boost::json::serialize(o), "application/json");
}

template <class Server>
transport::response flyte_client_endpoint(const Server& s, const transport::request& req) {
  return flyte_client_response(s.settings().flyte_client, req);
}

}  // namespace tessera::server

#endif
