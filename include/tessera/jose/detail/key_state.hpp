// tessera — jose/detail/key_state.hpp: the immutable state behind a `jwk`, and the sign and
// verify primitives over it. Everything expensive (PEM/JWK parsing, algorithm fetches, the
// HMAC key schedule, initialising the digest-sign and digest-verify contexts) happens once
// when the key is made; a signature costs only the cryptography itself.
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
#include <cstring>
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
  ossl::md_ctx_ptr sign_template;   // RSA, EC, OKP private keys: DigestSign context, copied per use
  ossl::md_ctx_ptr verify_template; // RSA, EC, OKP: DigestVerify context, copied per use
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

/// Initialises the sign and verify context templates of an asymmetric key (after `pkey`,
/// `alg` and `has_private` are set). Copying a prepared context costs about a tenth of
/// initialising one (EVP_PKEY_CTX_new_from_pkey, provider and key-management lookups). The
/// copy only reads the template (the providers' `dupctx` copy fields and take references),
/// so a shared const key stays safe to use from many threads. When a provider cannot copy,
/// there is no template and every use initialises its own context.
inline void prepare_digest_templates(key_state& k) {
  auto make = [&](bool signing) {
    ossl::md_ctx_ptr t(EVP_MD_CTX_new());
    ossl::md_ctx_ptr probe(EVP_MD_CTX_new());
    if (!t || !probe || init_digest_ctx(k, t.get(), signing) || EVP_MD_CTX_copy_ex(probe.get(), t.get()) != 1) {
      ossl::clear_openssl_errors();
      return ossl::md_ctx_ptr();
    }
    return t;
  };
  if (k.has_private) k.sign_template = make(true);
  k.verify_template = make(false);
}

// A fresh digest-sign or digest-verify context: a copy of the key's template, or initialised.
inline ossl::md_ctx_ptr digest_ctx(const key_state& k, bool signing) {
  ossl::md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx) return ctx;
  const EVP_MD_CTX* t = signing ? k.sign_template.get() : k.verify_template.get();
  const bool ok = t ? EVP_MD_CTX_copy_ex(ctx.get(), t) == 1 : !init_digest_ctx(k, ctx.get(), signing);
  if (!ok) ctx.reset();
  return ctx;
}

// ECDSA signatures: DER `SEQUENCE { INTEGER r, INTEGER s }` (OpenSSL's form) ↔ fixed-width
// R‖S (JWS, RFC 7518 §3.4), converted by hand: the d2i/i2d and BIGNUM round trip costs more
// instructions than the rest of the JWS framing. A signature is at most 3 + 2 × (3 + 66)
// bytes (P-521), so every length is short form or 0x81 nn.

// Reads a DER length at `p`; false when malformed or longer than what is left.
inline bool der_length(const unsigned char*& p, const unsigned char* end, std::size_t& len) noexcept {
  if (p == end) return false;
  if (*p < 0x80) {
    len = *p++;
  } else if (*p == 0x81 && end - p >= 2 && p[1] >= 0x80) {
    len = p[1];
    p += 2;
  } else {
    return false;
  }
  return len <= static_cast<std::size_t>(end - p);
}

// Reads a non-negative DER INTEGER into `width` big-endian bytes.
inline bool der_integer_to_fixed(const unsigned char*& p, const unsigned char* end, unsigned char* out,
                                 std::size_t width) noexcept {
  std::size_t len = 0;
  if (p == end || *p++ != 0x02 || !der_length(p, end, len) || len == 0 || (p[0] & 0x80)) return false;
  const unsigned char* v = p;
  p += len;
  while (len > 0 && *v == 0) ++v, --len;
  if (len > width) return false;
  std::memset(out, 0, width - len);
  std::memcpy(out + (width - len), v, len);
  return true;
}

/// DER ECDSA signature → R‖S of `n` bytes each.
inline bool ecdsa_der_to_raw(std::span<const unsigned char> der, unsigned char* raw, std::size_t n) noexcept {
  const unsigned char* p = der.data();
  const unsigned char* end = p + der.size();
  std::size_t len = 0;
  if (p == end || *p++ != 0x30 || !der_length(p, end, len) || p + len != end) return false;
  return der_integer_to_fixed(p, end, raw, n) && der_integer_to_fixed(p, end, raw + n, n) && p == end;
}

// Writes one DER INTEGER from `n` big-endian bytes into `out`; returns its size, 0 when the
// value is zero.
inline std::size_t der_integer_from_fixed(const unsigned char* v, std::size_t n, unsigned char* out) noexcept {
  while (n > 0 && *v == 0) ++v, --n;
  if (n == 0) return 0;
  const std::size_t pad = (v[0] & 0x80) ? 1 : 0;  // a leading 0x00 keeps it non-negative
  unsigned char* o = out;
  *o++ = 0x02;
  *o++ = static_cast<unsigned char>(n + pad);
  if (pad) *o++ = 0x00;
  std::memcpy(o, v, n);
  return static_cast<std::size_t>(o - out) + n;
}

/// R‖S of `n` (at most 66) bytes each → DER into `der`, which has room for 3 + 2 × (3 + 66)
/// bytes. Returns the DER size, or 0 when R or S is zero: such a signature never verifies
/// (CVE-2022-21449).
inline std::size_t ecdsa_raw_to_der(const unsigned char* raw, std::size_t n, unsigned char* der) noexcept {
  unsigned char body[2 * (3 + 66)];
  const std::size_t lr = der_integer_from_fixed(raw, n, body);
  if (lr == 0) return 0;
  const std::size_t ls = der_integer_from_fixed(raw + n, n, body + lr);
  if (ls == 0) return 0;
  const std::size_t body_len = lr + ls;
  unsigned char* o = der;
  *o++ = 0x30;
  if (body_len >= 0x80) *o++ = 0x81;
  *o++ = static_cast<unsigned char>(body_len);
  std::memcpy(o, body, body_len);
  return static_cast<std::size_t>(o - der) + body_len;
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
  ossl::md_ctx_ptr ctx = digest_ctx(k, true);
  if (!ctx) return error::crypto_failure;
  // RSA-8192 signatures are 1024 bytes, DER ECDSA P-521 at most 139: a stack buffer suffices
  // for every key we accept.
  std::array<unsigned char, 1024> sig;
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data, input.size()) != 1) return error::crypto_failure;
  if (k.kty != key_type::EC) {
    crypto::base64url_encode(out, std::span<const unsigned char>(sig.data(), len));
    return {};
  }
  // ECDSA: DER SEQUENCE{r, s} → fixed-width R‖S (RFC 7518 §3.4).
  std::array<unsigned char, 132> raw;
  const std::size_t n = k.coordinate_size;
  if (!ecdsa_der_to_raw(std::span<const unsigned char>(sig.data(), len), raw.data(), n)) return error::crypto_failure;
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
  std::array<unsigned char, 3 + 2 * (3 + 66)> der;
  std::span<const unsigned char> to_check = signature;
  if (k.kty == key_type::EC) {
    // R‖S → DER. Zero (or all-zero) R or S never verifies (CVE-2022-21449).
    const std::size_t der_len = ecdsa_raw_to_der(signature.data(), k.coordinate_size, der.data());
    if (der_len == 0) return error::signature_invalid;
    to_check = std::span<const unsigned char>(der.data(), der_len);
  }
  ossl::md_ctx_ptr ctx = digest_ctx(k, false);
  if (!ctx) return error::crypto_failure;
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
