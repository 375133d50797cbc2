// tessera — client/server_info.hpp
//
// What a client learns from the server before a flow, as Flyte's clients learn it over HTTP:
//  * the authorization server's metadata at `<endpoint>/.well-known/oauth-authorization-server`
//    (flyteadmin relays it there, also in External mode), falling back to
//    `/.well-known/openid-configuration` when that is 404 (a plain OpenID provider);
//  * Flyte's public client configuration at `<endpoint>/config/v1/flyte_client`, asked with
//    `Accept: application/json`, in snake_case or in the camelCase Flyte's gRPC gateway
//    answers with otherwise. Absent (404) on servers that are not Flyte's. Its strings must be
//    printable ASCII and its scopes scope tokens (they are shown, and sent back).
//
// The metadata's issuer is *not* required to be the endpoint: flyteadmin relays the metadata of
// an external authorization server whose issuer is another URL. It is required to be present,
// and the PKCE flow then holds the browser's `iss` to it (RFC 9207). Every endpoint the flows
// will send a secret or a code to must be https or loopback http (`url_insecure`), unless
// `allow_http` is set.
#ifndef TESSERA_CLIENT_SERVER_INFO_HPP
#define TESSERA_CLIENT_SERVER_INFO_HPP

#include <tessera/detail/json.hpp>
#include <tessera/error.hpp>
#include <tessera/oauth/discovery.hpp>
#include <tessera/oauth/metadata.hpp>
#include <tessera/transport/any_client.hpp>

#include <boost/json/parse.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::client {

/// Flyte's `/config/v1/flyte_client` (flyteidl `PublicClientAuthConfigResponse`).
struct flyte_client_config {
  std::string client_id;
  std::string redirect_uri;
  std::vector<std::string> scopes;
  std::string authorization_metadata_key;
  std::string service_http_endpoint;
  std::string audience;
};

struct server_info {
  oauth::server_metadata metadata;
  std::optional<flyte_client_config> flyte;
};

namespace detail {

inline std::string join_url(std::string_view base, std::string_view path) {
  std::string u(oauth::detail::without_trailing_slash(base));
  u += path;
  return u;
}

inline transport::response get_json(const transport::any_sync_client& http, const std::string& url,
                                    std::error_code& ec) {
  transport::request req{transport::http::verb::get, "/", 11};
  req.set(transport::http::field::accept, "application/json");
  return http.send(std::move(req), url, ec);
}

/// Reads a flyte_client document in either spelling. False when it is not one.
inline bool read_flyte_client(std::string_view body, flyte_client_config& out) {
  boost::json::value doc;
  const auto* o = tessera::detail::parse_bounded_object(body, 64 * 1024, 8, doc);
  if (!o) return false;
  auto str = [&](std::string_view snake, std::string_view camel, std::string& dst) {
    const auto* v = o->if_contains(snake);
    if (!v) v = o->if_contains(camel);
    if (!v || v->is_null()) return true;
    if (!v->is_string() || v->get_string().size() > 4096) return false;
    for (char c : v->get_string())  // shown on terminals and sent in requests: printable ASCII
      if (c < 0x20 || c > 0x7e) return false;
    dst = std::string(v->get_string());
    return true;
  };
  if (!str("client_id", "clientId", out.client_id) || !str("redirect_uri", "redirectUri", out.redirect_uri) ||
      !str("authorization_metadata_key", "authorizationMetadataKey", out.authorization_metadata_key) ||
      !str("service_http_endpoint", "serviceHttpEndpoint", out.service_http_endpoint) ||
      !str("audience", "audience", out.audience))
    return false;
  if (const auto* s = o->if_contains("scopes"); s && !s->is_null()) {
    const auto* a = s->if_array();
    if (!a || a->size() > 64) return false;
    for (const auto& e : *a) {
      if (!e.is_string() || e.get_string().empty() || e.get_string().size() > 256) return false;
      for (char c : e.get_string())  // a scope token (RFC 6749 §3.3)
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
      out.scopes.emplace_back(e.get_string());
    }
  }
  return true;
}

}  // namespace detail

/// The two documents (see the header comment). `fetch_flyte_client` false skips the second.
/// `ec`: `url_invalid`, `url_insecure`, the transport's error, `http_status_unexpected`,
/// `metadata_invalid`; a flyte_client answer that is present (200) but malformed is
/// `metadata_invalid` too.
inline server_info discover_server(const transport::any_sync_client& http, std::string_view endpoint, bool allow_http,
                                   bool fetch_flyte_client, std::error_code& ec) {
  server_info info;
  oauth::detail::require_secure(endpoint, allow_http, ec);
  if (ec) return {};
  auto res = detail::get_json(http, detail::join_url(endpoint, "/.well-known/oauth-authorization-server"), ec);
  if (!ec && res.result() == transport::http::status::not_found)
    res = detail::get_json(http, detail::join_url(endpoint, "/.well-known/openid-configuration"), ec);
  if (ec) return {};
  if (res.result() != transport::http::status::ok) {
    ec = error::http_status_unexpected;
    return {};
  }
  boost::json::value doc;
  if (!tessera::detail::parse_bounded_object(res.body(), 256 * 1024, 16, doc)) {
    ec = error::metadata_invalid;
    return {};
  }
  info.metadata = oauth::metadata_from_json(doc, ec);
  if (ec) return {};
  for (const std::string* url : {&info.metadata.token_endpoint, &info.metadata.authorization_endpoint,
                                 &info.metadata.device_authorization_endpoint, &info.metadata.revocation_endpoint,
                                 &info.metadata.userinfo_endpoint}) {
    if (url->empty()) continue;
    oauth::detail::require_secure(*url, allow_http, ec);
    if (ec) return {};
  }
  if (!fetch_flyte_client) return info;
  auto fc = detail::get_json(http, detail::join_url(endpoint, "/config/v1/flyte_client"), ec);
  if (ec) return {};
  if (fc.result() == transport::http::status::ok) {
    flyte_client_config c;
    if (!detail::read_flyte_client(fc.body(), c)) {
      ec = error::metadata_invalid;
      return {};
    }
    info.flyte = std::move(c);
  }
  return info;
}

}  // namespace tessera::client

#endif
