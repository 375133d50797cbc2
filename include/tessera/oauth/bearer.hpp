// tessera — oauth/bearer.hpp
//
// Finding the token a request presents (RFC 6750 §2.1), as Flyte accepts it: in the
// `Authorization` header or in Flyte's own header (`flyte-authorization`, configurable as
// `httpAuthorizationHeader` — gRPC-web and some proxies swallow `Authorization`), under the
// scheme `Bearer` (an access token) or `IDToken` (an ID token that Flyte's resource side
// validates against the IdP instead). Schemes compare case-insensitively; one or more spaces
// separate scheme and token.
//
// Tokens are never logged or echoed by this layer; callers decide what a scheme may do
// (userinfo takes `Bearer` only).
#ifndef TESSERA_OAUTH_BEARER_HPP
#define TESSERA_OAUTH_BEARER_HPP

#include <tessera/transport/message.hpp>

#include <boost/beast/core/string.hpp>

#include <array>
#include <optional>
#include <string_view>

namespace tessera::oauth {

/// Flyte's default extra header (`httpAuthorizationHeader`).
inline constexpr std::string_view flyte_authorization_header = "flyte-authorization";

enum class token_scheme {
  bearer,    // "Bearer": an access token (RFC 6750)
  id_token,  // "IDToken": an OpenID Connect ID token (Flyte)
};

/// The token of one header field and its scheme.
struct presented_token {
  token_scheme scheme;
  std::string_view token;  // points into the request
};

/// Parses one `Authorization`-style header value: `<scheme> <token>`. nullopt for another
/// scheme, or no token.
inline std::optional<presented_token> parse_authorization(std::string_view value) noexcept {
  auto space = value.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto scheme = value.substr(0, space);
  auto token = value.substr(space);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) return std::nullopt;
  if (boost::beast::iequals(scheme, "Bearer")) return presented_token{token_scheme::bearer, token};
  if (boost::beast::iequals(scheme, "IDToken")) return presented_token{token_scheme::id_token, token};
  return std::nullopt;
}

/// The first token the request presents, looking at `Authorization` first and then at
/// `extra_header` (empty: none). nullopt when neither carries a known scheme.
inline std::optional<presented_token> presented_token_of(const transport::request& req,
                                                         std::string_view extra_header = flyte_authorization_header) {
  const std::array<std::string_view, 2> values{
      std::string_view(req[transport::http::field::authorization]),
      extra_header.empty() ? std::string_view() : std::string_view(req[extra_header])};
  for (auto v : values)
    if (auto t = parse_authorization(v)) return t;
  return std::nullopt;
}

/// The `Bearer` token of a request (an access token), or "" when it presents none.
inline std::string_view bearer_token(const transport::request& req,
                                     std::string_view extra_header = flyte_authorization_header) {
  const std::array<std::string_view, 2> values{
      std::string_view(req[transport::http::field::authorization]),
      extra_header.empty() ? std::string_view() : std::string_view(req[extra_header])};
  for (auto v : values)
    if (auto t = parse_authorization(v); t && t->scheme == token_scheme::bearer) return t->token;
  return {};
}

}  // namespace tessera::oauth

#endif
