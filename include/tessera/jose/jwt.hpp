// tessera — jose/jwt.hpp
//
// JSON Web Tokens (RFC 7519) over JWS: signing a claims object, and `jwt_validator`, which
// verifies the signature (jws.hpp) and then the registered claims:
//
//   iss  exact match against the accepted issuers (RFC 7519 §4.1.1; checked when configured:
//        issuer_missing, issuer_mismatch)
//   aud  a string or an array of strings; any one accepted audience suffices (§4.1.3;
//        checked when configured: audience_missing, audience_mismatch)
//   exp  required by default (expiration_missing); now >= exp + leeway → token_expired (§4.1.4)
//   nbf  now + leeway < nbf → token_not_yet_valid (§4.1.5)
//   iat  iat > now + leeway → token_issued_in_future; with max_age, iat is required
//        (issued_at_missing) and now - iat > max_age + leeway → token_too_old (§4.1.6)
//   typ  the JWS header's typ, e.g. "at+jwt" for RFC 9068 access tokens
//
// plus required claims, a maximum token size and the JWS checks. Each failure is its own
// `error`. A validator is configured once, then `validate` is const and thread-safe.
#ifndef TESSERA_JOSE_JWT_HPP
#define TESSERA_JOSE_JWT_HPP

#include <tessera/clock.hpp>
#include <tessera/jose/jws.hpp>

#include <boost/json/serializer.hpp>

#include <cmath>
#include <optional>

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

/// A token that passed every check. Claims are the decoded payload object.
struct verified_jwt {
  boost::json::object header;
  boost::json::object claims;
  algorithm alg{};
  const jwk* key = nullptr;

  /// A string claim, or empty when absent or not a string.
  std::string_view string_claim(std::string_view name) const noexcept {
    auto* v = claims.if_contains(name);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
  }
  std::string_view issuer() const noexcept { return string_claim("iss"); }
  std::string_view subject() const noexcept { return string_claim("sub"); }
  std::string_view jwt_id() const noexcept { return string_claim("jti"); }
};

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

class jwt_validator {
 public:
  explicit jwt_validator(jwk_set keys) : keys_(std::move(keys)) {}

  /// Accept tokens from this issuer (call again to accept several, e.g. Google's two forms).
  jwt_validator& issuer(std::string iss) {
    issuers_.push_back(std::move(iss));
    return *this;
  }
  /// Accept tokens whose `aud` contains this value (call again for any-of).
  jwt_validator& audience(std::string aud) {
    audiences_.push_back(std::move(aud));
    return *this;
  }
  /// Clock skew tolerated on exp, nbf and iat. Default 60 s.
  jwt_validator& leeway(seconds s) {
    leeway_ = s.count();
    return *this;
  }
  /// Require the header's typ (RFC 8725 §3.11), e.g. "at+jwt".
  jwt_validator& type(std::string typ) {
    jws_.required_typ = std::move(typ);
    return *this;
  }
  /// Require a claim to be present.
  jwt_validator& require(std::string claim) {
    required_.push_back(std::move(claim));
    return *this;
  }
  /// Refuse tokens without exp (the default) or accept them.
  jwt_validator& require_expiry(bool yes) {
    require_exp_ = yes;
    return *this;
  }
  /// Refuse tokens issued (iat) longer ago than this; makes iat required.
  jwt_validator& max_age(seconds s) {
    max_age_ = s.count();
    return *this;
  }
  jwt_validator& max_token_size(std::size_t n) {
    jws_.max_token_size = n;
    return *this;
  }
  jwt_validator& understand_critical(std::string name) {
    jws_.understood_critical.push_back(std::move(name));
    return *this;
  }
  jwt_validator& accept_key_id_header(bool yes) {
    jws_.accept_key_id_header = yes;
    return *this;
  }

  const jwk_set& keys() const noexcept { return keys_; }

  template <clock Clock = system_clock>
  verified_jwt validate(std::string_view token, std::error_code& ec, const Clock& clk = {}) const {
    verified_jwt out;
    auto fail = [&](error e) {
      ec = e;
      return verified_jwt{};
    };
    verified_jws jws = verify_jws(token, keys_, jws_, ec);
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
      if (name == "iss") iss = &m.value();
      else if (name == "aud") aud = &m.value();
      else if (name == "exp") exp = &m.value();
      else if (name == "nbf") nbf = &m.value();
      else if (name == "iat") iat = &m.value();
    }

    if (!issuers_.empty()) {
      if (!iss) return fail(error::issuer_missing);
      if (!iss->is_string()) return fail(error::claim_type);
      std::string_view s = iss->get_string();
      if (std::find(issuers_.begin(), issuers_.end(), s) == issuers_.end()) return fail(error::issuer_mismatch);
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

    out.header = std::move(jws.header);
    out.alg = jws.alg;
    out.key = jws.key;
    return out;
  }

  template <clock Clock = system_clock>
  verified_jwt validate(std::string_view token, const Clock& clk = {}) const {
    std::error_code ec;
    auto r = validate(token, ec, clk);
    tessera::detail::throw_if(ec);
    return r;
  }

 private:
  jwk_set keys_;
  jws_verify_options jws_;
  std::vector<std::string> issuers_, audiences_, required_;
  std::int64_t leeway_ = 60;
  std::optional<std::int64_t> max_age_;
  bool require_exp_ = true;
};

}  // namespace tessera::jose

#endif
