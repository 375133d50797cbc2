// tessera — jose/jwks.hpp
//
// `jwk_set`: the keys a verifier trusts, looked up by `kid` (RFC 7517 §5). A token's `kid`
// only indexes this configured set; keys named by the token itself (`jku`, `x5u`, `jwk`,
// `x5c`) are never fetched or trusted (docs/security.md row 4).
//
// Parsing a JWKS document from an identity provider follows RFC 7517 §5: members that are
// not keys we can use for signatures — an unknown `kty`, `use` other than `sig`, an
// unsupported curve or algorithm — are skipped, not fatal, so an IdP adding an encryption
// key does not break logins. Malformed JSON, a key we should understand but cannot parse,
// a private key in a public document, or a duplicated `kid` are errors.
#ifndef TESSERA_JOSE_JWKS_HPP
#define TESSERA_JOSE_JWKS_HPP

#include <tessera/jose/jwk.hpp>

#include <boost/json/array.hpp>

#include <vector>

namespace tessera::jose {

class jwk_set {
 public:
  jwk_set() = default;
  jwk_set(std::initializer_list<jwk> keys) {
    for (const auto& k : keys) add(k);
  }

  /// Adds a key. An empty key (e.g. the result of a failed import whose error was ignored) is
  /// refused with `jwk_invalid`; a second key with the same non-empty kid with
  /// `jwks_duplicate_kid`.
  void add(jwk key, std::error_code& ec) {
    ec = {};
    if (!key.valid()) {
      ec = error::jwk_invalid;
      return;
    }
    if (!key.kid().empty() && find(key.kid())) {
      ec = error::jwks_duplicate_kid;
      return;
    }
    keys_.push_back(std::move(key));
  }
  void add(jwk key) {
    std::error_code ec;
    add(std::move(key), ec);
    tessera::detail::throw_if(ec);
  }

  /// The key with this kid, or null. Sets are small (a current and a few old keys), so a
  /// linear scan beats hashing.
  const jwk* find(std::string_view kid) const noexcept {
    for (const auto& k : keys_)
      if (k.kid() == kid) return &k;
    return nullptr;
  }

  /// The only key usable with `alg`, for tokens without a kid; null when there are none or
  /// several (then a kid is required to choose).
  const jwk* sole_key_for(algorithm alg, bool& ambiguous) const noexcept {
    const jwk* found = nullptr;
    ambiguous = false;
    for (const auto& k : keys_)
      if (k.alg() == alg) {
        if (found) {
          ambiguous = true;
          return nullptr;
        }
        found = &k;
      }
    return found;
  }

  std::size_t size() const noexcept { return keys_.size(); }
  bool empty() const noexcept { return keys_.empty(); }
  auto begin() const noexcept { return keys_.begin(); }
  auto end() const noexcept { return keys_.end(); }
  const jwk& operator[](std::size_t i) const noexcept { return keys_[i]; }

  /// `{"keys":[...]}` with the public members of every asymmetric key, in order (the current
  /// signing key first, by convention). Shared secrets are never published.
  boost::json::object public_json() const {
    boost::json::array arr;
    for (const auto& k : keys_)
      if (k.kty() != key_type::oct) arr.push_back(k.public_json());
    boost::json::object o;
    o["keys"] = std::move(arr);
    return o;
  }

  /// Parses a public JWKS document (see the header comment for what is skipped).
  static jwk_set parse(const boost::json::value& doc, std::error_code& ec) {
    ec = {};
    jwk_set set;
    const auto* obj = doc.if_object();
    const auto* keys = obj ? obj->if_contains("keys") : nullptr;
    if (!keys || !keys->is_array()) {
      ec = error::jwks_invalid;
      return {};
    }
    for (const auto& entry : keys->get_array()) {
      if (!entry.is_object()) {
        ec = error::jwks_invalid;
        return {};
      }
      const auto& o = entry.get_object();
      for (auto m : {"d", "p", "q", "dp", "dq", "qi", "k"})
        if (o.contains(m)) {
          ec = error::jwk_private_member_in_public_key;
          return {};
        }
      std::error_code kec;
      jwk k = jwk::from_json(o, kec);
      if (kec == error::key_type_unsupported || kec == error::curve_unsupported ||
          kec == error::algorithm_unsupported || kec == error::key_algorithm_mismatch ||
          kec == error::rsa_key_too_small)
        continue;  // not a signature key we use: skip (RFC 7517 §5)
      if (kec) {
        ec = kec;
        return {};
      }
      set.add(std::move(k), ec);
      if (ec) return {};
    }
    return set;
  }
  static jwk_set parse(std::string_view json_text, std::error_code& ec, std::size_t max_size = 1024 * 1024) {
    if (json_text.size() > max_size) {
      ec = error::input_too_large;
      return {};
    }
    boost::json::parse_options opts;
    opts.max_depth = 8;
    boost::json::value v = boost::json::parse(json_text, ec, {}, opts);
    if (ec) {
      ec = error::json_syntax;
      return {};
    }
    return parse(v, ec);
  }
  static jwk_set parse(std::string_view json_text) {
    std::error_code ec;
    auto s = parse(json_text, ec);
    tessera::detail::throw_if(ec);
    return s;
  }

 private:
  std::vector<jwk> keys_;
};

}  // namespace tessera::jose

#endif
