// tessera — jose/jws.hpp
//
// JWS compact serialization (RFC 7515 §3.1, §7.1): `BASE64URL(header).BASE64URL(payload).
// BASE64URL(signature)`.
//
// * `jws_signer` holds a key and the encoded protected header, built once: `alg` from the
//   key (never from the caller), `kid`, and an optional `typ` (RFC 9068 uses `at+jwt`).
// * `verify_jws` checks a token against a `jwk_set` in this order, each failure its own
//   error: size limit; exactly three segments; header is strict base64url of a JSON object;
//   `alg` present, not "none", registered; no key named by the token (`jku`, `x5u`, `jwk`,
//   `x5c`); `crit` lists only understood extensions; `kid` indexes the set (no kid: the set's
//   only key for that alg); the key's algorithm equals `alg`; optional `typ`; signature
//   length; signature; payload decoding. Nothing is parsed from the payload before the
//   signature verifies.
#ifndef TESSERA_JOSE_JWS_HPP
#define TESSERA_JOSE_JWS_HPP

#include <tessera/jose/jwks.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace tessera::jose {

/// Makes compact JWS tokens with one key. Immutable after construction; share freely.
class jws_signer {
 public:
  jws_signer() = default;
  /// `typ`, when not empty, goes into the header (e.g. "at+jwt", "JWT").
  /// An empty key throws `jwk_invalid`: a signer always holds a key.
  explicit jws_signer(jwk key, std::string_view typ = "JWT") : key_(std::move(key)) {
    if (!key_.valid()) tessera::detail::throw_error(error::jwk_invalid);
    boost::json::object h;
    h["alg"] = to_string(key_.alg());
    if (!key_.kid().empty()) h["kid"] = key_.kid();
    if (!typ.empty()) h["typ"] = typ;
    crypto::base64url_encode(encoded_header_, boost::json::serialize(h));
    encoded_header_.push_back('.');
  }

  const jwk& key() const noexcept { return key_; }

  /// Signs `payload` (raw bytes, usually JSON), writing the token into `out`.
  void sign(std::string_view payload, std::string& out, std::error_code& ec) const {
    out.clear();
    if (!key_.valid()) {  // a default-constructed signer
      ec = error::jwk_invalid;
      return;
    }
    out.reserve(encoded_header_.size() + crypto::base64url_encoded_size(payload.size()) + 2 +
                crypto::base64url_encoded_size(key_.signature_size()));
    out.append(encoded_header_);
    crypto::base64url_encode(out, payload);
    const std::size_t signed_size = out.size();
    out.push_back('.');
    // The signing input is the prefix of `out`; the signature is appended after it. sign()
    // reads the input fully before appending, and `out` has capacity, so no reallocation
    // invalidates the view.
    ec = key_.sign(std::string_view(out.data(), signed_size), out);
    if (ec) out.clear();
  }
  std::string sign(std::string_view payload, std::error_code& ec) const {
    std::string out;
    sign(payload, out, ec);
    return out;
  }
  std::string sign(std::string_view payload) const {
    std::error_code ec;
    auto s = sign(payload, ec);
    tessera::detail::throw_if(ec);
    return s;
  }

 private:
  jwk key_;
  std::string encoded_header_;  // base64url(header) + '.'
};

struct jws_verify_options {
  /// Tokens longer than this are refused before any decoding (docs/security.md row 21).
  std::size_t max_token_size = 16 * 1024;
  /// Header parameters named in `crit` that the caller understands and checks itself.
  std::vector<std::string> understood_critical;
  /// When not empty, the header's `typ` must equal this (RFC 8725 §3.11), compared
  /// case-insensitively with an optional "application/" prefix (RFC 7515 §4.1.9).
  std::string required_typ;
  /// Flyte's tokens put the key id in a `key_id` header instead of `kid`; accept it when
  /// `kid` is absent. It still only indexes the configured set.
  bool accept_key_id_header = false;
};

/// A token whose signature verified.
struct verified_jws {
  boost::json::object header;
  std::string payload;
  algorithm alg{};
  const jwk* key = nullptr;  // points into the jwk_set passed to verify_jws
};

namespace detail {

/// `name == literal`, as a length test and a fixed-size compare that are expanded in place
/// whatever the inliner decides about `std::operator==`. (When a larger validator made GCC
/// stop inlining that operator, every header and claim name scanned below cost a call to
/// memcmp: about 480 instructions, 1.7 %, of an HS256 verification.)
template <std::size_t N>
[[gnu::always_inline]] inline bool is_name(std::string_view name, const char (&literal)[N]) noexcept {
  return name.size() == N - 1 && std::memcmp(name.data(), literal, N - 1) == 0;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

inline bool typ_matches(std::string_view got, std::string_view want) noexcept {
  constexpr std::string_view app = "application/";
  auto strip = [&](std::string_view s) {
    return s.size() > app.size() && iequals(s.substr(0, app.size()), app) ? s.substr(app.size()) : s;
  };
  return iequals(strip(got), strip(want));
}

}  // namespace detail

/// Verifies a compact JWS against `keys`. See the header comment for the order of checks.
inline verified_jws verify_jws(std::string_view token, const jwk_set& keys, const jws_verify_options& opt,
                               std::error_code& ec) {
  ec = {};
  verified_jws out;
  auto fail = [&](error e) {
    ec = e;
    return verified_jws{};
  };
  if (token.size() > opt.max_token_size) return fail(error::token_too_large);
  const std::size_t d1 = token.find('.');
  const std::size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos || d1 == 0)
    return fail(error::jws_malformed);
  const std::string_view h64 = token.substr(0, d1), p64 = token.substr(d1 + 1, d2 - d1 - 1),
                         s64 = token.substr(d2 + 1);

  // Header.
  std::string header_text;
  std::error_code dec;
  crypto::base64url_decode(header_text, h64, dec);
  if (dec) return fail(error::jws_header_invalid);
  boost::json::parse_options popts;
  popts.max_depth = 8;
  boost::json::value hv = boost::json::parse(header_text, dec, {}, popts);
  if (dec || !hv.is_object()) return fail(error::jws_header_invalid);
  out.header = std::move(hv.get_object());
  const boost::json::object& h = out.header;

  // One pass over the header finds every member the checks below read (each lookup by name
  // would scan the object again).
  const boost::json::value *alg_v = nullptr, *kid_v = nullptr, *key_id_v = nullptr, *typ_v = nullptr,
                           *crit_v = nullptr, *b64_v = nullptr;
  bool names_a_key = false;  // jku, x5u, jwk or x5c
  for (const auto& m : h) {
    const std::string_view name = m.key();
    using detail::is_name;
    if (is_name(name, "alg")) alg_v = &m.value();
    else if (is_name(name, "kid")) kid_v = &m.value();
    else if (is_name(name, "typ")) typ_v = &m.value();
    else if (is_name(name, "crit")) crit_v = &m.value();
    else if (is_name(name, "b64")) b64_v = &m.value();
    else if (is_name(name, "key_id")) key_id_v = &m.value();
    else if (is_name(name, "jku") || is_name(name, "x5u") || is_name(name, "jwk") || is_name(name, "x5c"))
      names_a_key = true;
  }

  if (!alg_v) return fail(error::jws_alg_missing);
  if (!alg_v->is_string()) return fail(error::jws_header_invalid);
  auto alg = parse_algorithm(alg_v->get_string(), ec);
  if (ec) return fail(ec == error::jws_alg_none ? error::jws_alg_none : error::jws_alg_not_allowed);
  out.alg = *alg;

  if (names_a_key) return fail(error::jws_header_key_reference);

  if (crit_v) {
    // RFC 7515 §4.1.11: a non-empty array of names, each understood.
    if (!crit_v->is_array() || crit_v->get_array().empty()) return fail(error::jws_header_invalid);
    for (const auto& name : crit_v->get_array()) {
      if (!name.is_string()) return fail(error::jws_header_invalid);
      std::string_view n = name.get_string();
      if (n == "b64") return fail(error::jws_b64_unsupported);
      if (std::find(opt.understood_critical.begin(), opt.understood_critical.end(), n) ==
          opt.understood_critical.end())
        return fail(error::jws_crit_unsupported);
      if (!h.contains(n)) return fail(error::jws_header_invalid);
    }
  }
  if (b64_v && !(b64_v->is_bool() && b64_v->get_bool())) return fail(error::jws_b64_unsupported);

  // Key selection: the kid indexes the configured set, nothing else.
  const jwk* key = nullptr;
  if (!kid_v && opt.accept_key_id_header) kid_v = key_id_v;
  if (kid_v) {
    if (!kid_v->is_string()) return fail(error::jws_header_invalid);
    key = keys.find(kid_v->get_string());
    if (!key) return fail(error::jws_kid_unknown);
  } else {
    bool ambiguous = false;
    key = keys.sole_key_for(out.alg, ambiguous);
    if (!key) return fail(ambiguous ? error::jws_key_ambiguous : error::jws_kid_unknown);
  }
  if (key->alg() != out.alg) return fail(error::jws_alg_not_allowed);

  if (!opt.required_typ.empty() &&
      !(typ_v && typ_v->is_string() && detail::typ_matches(typ_v->get_string(), opt.required_typ)))
    return fail(error::typ_mismatch);

  // Signature.
  if (crypto::base64url_decoded_size(s64.size()) != key->signature_size() || s64.size() % 4 == 1)
    return fail(error::signature_length);
  std::array<unsigned char, 1024> sig;
  if (crypto::detail::decode_unpadded(s64, sig.data(), crypto::detail::base64url_table))
    return fail(error::signature_invalid);
  if (auto e = key->verify(token.substr(0, d2), std::span<const unsigned char>(sig.data(), key->signature_size())))
    return fail(e == error::crypto_failure ? error::crypto_failure : error::signature_invalid);

  crypto::base64url_decode(out.payload, p64, dec);
  if (dec) return fail(error::jws_malformed);
  out.key = key;
  return out;
}

inline verified_jws verify_jws(std::string_view token, const jwk_set& keys, const jws_verify_options& opt = {}) {
  std::error_code ec;
  auto r = verify_jws(token, keys, opt, ec);
  tessera::detail::throw_if(ec);
  return r;
}

/// The result points into `keys`, so a temporary set would leave `verified_jws::key`
/// dangling: keep the set alive and pass it by name.
verified_jws verify_jws(std::string_view, const jwk_set&&, const jws_verify_options&, std::error_code&) = delete;
verified_jws verify_jws(std::string_view, const jwk_set&&, const jws_verify_options& = {}) = delete;

}  // namespace tessera::jose

#endif
