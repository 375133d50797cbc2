// tessera — resource/id_tokens.hpp
//
// ID tokens as bearer credentials, as Flyte's resource side accepts them: a client may send
// `authorization: IDToken <jwt>` (or in `flyte-authorization`) instead of an access token, and
// the service checks it against the identity provider the person logged in with. The token
// must be a valid ID token for this deployment's client id (oauth::id_token_validator: the
// provider's keys and issuer, `aud`/`azp`, `exp`, `iat` within the validator's
// `max_issued_age` — set it to the provider's ID-token lifetime for this use); its nonce is not
// looked at, since no login of this process asked for it.
//
//     oauth::id_token_validator<oauth::remote_jwks<>> idp(keys, {.issuer = ..., .client_id = ...});
//     resource::guard_options g;
//     g.id_tokens = resource::id_token_bearer(idp, {"all"});   // Flyte grants `all` to ID tokens
//
// The caller's claims: `sub` (or the configured subject claims), the issuer, the client id as
// the audience, no client id of its own, `scopes` as given, and the profile claims (name,
// given_name, family_name, email, picture, preferred_username) as `user_info`.
#ifndef TESSERA_RESOURCE_ID_TOKENS_HPP
#define TESSERA_RESOURCE_ID_TOKENS_HPP

#include <tessera/oauth/id_token.hpp>
#include <tessera/resource/claims.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::resource {

/// The `guard_options::id_tokens` check for ID tokens verified by `v`, which must outlive it.
/// `scopes`: what such a caller may do; `subject_claims` as in `claim_options`.
template <class Keys, clock Clock = system_clock>
std::function<std::shared_ptr<const access_claims>(std::string_view, std::error_code&)> id_token_bearer(
    const oauth::id_token_validator<Keys>& v, std::vector<std::string> scopes, std::vector<std::string> subject_claims = {},
    Clock clk = {}) {
  return [&v, scopes = std::move(scopes), subject_claims = std::move(subject_claims), clk](
             std::string_view token, std::error_code& ec) -> std::shared_ptr<const access_claims> {
    oauth::id_token_expectations expect;
    expect.from_this_login = false;
    auto jwt = v.validate(token, expect, ec, clk);
    if (ec) return nullptr;
    auto out = std::make_shared<access_claims>();
    out->source = token_source::id_token;
    out->subject = std::string(jwt.subject());
    for (const auto& name : subject_claims)
      if (auto s = jwt.string_claim(name); !s.empty()) {
        out->subject = std::string(s);
        break;
      }
    out->issuer = std::string(jwt.issuer());
    out->audience = v.options().client_id;
    out->jwt_id = std::string(jwt.jwt_id());
    out->scopes = scopes;
    out->expires_at = jwt.expires_at();
    out->issued_at = jwt.issued_at();
    for (auto name : {"name", "given_name", "family_name", "email", "picture", "preferred_username"})
      if (auto* c = jwt.claims.if_contains(name); c && c->is_string()) out->user_info[name] = *c;
    out->claims = std::move(jwt.claims);
    return out;
  };
}

}  // namespace tessera::resource

#endif
