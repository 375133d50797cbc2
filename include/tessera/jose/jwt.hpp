// tessera — jose/jwt.hpp
//
// JSON Web Tokens (RFC 7519) over JWS: signing a claims object, and `basic_jwt_validator`,
// which verifies the signature (jws.hpp) against the keys of a key source (key_source.hpp)
// and then the registered claims:
//
//   iss  exact match against the accepted issuers (RFC 7519 §4.1.1), or a configured tenant
//        template (issuer.hpp); checked when configured: issuer_missing, issuer_mismatch,
//        issuer_tenant_not_allowed
//   aud  a string or an array of strings; any one accepted audience suffices (§4.1.3;
//        checked when configured: audience_missing, audience_mismatch)
//   exp  required by default (expiration_missing); now >= exp + leeway → token_expired (§4.1.4)
//   nbf  now + leeway < nbf → token_not_yet_valid (§4.1.5)
//   iat  iat > now + leeway → token_issued_in_future; with max_age, iat is required
//        (issued_at_missing) and now - iat > max_age + leeway → token_too_old (§4.1.6)
//   typ  the JWS header's typ, e.g. "at+jwt" for RFC 9068 access tokens
//
// plus required claims, a maximum token size and the JWS checks, then the application's own
// claim checks (`check`), in the order they were added. Each failure is its own `error`.
//
// A validator is configured once, then `validate` is const and thread-safe: share one
// validator across threads. `jwt_validator` (a fixed `jwk_set`) is the common case;
// `shared_jwt_validator` reads a `shared_key_set` that a JWKS fetcher replaces while tokens
// are being validated. An unknown `kid` fails with `jws_kid_unknown` and nothing else (the
// cue for such a fetcher to refresh, rate-limited, and retry once).
#ifndef TESSERA_JOSE_JWT_HPP
#define TESSERA_JOSE_JWT_HPP

#include <tessera/clock.hpp>
#include <tessera/jose/issuer.hpp>
#include <tessera/jose/jws.hpp>
#include <tessera/jose/key_source.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serializer.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

namespace tessera::jose {

/// Signs a claims object with `signer`.
inline std::string sign_jwt(const jws_signer& signer, const boost::json::object& claims, std::error_code& ec) {
  // Serialize into a stack buffer first: claims sets are small.
  boost::json::serializer sr;
  sr.reset(&claims);
  char buf[2048];
  std::string payload;
  while (!sr.done()) payload.append(sr.read(buf));
  return signer.sign(payload, ec);
}
inline std::string sign_jwt(const jws_signer& signer, const boost::json::object& claims) {
  std::error_code ec;
  auto s = sign_jwt(signer, claims, ec);
  tessera::detail::throw_if(ec);
  return s;
}

namespace detail {
/// A NumericDate claim: integer or fractional seconds (RFC 7519 §2), truncated.
inline std::optional<std::int64_t> numeric_date(const boost::json::value& v) noexcept {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX) ? std::nullopt
                                                                                   : std::optional<std::int64_t>(v.get_uint64());
  if (v.is_double()) {
    double d = v.get_double();
    if (!std::isfinite(d) || d > 9.2e18 || d < -9.2e18) return std::nullopt;
    return static_cast<std::int64_t>(std::floor(d));
  }
  return std::nullopt;
}
}  // namespace detail

/// A NumericDate value (RFC 7519 §2: whole or fractional seconds since the epoch) as a time
/// point, saturated to [earliest_time, latest_time] (clock.hpp); nullopt when `v` is not a
/// number of seconds within int64. For claims of JWTs and of introspection answers alike.
inline std::optional<time_point> numeric_date(const boost::json::value& v) noexcept {
  auto s = detail::numeric_date(v);
  if (!s) return std::nullopt;
  return from_unix_seconds(*s);
}

/// A token that passed every check. Claims are the decoded payload object.
struct verified_jwt {
  boost::json::object header;
  boost::json::object claims;
  algorithm alg{};
  /// The key that verified the signature. With a `static_key_set` it points into the
  /// validator's set (the validator must outlive this result); with a `shared_key_set` into
  /// `key_owner`, which this result keeps alive across any number of key rotations.
  const jwk* key = nullptr;
  /// The snapshot `key` belongs to when the key source can replace its keys; empty otherwise.
  std::shared_ptr<const jwk_set> key_owner;

  /// A string claim, or empty when absent or not a string.
  std::string_view string_claim(std::string_view name) const noexcept {
    auto* v = claims.if_contains(name);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
  }
  std::string_view issuer() const noexcept { return string_claim("iss"); }
  std::string_view subject() const noexcept { return string_claim("sub"); }
  std::string_view jwt_id() const noexcept { return string_claim("jti"); }

  /// A NumericDate claim as a time point, or nullopt when absent or not a number of seconds
  /// within int64. Saturates to [earliest_time, latest_time] (clock.hpp): an `exp` of
  /// 2^63 - 1 is `latest_time`, a date that survives `+ seconds(60)`.
  std::optional<time_point> date_claim(std::string_view name) const noexcept {
    auto* v = claims.if_contains(name);
    return v ? jose::numeric_date(*v) : std::nullopt;
  }
  /// `exp`: when the token stops being valid (the claim itself, without the validator's leeway).
  std::optional<time_point> expires_at() const noexcept { return date_claim("exp"); }
  /// `iat`: when the token was issued.
  std::optional<time_point> issued_at() const noexcept { return date_claim("iat"); }
  /// `nbf`: when the token starts being valid (the claim itself, without the leeway).
  std::optional<time_point> not_before() const noexcept { return date_claim("nbf"); }
};

/// An application's extra check of verified claims: leaves `ec` clear to accept, sets it to
/// refuse. See `basic_jwt_validator::check`.
using claim_check = std::function<void(const boost::json::object& claims, std::error_code& ec)>;

template <key_source KeySource = static_key_set>
class basic_jwt_validator {
 public:
  using key_source_type = KeySource;

  /// Reads keys from `keys` (a `shared_key_set` handle shares its snapshot with every copy).
  explicit basic_jwt_validator(KeySource keys) : keys_(std::move(keys)) {}
  /// Builds the key source from a set: for `jwt_validator`, the set it owns; for
  /// `shared_jwt_validator`, a new snapshot (reach it through `source()` to update it).
  explicit basic_jwt_validator(jwk_set keys)
    requires(!std::same_as<KeySource, jwk_set> && std::constructible_from<KeySource, jwk_set>)
      : keys_(std::move(keys)) {}

  /// Accept tokens from this issuer, exactly (call again to accept several, e.g. Google's two
  /// forms).
  basic_jwt_validator& issuer(std::string iss) {
    issuers_.push_back(std::move(iss));
    return *this;
  }
  /// Accept tokens whose issuer fits a tenant template with an allowed tenant (issuer.hpp).
  /// Combines with exact issuers: a token is accepted when any of them accepts it. When an
  /// issuer fits a template but names another tenant the cause is issuer_tenant_not_allowed.
  basic_jwt_validator& issuer(tenant_issuer t) {
    tenant_issuers_.push_back(std::move(t));
    return *this;
  }
  /// Accept tokens whose `aud` contains this value (call again for any-of).
  basic_jwt_validator& audience(std::string aud) {
    audiences_.push_back(std::move(aud));
    return *this;
  }
  /// Clock skew tolerated on exp, nbf and iat. Default 60 s.
  basic_jwt_validator& leeway(seconds s) {
    leeway_ = s.count();
    return *this;
  }
  /// Require the header's typ (RFC 8725 §3.11), e.g. "at+jwt".
  basic_jwt_validator& type(std::string typ) {
    jws_.required_typ = std::move(typ);
    return *this;
  }
  /// Require a claim to be present.
  basic_jwt_validator& require(std::string claim) {
    required_.push_back(std::move(claim));
    return *this;
  }
  /// Refuse tokens without exp (the default) or accept them.
  basic_jwt_validator& require_expiry(bool yes) {
    require_exp_ = yes;
    return *this;
  }
  /// Refuse tokens issued (iat) longer ago than this; makes iat required.
  basic_jwt_validator& max_age(seconds s) {
    max_age_ = s.count();
    return *this;
  }
  basic_jwt_validator& max_token_size(std::size_t n) {
    jws_.max_token_size = n;
    return *this;
  }
  basic_jwt_validator& understand_critical(std::string name) {
    jws_.understood_critical.push_back(std::move(name));
    return *this;
  }
  basic_jwt_validator& accept_key_id_header(bool yes) {
    jws_.accept_key_id_header = yes;
    return *this;
  }

  /// Adds a check `f(const boost::json::object& claims, std::error_code& ec)` that runs after
  /// every standard check passed, in the order added; the first to set `ec` decides, and
  /// `validate` reports that code unchanged. Use `error::claim_check_failed` (or another
  /// invalid_token cause such as `claim_missing`, `claim_type`) so the failure reaches the
  /// wire as `invalid_token`; a foreign error_code would surface as `server_error`.
  ///
  /// Thread safety: `validate` calls the checks from every thread that validates, at once.
  /// A check is therefore called as const — a `mutable` lambda does not compile — and must
  /// not touch shared state without its own synchronisation. An exception thrown by a check
  /// propagates out of `validate`, even out of the `error_code` overload.
  ///
  ///     validator.check([](const boost::json::object& claims, std::error_code& ec) {
  ///       auto* tid = claims.if_contains("tid");
  ///       if (!tid || !tid->is_string()) ec = tessera::error::claim_check_failed;
  ///     });
  template <class F>
    requires std::copy_constructible<F> && std::invocable<const F&, const boost::json::object&, std::error_code&> &&
             std::is_void_v<std::invoke_result_t<const F&, const boost::json::object&, std::error_code&>>
  basic_jwt_validator& check(F f) {
    checks_.emplace_back([f = std::move(f)](const boost::json::object& claims, std::error_code& ec) { f(claims, ec); });
    return *this;
  }

  /// The key source (for a `shared_key_set`, a handle whose `update` reaches this validator).
  const KeySource& source() const noexcept { return keys_; }
  /// The fixed set of a `jwt_validator`.
  const jwk_set& keys() const noexcept
    requires std::same_as<KeySource, static_key_set>
  {
    return keys_.keys();
  }

  template <clock Clock = system_clock>
  verified_jwt validate(std::string_view token, std::error_code& ec, const Clock& clk = {}) const {
    verified_jwt out;
    auto fail = [&](error e) {
      ec = e;
      return verified_jwt{};
    };
    // One snapshot for the whole verification: an update() meanwhile does not change the
    // keys under it, and the result keeps the snapshot its key came from.
    key_snapshot snap = keys_.snapshot();
    verified_jws jws = verify_jws(token, *snap.keys, jws_, ec);
    if (ec) return {};
    boost::json::parse_options popts;
    popts.max_depth = 32;
    boost::json::value v = boost::json::parse(jws.payload, ec, {}, popts);
    if (ec) return fail(error::claims_invalid);
    if (!v.is_object()) return fail(error::claims_invalid);
    out.claims = std::move(v.get_object());
    const auto& c = out.claims;
    const std::int64_t now = to_unix_seconds(clk.now());

    // One pass over the claims finds the registered ones the checks below read (each lookup
    // by name would scan the object again).
    const boost::json::value *iss = nullptr, *aud = nullptr, *exp = nullptr, *nbf = nullptr, *iat = nullptr;
    for (const auto& m : c) {
      const std::string_view name = m.key();
      if (name.size() != 3) continue;
      using detail::is_name;
      if (is_name(name, "iss")) iss = &m.value();
      else if (is_name(name, "aud")) aud = &m.value();
      else if (is_name(name, "exp")) exp = &m.value();
      else if (is_name(name, "nbf")) nbf = &m.value();
      else if (is_name(name, "iat")) iat = &m.value();
    }

    if (!issuers_.empty() || !tenant_issuers_.empty()) {
      if (!iss) return fail(error::issuer_missing);
      if (!iss->is_string()) return fail(error::claim_type);
      if (auto e = check_issuer(iss->get_string()); e != error{}) return fail(e);
    }
    if (!audiences_.empty()) {
      if (!aud) return fail(error::audience_missing);
      bool ok = false;
      auto accepted = [&](const boost::json::value& a) {
        return a.is_string() &&
               std::find(audiences_.begin(), audiences_.end(), std::string_view(a.get_string())) != audiences_.end();
      };
      if (aud->is_string()) {
        ok = accepted(*aud);
      } else if (aud->is_array()) {
        for (const auto& a : aud->get_array()) {
          if (!a.is_string()) return fail(error::claim_type);
          ok = ok || accepted(a);
        }
      } else {
        return fail(error::claim_type);
      }
      if (!ok) return fail(error::audience_mismatch);
    }
    if (exp) {
      auto t = detail::numeric_date(*exp);
      if (!t) return fail(error::claim_type);
      // Claim values may be anywhere in int64: keep them alone on one side, so nothing
      // computed from them can overflow (exp near INT64_MAX, iat near INT64_MIN).
      if (*t <= now - leeway_) return fail(error::token_expired);
    } else if (require_exp_) {
      return fail(error::expiration_missing);
    }
    if (nbf) {
      auto t = detail::numeric_date(*nbf);
      if (!t) return fail(error::claim_type);
      if (now + leeway_ < *t) return fail(error::token_not_yet_valid);
    }
    if (iat) {
      auto t = detail::numeric_date(*iat);
      if (!t) return fail(error::claim_type);
      if (*t > now + leeway_) return fail(error::token_issued_in_future);
      if (max_age_ && *t < now - *max_age_ - leeway_) return fail(error::token_too_old);
    } else if (max_age_) {
      return fail(error::issued_at_missing);
    }
    for (const auto& name : required_)
      if (!c.contains(name)) return fail(error::claim_missing);
    for (const auto& check : checks_) {
      check(c, ec);
      if (ec) return {};
    }

    out.header = std::move(jws.header);
    out.alg = jws.alg;
    out.key = jws.key;
    out.key_owner = std::move(snap.owner);
    return out;
  }

  template <clock Clock = system_clock>
  verified_jwt validate(std::string_view token, const Clock& clk = {}) const {
    std::error_code ec;
    auto r = validate(token, ec, clk);
    tessera::detail::throw_if(ec);
    return r;
  }

  /// The issuer rule on its own, for claims that did not come in a JWT (an introspection
  /// answer): `error{}` when `iss` is accepted, else `issuer_mismatch` or
  /// `issuer_tenant_not_allowed`. Exact issuers first, then each template; "fits a template but
  /// not an allowed tenant" wins over a plain mismatch so the log says which it was.
  error check_issuer(std::string_view s) const noexcept {
    if (std::find(issuers_.begin(), issuers_.end(), s) != issuers_.end()) return error{};
    error why = error::issuer_mismatch;
    for (const auto& t : tenant_issuers_) {
      const std::error_code e = t.check(s);
      if (!e) return error{};
      if (e == error::issuer_tenant_not_allowed) why = error::issuer_tenant_not_allowed;
    }
    return why;
  }

 private:
  KeySource keys_;
  jws_verify_options jws_;
  std::vector<std::string> issuers_, audiences_, required_;
  std::vector<tenant_issuer> tenant_issuers_;
  std::vector<claim_check> checks_;
  std::int64_t leeway_ = 60;
  std::optional<std::int64_t> max_age_;
  bool require_exp_ = true;
};

/// Validates against a fixed `jwk_set` owned by the validator (the common case).
using jwt_validator = basic_jwt_validator<static_key_set>;
/// Validates against a `shared_key_set` that can be updated while tokens are validated.
using shared_jwt_validator = basic_jwt_validator<shared_key_set>;

}  // namespace tessera::jose

#endif
