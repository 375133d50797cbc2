// tessera — oauth/id_token.hpp
//
// OpenID Connect ID tokens from the relying party's side (OIDC Core §3.1.3.7), shared by the
// identity layer (people logging in through an external IdP) and the client (a CLI that asks
// for `openid`); and `token_hash`, the `at_hash`/`c_hash` computation both sides need.
//
// `id_token_validator<Keys>` checks, in this order, each failure its own cause:
//   signature   by a key of `Keys` (fixed, shared, or oauth::remote_jwks — see
//               validate_with_refresh), only with the algorithms configured (`algorithms`,
//               default RS256, OIDC's default), never `alg: none`
//   typ         absent or "JWT": an RFC 9068 access token (`at+jwt`) is not an ID token
//               (docs/security.md row 5)
//   iss         exactly the provider's issuer, or a tenant template (Azure AD)
//   aud         contains the client id; every other entry must be in `trusted_audiences`
//               (`id_token_audience_untrusted`)
//   azp         when present it must be the client id; with several audiences it must be
//               present (`id_token_azp_missing`, `id_token_azp_mismatch`)
//   exp, iat    required; exp with `leeway`; iat not in the future, and not older than
//               `max_issued_age` (10 min: an ID token is used at once)
//   sub         required, a string of 1–255 characters (§2)
//   nonce       equal to the one this login sent, when it sent one; a token carrying a nonce
//               when none was sent is refused too (`id_token_nonce_mismatch`); not looked at
//               for a token presented on its own (`from_this_login` false)
//   auth_time   required and recent enough when the login asked for `max_age`
//               (`id_token_auth_time_missing`, `id_token_auth_too_old`)
//   at_hash     when the token carries it and an access token came with it, it must match
//               (`id_token_at_hash_mismatch`); `require_at_hash` makes it mandatory
#ifndef TESSERA_OAUTH_ID_TOKEN_HPP
#define TESSERA_OAUTH_ID_TOKEN_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/hash.hpp>
#include <tessera/error.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/oauth/remote_jwks.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::oauth {

/// OIDC Core §3.1.3.6 / §3.3.2.11: the base64url of the left half of the hash of `token`, with
/// the hash of `alg` (SHA-256 for *256, SHA-384 for *384, SHA-512 for *512 and for EdDSA with
/// Ed25519, as certified relying parties compute it).
inline std::string token_hash(jose::algorithm alg, std::string_view token) {
  std::string half;
  auto take = [&](const auto& d) { half.assign(reinterpret_cast<const char*>(d.data()), d.size() / 2); };
  switch (jose::hash_of(alg)) {
    case jose::hash_kind::sha384: take(crypto::sha384(token)); break;
    case jose::hash_kind::sha512:
    case jose::hash_kind::none: take(crypto::sha512(token)); break;
    default: take(crypto::sha256(token)); break;
  }
  return crypto::base64url_encode(half);
}

struct id_token_options {
  /// The provider's issuer (exact), and/or tenant templates.
  std::string issuer{};
  /// Other spellings of the same issuer accepted exactly (Google's `accounts.google.com`).
  std::vector<std::string> also_issuers{};
  std::vector<jose::tenant_issuer> tenant_issuers{};
  /// This relying party's client id: must be in `aud`.
  std::string client_id{};
  /// Other audiences the client trusts to appear beside its own.
  std::vector<std::string> trusted_audiences{};
  /// The signing algorithms accepted (the provider's `id_token_signing_alg_values_supported`
  /// this client registered for).
  std::vector<jose::algorithm> algorithms{jose::algorithm::RS256};
  seconds leeway{60};
  /// Oldest `iat` accepted.
  seconds max_issued_age{600};
  bool require_at_hash = false;
};

/// What this login expects of its token.
struct id_token_expectations {
  /// The nonce the authorization request carried; empty: none was sent.
  std::string nonce{};
  /// The `max_age` the authorization request carried, if any.
  std::optional<seconds> max_age{};
  /// The access token returned with the ID token, for `at_hash`; empty: none.
  std::string access_token{};
  /// Whether the token answers a login this process started (then `nonce` is checked both
  /// ways). False for an ID token presented on its own as a credential (Flyte's `IDToken`
  /// scheme): its nonce belonged to another party's login and is not looked at.
  bool from_this_login = true;
};

/// `config_value_invalid` when `o` names no issuer, no client id, or no algorithm.
inline std::error_code check_options(const id_token_options& o) noexcept {
  if ((o.issuer.empty() && o.tenant_issuers.empty()) || o.client_id.empty() || o.algorithms.empty())
    return error::config_value_invalid;
  return {};
}

template <jose::key_source Keys = jose::static_key_set>
class id_token_validator {
 public:
  /// Throws `tessera::system_error` (`config_value_invalid`) for options `check_options` refuses.
  id_token_validator(Keys keys, id_token_options options) : options_(std::move(options)), jwt_(std::move(keys)) {
    tessera::detail::throw_if(check_options(options_));
    if (!options_.issuer.empty()) jwt_.issuer(options_.issuer);
    for (const auto& i : options_.also_issuers) jwt_.issuer(i);
    for (const auto& t : options_.tenant_issuers) jwt_.issuer(t);
    jwt_.audience(options_.client_id).require("sub").require("iat").leeway(options_.leeway).max_age(options_.max_issued_age);
  }

  /// The verified token, or `ec` (see the header comment).
  template <clock Clock = system_clock>
  jose::verified_jwt validate(std::string_view token, const id_token_expectations& expect, std::error_code& ec,
                              const Clock& clk = {}) const {
    jose::verified_jwt jwt = validate_with_refresh(jwt_, token, ec, clk);
    if (ec) return {};
    auto fail = [&](error e) {
      ec = e;
      return jose::verified_jwt{};
    };
    if (std::find(options_.algorithms.begin(), options_.algorithms.end(), jwt.alg) == options_.algorithms.end())
      return fail(error::jws_alg_not_allowed);
    if (auto* typ = jwt.header.if_contains("typ")) {
      if (!typ->is_string() || !(boost::beast::iequals(std::string_view(typ->get_string()), "JWT") ||
                                 boost::beast::iequals(std::string_view(typ->get_string()), "application/jwt")))
        return fail(error::typ_mismatch);
    }
    const auto& c = jwt.claims;
    // aud: the client, and only audiences it trusts beside it.
    std::size_t audiences = 1;
    if (const auto* aud = c.if_contains("aud"); aud && aud->is_array()) {
      audiences = aud->get_array().size();
      for (const auto& a : aud->get_array()) {
        const std::string_view v = a.get_string();  // strings: the JWT validator checked the type
        if (v != options_.client_id &&
            std::find(options_.trusted_audiences.begin(), options_.trusted_audiences.end(), v) ==
                options_.trusted_audiences.end())
          return fail(error::id_token_audience_untrusted);
      }
    }
    if (const auto* azp = c.if_contains("azp")) {
      if (!azp->is_string()) return fail(error::claim_type);
      if (azp->get_string() != options_.client_id) return fail(error::id_token_azp_mismatch);
    } else if (audiences > 1) {
      return fail(error::id_token_azp_missing);
    }
    const auto* sub = c.if_contains("sub");
    if (!sub->is_string() || sub->get_string().empty() || sub->get_string().size() > 255) return fail(error::claim_type);
    // nonce: exactly the one sent; none when none was sent.
    const auto* nonce = c.if_contains("nonce");
    if (!expect.from_this_login) {
      // presented on its own: no login of ours to bind it to
    } else if (!expect.nonce.empty()) {
      if (!nonce) return fail(error::id_token_nonce_missing);
      if (!nonce->is_string() || !crypto::constant_time_equal(std::string_view(nonce->get_string()), expect.nonce))
        return fail(error::id_token_nonce_mismatch);
    } else if (nonce) {
      return fail(error::id_token_nonce_mismatch);
    }
    if (expect.max_age) {
      auto auth_time = jwt.date_claim("auth_time");
      if (!auth_time) return fail(error::id_token_auth_time_missing);
      if (*auth_time + *expect.max_age + options_.leeway < clk.now()) return fail(error::id_token_auth_too_old);
    }
    const auto* at_hash = c.if_contains("at_hash");
    if (at_hash && !expect.access_token.empty()) {
      if (!at_hash->is_string() ||
          !crypto::constant_time_equal(std::string_view(at_hash->get_string()), token_hash(jwt.alg, expect.access_token)))
        return fail(error::id_token_at_hash_mismatch);
    } else if (options_.require_at_hash && !expect.access_token.empty()) {
      return fail(error::id_token_at_hash_mismatch);
    }
    return jwt;
  }

  const id_token_options& options() const noexcept { return options_; }
  const Keys& keys() const noexcept { return jwt_.source(); }

 private:
  id_token_options options_;
  jose::basic_jwt_validator<Keys> jwt_;
};

}  // namespace tessera::oauth

#endif
