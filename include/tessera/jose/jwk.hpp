// tessera — jose/jwk.hpp
//
// `jwk`: one signing or verification key, bound to exactly one algorithm (RFC 8725 §3.1), so
// a token's header can never choose how its key is used (CVE-2016-10555). Keys are parsed
// once — from PEM (PKCS#1, PKCS#8, SEC1, SubjectPublicKeyInfo, X.509 certificate), from a JWK
// (RFC 7517/7518, RFC 8037), from a shared secret, or generated — and are then immutable:
// copies share the parsed key, and a `jwk` is safe to use from many threads at once.
//
// Accepted: RSA of 2048–8192 bits (RS*/PS*), EC on P-256/P-384/P-521 with the matching
// ES* algorithm, Ed25519 (EdDSA), HMAC secrets at least as long as the hash (HS*).
// The `kid` defaults to the RFC 7638 SHA-256 thumbprint of asymmetric keys; shared secrets
// get no default kid (a hash of a secret is not something to publish).
#ifndef TESSERA_JOSE_JWK_HPP
#define TESSERA_JOSE_JWK_HPP

#include <tessera/jose/detail/jwk_json.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>

namespace tessera::jose {

class jwk {
 public:
  /// An empty key; `valid()` is false. Only assignment and destruction are meaningful.
  jwk() = default;

  /// Parses a PEM key or certificate and binds it to `alg`.
  static jwk from_pem(std::string_view pem, algorithm alg, std::error_code& ec) {
    ec = {};
    auto pkey = detail::parse_pem(pem);
    if (!pkey) {
      crypto::detail::clear_openssl_errors();
      ec = error::pem_invalid;
      return {};
    }
    return adopt(std::move(pkey), alg, ec);
  }
  static jwk from_pem(std::string_view pem, algorithm alg) {
    std::error_code ec;
    return throwing(from_pem(pem, alg, ec), ec);
  }

  /// Reads a JWK object. `alg` binds a key that has no `alg` member; without either, the
  /// algorithm follows from the key type (RS256, ES256/384/512 by curve, EdDSA); oct keys
  /// must name theirs. A JWK whose `alg` contradicts the given one is refused, as is one
  /// whose `use` is not `sig`.
  static jwk from_json(const boost::json::object& o, std::error_code& ec, std::optional<algorithm> alg = {}) {
    ec = {};
    auto kty_name = detail::string_member(o, "kty", ec);
    if (ec) return {};
    if (!kty_name) return fail(ec, error::jwk_missing_member);
    key_type kty;
    if (*kty_name == "RSA") kty = key_type::RSA;
    else if (*kty_name == "EC") kty = key_type::EC;
    else if (*kty_name == "OKP") kty = key_type::OKP;
    else if (*kty_name == "oct") kty = key_type::oct;
    else return fail(ec, error::key_type_unsupported);

    if (auto use = detail::string_member(o, "use", ec); ec || (use && *use != "sig"))
      return fail(ec, error::key_algorithm_mismatch);
    auto alg_name = detail::string_member(o, "alg", ec);
    if (ec) return {};
    std::optional<algorithm> bound = alg;
    if (alg_name) {
      auto named = parse_algorithm(*alg_name, ec);
      if (ec) return {};
      if (bound && *bound != *named) return fail(ec, error::key_algorithm_mismatch);
      bound = named;
    }
    if (!bound) bound = detail::default_algorithm(kty, o);
    if (!bound) return fail(ec, kty == key_type::oct ? error::jwk_missing_member : error::curve_unsupported);
    if (required_key_type(*bound) != kty) return fail(ec, error::key_algorithm_mismatch);

    auto kid = detail::string_member(o, "kid", ec);
    if (ec) return {};
    jwk k;
    if (kty == key_type::oct) {
      detail::secure_string secret{detail::bytes_member(o, "k", ec)};
      if (ec) return {};
      k = from_secret(secret.s, *bound, ec);
    } else {
      crypto::detail::pkey_ptr pkey = kty == key_type::RSA ? detail::rsa_from_jwk(o, ec)
                                 : kty == key_type::EC ? detail::ec_from_jwk(o, ec)
                                                       : detail::okp_from_jwk(o, ec);
      if (ec) return {};
      k = adopt(std::move(pkey), *bound, ec);
    }
    if (ec) return {};
    if (kid && !kid->empty()) k.kid_ = std::string(*kid);  // an empty kid names nothing
    return k;
  }
  static jwk from_json(std::string_view json_text, std::error_code& ec, std::optional<algorithm> alg = {}) {
    boost::json::parse_options opts;
    opts.max_depth = 8;
    boost::json::value v = boost::json::parse(json_text, ec, {}, opts);
    if (ec) return fail(ec, error::json_syntax);
    if (!v.is_object()) return fail(ec, error::json_not_object);
    return from_json(v.get_object(), ec, alg);
  }
  static jwk from_json(std::string_view json_text, std::optional<algorithm> alg = {}) {
    std::error_code ec;
    return throwing(from_json(json_text, ec, alg), ec);
  }

  /// An HMAC key from raw secret bytes (not base64).
  static jwk from_secret(std::string_view secret, algorithm alg, std::error_code& ec) {
    ec = {};
    auto st = std::make_shared<detail::key_state>();
    if ((ec = detail::adopt_secret(*st, secret, alg))) return {};
    jwk k;
    k.state_ = std::move(st);
    return k;
  }
  static jwk from_secret(std::string_view secret, algorithm alg) {
    std::error_code ec;
    return throwing(from_secret(secret, alg, ec), ec);
  }

  /// A fresh key: RSA 2048, the algorithm's curve, Ed25519, or a random secret of the hash size.
  static jwk generate(algorithm alg, std::error_code& ec) {
    ec = {};
    if (is_hmac(alg)) {
      std::string secret(hash_size(hash_of(alg)), '\0');
      crypto::random_bytes(std::span(reinterpret_cast<unsigned char*>(secret.data()), secret.size()), ec);
      if (ec) return {};
      auto k = from_secret(secret, alg, ec);
      OPENSSL_cleanse(secret.data(), secret.size());
      return k;
    }
    auto pkey = detail::generate_pkey(alg);
    if (!pkey) return fail(ec, error::crypto_failure);
    return adopt(std::move(pkey), alg, ec);
  }
  static jwk generate(algorithm alg) {
    std::error_code ec;
    return throwing(generate(alg, ec), ec);
  }

  bool valid() const noexcept { return state_ != nullptr; }
  explicit operator bool() const noexcept { return valid(); }

  algorithm alg() const noexcept { return state_->alg; }
  key_type kty() const noexcept { return state_->kty; }
  bool has_private_key() const noexcept { return state_->has_private; }
  /// Bytes in a raw signature made by this key.
  std::size_t signature_size() const noexcept { return state_->signature_size; }
  const std::string& kid() const noexcept { return kid_; }

  /// The same key material under another `kid`.
  jwk with_kid(std::string kid) const {
    jwk k = *this;
    k.kid_ = std::move(kid);
    return k;
  }

  /// RFC 7638 thumbprint (SHA-256, base64url).
  std::string thumbprint() const { return state_->kty == key_type::oct ? detail::thumbprint_of(*state_) : state_->thumbprint; }

  /// The public JWK: kty, use "sig", alg, kid and the public members. Never any private
  /// member; for an oct key (which has no public form) only kty, alg and kid.
  boost::json::object public_json() const {
    boost::json::object o;
    o["kty"] = to_string(kty());
    o["use"] = "sig";
    o["alg"] = to_string(alg());
    if (!kid_.empty()) o["kid"] = kid_;
    if (kty() != key_type::oct) {
      auto m = detail::read_public_members(*state_);
      if (kty() == key_type::RSA) {
        o["n"] = m.n;
        o["e"] = m.e;
      } else {
        o["crv"] = m.crv;
        o["x"] = m.x;
        if (kty() == key_type::EC) o["y"] = m.y;
      }
    }
    return o;
  }

  /// The public key alone, in SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  std::string public_pem() const { return write_pem(false); }
  /// The private key as unencrypted PKCS#8 PEM; empty for public keys and oct keys. Whoever
  /// writes it to disk must make the file readable by its owner only.
  std::string private_pem() const { return has_private_key() ? write_pem(true) : std::string(); }
  /// An RSA private key as PKCS#1 PEM ("-----BEGIN RSA PRIVATE KEY-----"), the form Flyte
  /// writes and the only one its parser reads; empty for other key types and public keys.
  std::string private_pem_pkcs1() const {
    return has_private_key() && kty() == key_type::RSA ? write_pem(true, true) : std::string();
  }

  /// The same key without its private part (for verification-only sets).
  jwk public_key() const {
    if (!has_private_key() || kty() == key_type::oct) return *this;
    std::error_code ec;
    jwk k = from_pem(public_pem(), alg(), ec);
    k.kid_ = kid_;
    return k;
  }

  /// Signs `signing_input`, appending the base64url signature to `out`.
  std::error_code sign(std::string_view signing_input, std::string& out) const {
    return detail::sign(*state_, signing_input, out);
  }
  /// Verifies a raw signature; its length is checked first.
  std::error_code verify(std::string_view signing_input, std::span<const unsigned char> signature) const {
    return detail::verify(*state_, signing_input, signature);
  }

  /// Same key material (ignores kid).
  friend bool same_key(const jwk& a, const jwk& b) noexcept { return a.state_ == b.state_; }

 private:
  static jwk adopt(crypto::detail::pkey_ptr pkey, algorithm alg, std::error_code& ec) {
    auto st = std::make_shared<detail::key_state>();
    if ((ec = detail::adopt_pkey(*st, std::move(pkey), alg))) return {};
    st->thumbprint = detail::thumbprint_of(*st);
    if (st->thumbprint.empty()) return fail(ec, error::crypto_failure);
    jwk k;
    k.kid_ = st->thumbprint;
    k.state_ = std::move(st);
    return k;
  }
  static jwk fail(std::error_code& ec, error e) {
    ec = e;
    return {};
  }
  static jwk throwing(jwk k, const std::error_code& ec) {
    tessera::detail::throw_if(ec);
    return k;
  }
  std::string write_pem(bool priv, bool traditional = false) const {
    if (kty() == key_type::oct) return {};
    crypto::detail::bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio) return {};
    int ok = !priv       ? PEM_write_bio_PUBKEY(bio.get(), state_->pkey.get())
             : traditional ? PEM_write_bio_PrivateKey_traditional(bio.get(), state_->pkey.get(), nullptr, nullptr, 0,
                                                                  nullptr, nullptr)
                           : PEM_write_bio_PrivateKey(bio.get(), state_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
    if (ok != 1) return {};
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    std::string out(data, static_cast<std::size_t>(len));
    if (priv) OPENSSL_cleanse(data, static_cast<std::size_t>(len));
    return out;
  }

  std::shared_ptr<const detail::key_state> state_;
  std::string kid_;
};

}  // namespace tessera::jose

#endif
