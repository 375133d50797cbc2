// tessera — oauth/access_token.hpp
//
// The JWT profile for access tokens (RFC 9068), from both sides: what tessera's authorization
// server puts in, and what a resource server (tessera's own, or any other) checks.
//
//   header  typ "at+jwt" (§2.1: a token of another type — an ID token, say — is refused, so
//           one cannot be replayed as the other), kid (RFC 7638 thumbprint)
//   claims  iss, exp, aud, sub, client_id, iat, jti (§2.2, all required); scope (§2.2.3,
//           space-separated) and, for Flyte's resource side, scp (the same as an array);
//           auth_time when a person authenticated
//
// `access_token_profile(v, issuer)` configures a `jose::jwt_validator` for these tokens: the
// exact issuer, the type, and every required claim. The audience is the resource server's own
// business (`v.audience(...)`), as is the leeway; the issuer checks its own tokens without any.
#ifndef TESSERA_OAUTH_ACCESS_TOKEN_HPP
#define TESSERA_OAUTH_ACCESS_TOKEN_HPP

#include <array>
#include <string>
#include <string_view>

namespace tessera::oauth {

/// The `typ` header of RFC 9068 access tokens.
inline constexpr std::string_view access_token_type = "at+jwt";

/// The claims RFC 9068 §2.2 requires of every access token.
inline constexpr std::array<std::string_view, 7> access_token_required_claims{"iss", "exp", "aud", "sub",
                                                                               "client_id", "iat", "jti"};

/// The private claim of tessera's access tokens naming their grant (the refresh-token family
/// they came from): revoking the grant revokes them without any per-token record.
inline constexpr std::string_view grant_id_claim = "grant_id";

/// Flyte's claim of a person's access token holding who they are (flyteadmin's
/// `UserInfoResponse`: subject, name, preferred_username, email, ...).
inline constexpr std::string_view flyte_user_info_claim = "user_info";

/// Configures a JWT validator (`jose::jwt_validator` or any type with the same fluent
/// setters) for RFC 9068 access tokens issued by `issuer`. Returns `v`.
template <class Validator>
Validator& access_token_profile(Validator& v, std::string issuer) {
  v.issuer(std::move(issuer)).type(std::string(access_token_type));
  for (auto claim : access_token_required_claims)
    if (claim != "iss" && claim != "exp") v.require(std::string(claim));  // checked by issuer() and by default
  return v;
}

}  // namespace tessera::oauth

#endif
