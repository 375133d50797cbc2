// tessera — resource/validator.hpp
//
// `resource::validator<Keys, Clock>`: accepts or refuses the bearer token of a request to a
// resource server — a token issued by tessera or by any other authorization server (Okta,
// Auth0, Keycloak, Azure AD: Flyte's External mode) — and says who the caller is
// (`access_claims`, claims.hpp).
//
// A JWT (three dot-separated parts) is verified locally:
//   signature   by a key of `Keys` (a jose key source: a fixed set, a shared set, or a
//               `remote_jwks` that follows the issuer's rotation — an unknown `kid` makes it
//               fetch, rate-limited, and the token is tried once more; when no key set could
//               ever be fetched the cause is `jwks_unavailable`, 503 on the wire, not a
//               verdict on the token)
//   iss         exactly `issuer` (or a tenant template); Flyte never checked it
//   aud         one of `audiences` (required: a resource server must name itself)
//   exp/nbf/iat with `leeway`; `typ` when `token_type` is set ("at+jwt" for RFC 9068 servers)
//   claims      read per `claim_options`; application checks (`check`) last
//   revocation  when configured (`revocation(...)`, or `introspection(..., check_jwts)`)
// Anything else is opaque and goes to RFC 7662 introspection when configured
// (`introspection`), else fails with `token_opaque_unsupported`.
//
// Accepted tokens are cached (token_cache.hpp): the next request with the same token costs a
// keyed hash and a lookup. An entry lives until the token's `exp` and at most
// `cache.max_age`, which therefore also bounds how long a revoked token is still accepted.
// Refusals are not cached: made-up tokens cannot evict good entries.
//
// `validate` is const and thread-safe; share one validator between all request threads. A
// validator is movable, not copyable (its cache is its own).
#ifndef TESSERA_RESOURCE_VALIDATOR_HPP
#define TESSERA_RESOURCE_VALIDATOR_HPP

#include <tessera/clock.hpp>
#include <tessera/error.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/resource/claims.hpp>
#include <tessera/resource/introspection.hpp>
#include <tessera/oauth/remote_jwks.hpp>
#include <tessera/resource/token_cache.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::resource {

// The shared pieces (oauth/remote_jwks.hpp) under the names resource code uses.
using oauth::refresh_outcome;
using oauth::remote_jwks;
using oauth::remote_jwks_options;

struct validator_options {
  /// The exact `iss` accepted (required unless `tenant_issuers` is set).
  std::string issuer{};
  /// Multi-tenant issuers (jose/issuer.hpp), accepted beside `issuer`.
  std::vector<jose::tenant_issuer> tenant_issuers{};
  /// `aud` values accepted (any one suffices); at least one is required.
  std::vector<std::string> audiences{};
  /// The JWS `typ` required, e.g. "at+jwt"; empty: any.
  std::string token_type{};
  /// Claims every token must carry, beyond `exp` (and `iss`/`aud`, checked above).
  std::vector<std::string> required_claims{};
  seconds leeway{60};
  std::size_t max_token_size = 16 * 1024;
  claim_options claims{};
  cache_options cache{};
};

/// `config_value_invalid` when `o` names no issuer (exact or tenant template), no audience, or
/// an empty one; otherwise nothing. The validator refuses to exist with such options.
inline std::error_code check_options(const validator_options& o) noexcept {
  if ((o.issuer.empty() && o.tenant_issuers.empty()) || o.audiences.empty()) return error::config_value_invalid;
  for (const auto& a : o.audiences)
    if (a.empty()) return error::config_value_invalid;
  return {};
}

/// Decides whether an accepted token has been revoked since (true: refuse it with
/// `token_revoked`); sets `ec` when it cannot tell, and the token is refused with that cause.
using revocation_check = std::function<bool(const access_claims&, std::error_code&)>;

template <jose::key_source Keys = jose::static_key_set, clock Clock = system_clock>
class validator {
 public:
  using key_source_type = Keys;
  using claims_ptr = std::shared_ptr<const access_claims>;

  /// Throws `tessera::system_error` (`config_value_invalid`, see `check_options`) for options
  /// that name no issuer or no audience: such a validator would accept every issuer's tokens,
  /// or tokens meant for any service.
  validator(Keys keys, validator_options options, Clock clk = {})
      : options_(std::move(options)), clock_(std::move(clk)), jwt_(std::move(keys)),
        cache_(std::make_unique<token_cache<access_claims>>(options_.cache.max_entries)) {
    tessera::detail::throw_if(check_options(options_));
    if (!options_.issuer.empty()) jwt_.issuer(options_.issuer);
    for (const auto& t : options_.tenant_issuers) jwt_.issuer(t);
    for (const auto& a : options_.audiences) jwt_.audience(a);
    if (!options_.token_type.empty()) jwt_.type(options_.token_type);
    for (const auto& c : options_.required_claims) jwt_.require(c);
    jwt_.leeway(options_.leeway).max_token_size(options_.max_token_size);
  }

  /// Sends opaque tokens to `client`; with `check_jwts`, also every JWT that passed the local
  /// checks (revocation at the server: an inactive answer is `token_revoked`).
  validator& introspection(introspection_client client, bool check_jwts = false) {
    introspection_ = std::move(client);
    introspect_jwts_ = check_jwts;
    return *this;
  }
  /// Checks every accepted JWT against `f` (e.g. the authorization server's deny-list when it
  /// runs in this process: `deny_list(store)`, self.hpp).
  validator& revocation(revocation_check f) {
    revocation_ = std::move(f);
    return *this;
  }
  /// An application check of the verified claims (jose::basic_jwt_validator::check).
  template <class F>
  validator& check(F f) {
    jwt_.check(std::move(f));
    return *this;
  }

  /// The caller's claims, or null with `ec` set (see the header comment for the causes).
  claims_ptr validate(std::string_view token, std::error_code& ec) const {
    ec = {};
    if (token.empty()) return fail(ec, error::token_missing);
    if (token.size() > options_.max_token_size) return fail(ec, error::token_too_large);
    const time_point now = clock_.now();
    if (auto hit = cache_->find(token, now)) return hit;

    claims_ptr out = std::count(token.begin(), token.end(), '.') == 2 ? validate_jwt(token, ec)
                                                                       : validate_opaque(token, now, ec);
    if (ec) return nullptr;
    time_point until = now + options_.cache.max_age;
    if (out->expires_at) until = std::min(until, *out->expires_at);
    cache_->insert(token, out, until, now);
    return out;
  }

  /// Throwing overload (`tessera::system_error`).
  claims_ptr validate(std::string_view token) const {
    std::error_code ec;
    auto c = validate(token, ec);
    tessera::detail::throw_if(ec);
    return c;
  }

  const validator_options& options() const noexcept { return options_; }
  const Keys& keys() const noexcept { return jwt_.source(); }
  const jose::basic_jwt_validator<Keys>& jwt_validator() const noexcept { return jwt_; }
  /// The cache of accepted tokens (e.g. to `clear` it after a revocation).
  token_cache<access_claims>& cache() const noexcept { return *cache_; }
  const Clock& clock() const noexcept { return clock_; }

  /// Whether `aud` is one of the accepted audiences.
  bool accepts_audience(std::string_view aud) const noexcept {
    return std::find(options_.audiences.begin(), options_.audiences.end(), aud) != options_.audiences.end();
  }

 private:
  static claims_ptr fail(std::error_code& ec, error e) {
    ec = e;
    return nullptr;
  }

  claims_ptr validate_jwt(std::string_view token, std::error_code& ec) const {
    jose::verified_jwt jwt = oauth::validate_with_refresh(jwt_, token, ec, clock_);
    if (ec) return nullptr;

    auto out = std::make_shared<access_claims>();
    out->source = token_source::jwt;
    read_access_claims(jwt.claims, options_.claims, [this](std::string_view a) { return accepts_audience(a); }, *out, ec);
    if (ec) return nullptr;
    out->claims = std::move(jwt.claims);
    if (revocation_) {
      const bool revoked = revocation_(*out, ec);
      if (ec) return nullptr;
      if (revoked) return fail(ec, error::token_revoked);
    }
    if (introspection_ && introspect_jwts_) {
      introspection_->introspect(token, ec);
      if (ec == error::token_inactive) ec = error::token_revoked;
      if (ec) return nullptr;
    }
    return out;
  }

  claims_ptr validate_opaque(std::string_view token, time_point now, std::error_code& ec) const {
    if (!introspection_) return fail(ec, error::token_opaque_unsupported);
    boost::json::object answer = introspection_->introspect(token, ec);
    if (ec) return nullptr;
    // A refresh token is active too (tessera's server and others answer for both kinds); a
    // DPoP-bound token (`token_type` DPoP) is not a bearer token and needs its proof
    // (docs/security.md row 42).
    if (auto* type = answer.if_contains("token_type")) {
      const std::string_view t = type->is_string() ? std::string_view(type->get_string()) : std::string_view("?");
      if (!boost::beast::iequals(t, "bearer") && !boost::beast::iequals(t, "access_token"))
        return fail(ec, error::token_not_access_token);
    }
    // The answer speaks for the server; its claims get the checks a JWT's would.
    auto out = std::make_shared<access_claims>();
    out->source = token_source::introspection;
    read_access_claims(answer, options_.claims, [this](std::string_view a) { return accepts_audience(a); }, *out, ec);
    if (ec) return nullptr;
    if (!out->issuer.empty())
      if (auto e = jwt_.check_issuer(out->issuer); e != error{}) return fail(ec, e);
    if (!answer.contains("aud")) return fail(ec, error::audience_missing);
    if (out->audience.empty()) return fail(ec, error::audience_mismatch);
    const auto leeway = options_.leeway;
    if (out->expires_at && *out->expires_at + leeway <= now) return fail(ec, error::token_expired);
    if (auto* nbf = answer.if_contains("nbf"))
      if (auto t = jose::numeric_date(*nbf); t && now + leeway < *t) return fail(ec, error::token_not_yet_valid);
    out->claims = std::move(answer);
    return out;
  }

  validator_options options_;
  Clock clock_;
  jose::basic_jwt_validator<Keys> jwt_;
  std::unique_ptr<token_cache<access_claims>> cache_;  // never null; a pointer keeps the validator movable
  std::optional<introspection_client> introspection_;
  bool introspect_jwts_ = false;
  revocation_check revocation_;
};

}  // namespace tessera::resource

#endif
