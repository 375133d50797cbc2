// tessera — server/impl/authorization_server.hpp: the route table.
#ifndef TESSERA_SERVER_IMPL_AUTHORIZATION_SERVER_HPP
#define TESSERA_SERVER_IMPL_AUTHORIZATION_SERVER_HPP

#include <tessera/server/authorization_server.hpp>
#include <tessera/server/endpoints/authorize.hpp>
#include <tessera/server/endpoints/device.hpp>
#include <tessera/server/endpoints/metadata.hpp>
#include <tessera/server/endpoints/token.hpp>

namespace tessera {

template <class Traits, server::grant_policy... Grants>
void authorization_server<Traits, Grants...>::install(transport::router& r) const {
  using transport::request;
  using transport::request_context;
  using verb = boost::beast::http::verb;
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
  if constexpr (has_code_grant) {
    r.add({verb::get, verb::post}, "/oauth2/authorize",
          [s](const request& q, const request_context& c) { return server::authorize_endpoint(*s, q, c); });
    r.get("/oauth2/authorize_callback",
          [s](const request& q, const request_context& c) { return server::authorize_callback_endpoint(*s, q, c); });
  }
  if constexpr (has_device_grant) {
    r.post("/oauth2/device/authorize",
           [s](const request& q, const request_context& c) { return server::device_authorization_endpoint(*s, q, c); });
    r.add({verb::get, verb::post}, "/oauth2/device",
          [s](const request& q, const request_context& c) { return server::device_verification_endpoint(*s, q, c); });
  }
}

}  // namespace tessera

#endif
