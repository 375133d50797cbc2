// tessera — jose/detail/key_state.hpp: the immutable state behind a `jwk`, and the sign and
// verify primitives over it. Everything expensive (PEM/JWK parsing, algorithm fetches, the
// HMAC key schedule) happens once when the key is made; a signature costs only the
// cryptography itself.
#ifndef TESSERA_JOSE_DETAIL_KEY_STATE_HPP
#define TESSERA_JOSE_DETAIL_KEY_STATE_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/detail/openssl.hpp>
#include <tessera/error.hpp>
#include <tessera/jose/algorithm.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include <array>
#include <span>
#include <string>
#include <string_view>

namespace tessera::jose::detail {

namespace ossl = tessera::crypto::detail;

/// SHA-2 digests fetched from the default provider once per process (OpenSSL 3 otherwise
/// looks the algorithm up by name on every init).
inline const EVP_MD* fetched_md(hash_kind h) noexcept {
  static const ossl::md_ptr sha256(EVP_MD_fetch(nullptr, "SHA2-256", nullptr));
  static const ossl::md_ptr sha384(EVP_MD_fetch(nullptr, "SHA2-384", nullptr));
  static const ossl::md_ptr sha512(EVP_MD_fetch(nullptr, "SHA2-512", nullptr));
  switch (h) {
    case hash_kind::sha256: return sha256.get();
    case hash_kind::sha384: return sha384.get();
    case hash_kind::sha512: return sha512.get();
    case hash_kind::none: break;
  }
  return nullptr;
}

inline EVP_MAC* fetched_hmac() noexcept {
  static const ossl::mac_ptr hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return hmac.get();
}

inline const char* digest_name(hash_kind h) noexcept {
  return h == hash_kind::sha256 ? "SHA2-256" : h == hash_kind::sha384 ? "SHA2-384" : "SHA2-512";
}

struct key_state {
  algorithm alg{};
  key_type kty{};
  bool has_private = false;
  std::size_t signature_size = 0;   // bytes of a raw JWS signature
  std::size_t coordinate_size = 0;  // EC only: bytes of R and of S
  ossl::pkey_ptr pkey;              // RSA, EC, OKP
  std::string secret;               // oct
  ossl::mac_ctx_ptr hmac_template;  // oct: an HMAC context keyed once, duplicated per use
  std::string thumbprint;           // RFC 7638, base64url SHA-256; empty for oct

  key_state() = default;
  key_state(const key_state&) = delete;
  key_state& operator=(const key_state&) = delete;
  ~key_state() {
    if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  }
};

/// Keys the HMAC template of an oct key.
inline std::error_code prepare_hmac(key_state& k) {
  ossl::mac_ctx_ptr ctx(EVP_MAC_CTX_new(fetched_hmac()));
  if (!ctx) return error::crypto_failure;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name(hash_of(k.alg))), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(k.secret.data()), k.secret.size(), params) != 1)
    return error::crypto_failure;
  k.hmac_template = std::move(ctx);
  return {};
}

inline std::error_code hmac(const key_state& k, std::string_view input, unsigned char* out, std::size_t& out_len) {
  ossl::mac_ctx_ptr ctx(EVP_MAC_CTX_dup(k.hmac_template.get()));
  if (!ctx || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out, &out_len, EVP_MAX_MD_SIZE) != 1)
    return error::crypto_failure;
  return {};
}

// Prepares a digest-sign or digest-verify context for the key's algorithm.
inline std::error_code init_digest_ctx(const key_state& k, EVP_MD_CTX* ctx, bool signing) {
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = k.kty == key_type::OKP ? nullptr : fetched_md(hash_of(k.alg));
  int rc = signing ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, k.pkey.get())
                   : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, k.pkey.get());
  if (rc != 1) return error::crypto_failure;
  if (k.alg == algorithm::PS256 || k.alg == algorithm::PS384 || k.alg == algorithm::PS512) {
    // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)
      return error::crypto_failure;
  }
  return {};
}

/// Signs `input`, appending the base64url signature to `out`.
inline std::error_code sign(const key_state& k, std::string_view input, std::string& out) {
  if (!k.has_private) return error::key_not_private;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (k.kty == key_type::oct) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac;
    std::size_t len = 0;
    if (auto ec = hmac(k, input, mac.data(), len)) return ec;
    crypto::base64url_encode(out, std::span<const unsigned char>(mac.data(), len));
    return {};
  }
  ossl::md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx) return error::crypto_failure;
  if (auto ec = init_digest_ctx(k, ctx.get(), true)) return ec;
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1) return error::crypto_failure;
  // RSA-4096 signatures are 512 bytes, DER ECDSA P-521 at most 139: a stack buffer suffices
  // for every key we accept (RSA up to 8192 bits).
  std::array<unsigned char, 1024> sig;
  if (len > sig.size()) return error::crypto_failure;
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data, input.size()) != 1) return error::crypto_failure;
  if (k.kty != key_type::EC) {
    crypto::base64url_encode(out, std::span<const unsigned char>(sig.data(), len));
    return {};
  }
  // ECDSA: DER SEQUENCE{r, s} → fixed-width R‖S (RFC 7518 §3.4).
  const unsigned char* p = sig.data();
  ossl::ecdsa_sig_ptr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!es) return error::crypto_failure;
  std::array<unsigned char, 132> raw;
  const std::size_t n = k.coordinate_size;
  if (BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), raw.data(), static_cast<int>(n)) != static_cast<int>(n) ||
      BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), raw.data() + n, static_cast<int>(n)) != static_cast<int>(n))
    return error::crypto_failure;
  crypto::base64url_encode(out, std::span<const unsigned char>(raw.data(), 2 * n));
  return {};
}

/// Verifies a raw signature over `input`. Length is checked before any cryptography.
inline std::error_code verify(const key_state& k, std::string_view input, std::span<const unsigned char> signature) {
  if (signature.size() != k.signature_size) return error::signature_length;
  if (k.kty == key_type::oct) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac;
    std::size_t len = 0;
    if (auto ec = hmac(k, input, mac.data(), len)) return ec;
    return crypto::constant_time_equal(std::span<const unsigned char>(mac.data(), len), signature)
               ? std::error_code{}
               : make_error_code(error::signature_invalid);
  }
  std::array<unsigned char, 160> der;
  std::span<const unsigned char> to_check = signature;
  if (k.kty == key_type::EC) {
    // R‖S → DER. Zero (or all-zero) R or S never verifies (CVE-2022-21449).
    const std::size_t n = k.coordinate_size;
    ossl::bn_ptr r(BN_bin2bn(signature.data(), static_cast<int>(n), nullptr));
    ossl::bn_ptr s(BN_bin2bn(signature.data() + n, static_cast<int>(n), nullptr));
    if (!r || !s) return error::crypto_failure;
    if (BN_is_zero(r.get()) || BN_is_zero(s.get())) return error::signature_invalid;
    ossl::ecdsa_sig_ptr es(ECDSA_SIG_new());
    if (!es || ECDSA_SIG_set0(es.get(), r.get(), s.get()) != 1) return error::crypto_failure;
    r.release();
    s.release();
    int der_len = i2d_ECDSA_SIG(es.get(), nullptr);
    if (der_len <= 0 || static_cast<std::size_t>(der_len) > der.size()) return error::crypto_failure;
    unsigned char* q = der.data();
    i2d_ECDSA_SIG(es.get(), &q);
    to_check = std::span<const unsigned char>(der.data(), static_cast<std::size_t>(der_len));
  }
  ossl::md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx) return error::crypto_failure;
  if (auto ec = init_digest_ctx(k, ctx.get(), false)) return ec;
  int rc = EVP_DigestVerify(ctx.get(), to_check.data(), to_check.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size());
  if (rc != 1) {
    ossl::clear_openssl_errors();
    return error::signature_invalid;
  }
  return {};
}

}  // namespace tessera::jose::detail

#endif
