// tessera — jose/detail/key_import.hpp: building a key_state from PEM, from JWK members,
// from a shared secret, or freshly generated; and reading the public members back out.
#ifndef TESSERA_JOSE_DETAIL_KEY_IMPORT_HPP
#define TESSERA_JOSE_DETAIL_KEY_IMPORT_HPP

#include <tessera/crypto/random.hpp>
#include <tessera/jose/detail/key_state.hpp>

#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::jose::detail {

inline constexpr std::size_t min_rsa_bits = 2048;
inline constexpr std::size_t max_rsa_bits = 8192;

// The JOSE name of a curve, its coordinate size, and OpenSSL's group name.
struct curve_info {
  std::string_view jose_name;
  std::string_view openssl_name;
  std::size_t coordinate_size;
  algorithm alg;
};
inline constexpr curve_info curves[] = {
    {"P-256", "prime256v1", 32, algorithm::ES256},
    {"P-384", "secp384r1", 48, algorithm::ES384},
    {"P-521", "secp521r1", 66, algorithm::ES512},
};

inline const curve_info* curve_by_openssl_name(std::string_view n) noexcept {
  for (const auto& c : curves)
    if (c.openssl_name == n || c.jose_name == n) return &c;
  // OpenSSL may report the NIST alias.
  if (n == "secp256r1") return &curves[0];
  return nullptr;
}
inline const curve_info* curve_by_jose_name(std::string_view n) noexcept {
  for (const auto& c : curves)
    if (c.jose_name == n) return &c;
  return nullptr;
}

inline bool pkey_has_bn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return false;
  BN_clear_free(bn);
  return true;
}

inline std::string pkey_group_name(const EVP_PKEY* pkey) {
  char buf[64];
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, buf, sizeof buf, &len) != 1) return {};
  return std::string(buf, len);
}

/// Checks that a parsed EVP_PKEY is of a type and size `alg` accepts, and fills the state.
inline std::error_code adopt_pkey(key_state& k, ossl::pkey_ptr pkey, algorithm alg) {
  const key_type want = required_key_type(alg);
  k.alg = alg;
  k.kty = want;
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    if (want != key_type::RSA) return error::key_algorithm_mismatch;
    const auto bits = static_cast<std::size_t>(EVP_PKEY_get_bits(pkey.get()));
    if (bits < min_rsa_bits) return error::rsa_key_too_small;
    if (bits > max_rsa_bits) return error::key_type_unsupported;
    k.signature_size = static_cast<std::size_t>(EVP_PKEY_get_size(pkey.get()));
    k.has_private = pkey_has_bn(pkey.get(), OSSL_PKEY_PARAM_RSA_D);
  } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    if (want != key_type::EC) return error::key_algorithm_mismatch;
    const curve_info* c = curve_by_openssl_name(pkey_group_name(pkey.get()));
    if (!c) return error::curve_unsupported;
    if (c->alg != alg) return error::key_algorithm_mismatch;  // ES256 only with P-256, etc.
    k.coordinate_size = c->coordinate_size;
    k.signature_size = 2 * c->coordinate_size;
    k.has_private = pkey_has_bn(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY);
  } else if (EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    if (want != key_type::OKP) return error::key_algorithm_mismatch;
    k.signature_size = 64;
    std::size_t len = 0;
    k.has_private = EVP_PKEY_get_raw_private_key(pkey.get(), nullptr, &len) == 1 && len == 32;
  } else if (EVP_PKEY_is_a(pkey.get(), "ED448") || EVP_PKEY_is_a(pkey.get(), "X25519") ||
             EVP_PKEY_is_a(pkey.get(), "X448")) {
    return error::curve_unsupported;
  } else {
    return error::key_type_unsupported;
  }
  ossl::clear_openssl_errors();
  k.pkey = std::move(pkey);
  prepare_digest_templates(k);
  return {};
}

inline int refuse_passphrase(char*, int, int, void*) { return 0; }

/// Parses PEM text: PKCS#1 and PKCS#8 private keys, SEC1 EC keys, SubjectPublicKeyInfo,
/// PKCS#1 RSA public keys, and X.509 certificates (their public key). Encrypted keys are
/// refused rather than prompting for a passphrase.
inline ossl::pkey_ptr parse_pem(std::string_view pem) {
  if (pem.size() > 64 * 1024) return nullptr;
  if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    ossl::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::unique_ptr<X509, ossl::openssl_deleter<&X509_free>> cert(
        bio ? PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr) : nullptr);
    return ossl::pkey_ptr(cert ? X509_get_pubkey(cert.get()) : nullptr);
  }
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, ossl::openssl_deleter<&OSSL_DECODER_CTX_free>> dctx(
      OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr, 0, nullptr, nullptr));
  if (!dctx) return nullptr;
  OSSL_DECODER_CTX_set_pem_password_cb(dctx.get(), refuse_passphrase, nullptr);
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  if (OSSL_DECODER_from_data(dctx.get(), &data, &len) != 1) return nullptr;
  return ossl::pkey_ptr(raw);
}

inline std::error_code adopt_secret(key_state& k, std::string_view secret, algorithm alg) {
  if (!is_hmac(alg)) return error::key_algorithm_mismatch;
  // RFC 7518 §3.2: a key at least as long as the hash output.
  if (secret.size() < hash_size(hash_of(alg))) return error::hmac_key_too_small;
  k.alg = alg;
  k.kty = key_type::oct;
  k.secret.assign(secret);
  k.has_private = true;
  k.signature_size = hash_size(hash_of(alg));
  return prepare_hmac(k);
}

inline ossl::pkey_ptr generate_pkey(algorithm alg) {
  switch (required_key_type(alg)) {
    case key_type::RSA: return ossl::pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
    case key_type::EC: {
      const char* group = alg == algorithm::ES256 ? "P-256" : alg == algorithm::ES384 ? "P-384" : "P-521";
      return ossl::pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group));
    }
    case key_type::OKP: return ossl::pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    case key_type::oct: break;
  }
  return nullptr;
}

//------------------------------------------------------------------------------------------
// Public members, base64url-encoded, in the order RFC 7638 sorts them.

inline std::string bn_param_b64(const EVP_PKEY* pkey, const char* name, std::size_t pad_to = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return {};
  ossl::bn_ptr bn(raw);
  std::size_t n = pad_to ? pad_to : static_cast<std::size_t>(BN_num_bytes(bn.get()));
  std::string bytes(n, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) < 0) return {};
  return crypto::base64url_encode(bytes);
}

struct public_members {
  // RSA: n, e. EC: crv, x, y. OKP: crv, x.
  std::string n, e, crv, x, y;
};

inline public_members read_public_members(const key_state& k) {
  public_members m;
  const EVP_PKEY* p = k.pkey.get();
  switch (k.kty) {
    case key_type::RSA:
      m.n = bn_param_b64(p, OSSL_PKEY_PARAM_RSA_N);
      m.e = bn_param_b64(p, OSSL_PKEY_PARAM_RSA_E);
      break;
    case key_type::EC:
      for (const auto& c : curves)
        if (c.coordinate_size == k.coordinate_size) m.crv = c.jose_name;
      m.x = bn_param_b64(p, OSSL_PKEY_PARAM_EC_PUB_X, k.coordinate_size);
      m.y = bn_param_b64(p, OSSL_PKEY_PARAM_EC_PUB_Y, k.coordinate_size);
      break;
    case key_type::OKP: {
      m.crv = "Ed25519";
      unsigned char raw[32];
      std::size_t len = sizeof raw;
      if (EVP_PKEY_get_raw_public_key(p, raw, &len) == 1) m.x = crypto::base64url_encode(std::span(raw, len));
      break;
    }
    case key_type::oct: break;
  }
  return m;
}

/// RFC 7638 §3.2: the required members only, sorted, no whitespace; SHA-256; base64url.
/// Member values are base64url or fixed names, so no JSON escaping is ever needed.
inline std::string thumbprint_of(const key_state& k) {
  std::string json;
  if (k.kty == key_type::oct) {
    json = "{\"k\":\"" + crypto::base64url_encode(k.secret) + "\",\"kty\":\"oct\"}";
  } else {
    auto m = read_public_members(k);
    switch (k.kty) {
      case key_type::RSA: json = "{\"e\":\"" + m.e + "\",\"kty\":\"RSA\",\"n\":\"" + m.n + "\"}"; break;
      case key_type::EC:
        json = "{\"crv\":\"" + m.crv + "\",\"kty\":\"EC\",\"x\":\"" + m.x + "\",\"y\":\"" + m.y + "\"}";
        break;
      default: json = "{\"crv\":\"" + m.crv + "\",\"kty\":\"OKP\",\"x\":\"" + m.x + "\"}"; break;
    }
  }
  unsigned char digest[32];
  unsigned int len = 0;
  if (EVP_Digest(json.data(), json.size(), digest, &len, fetched_md(hash_kind::sha256), nullptr) != 1) return {};
  if (k.kty == key_type::oct) OPENSSL_cleanse(json.data(), json.size());
  return crypto::base64url_encode(std::span<const unsigned char>(digest, len));
}

}  // namespace tessera::jose::detail

#endif
