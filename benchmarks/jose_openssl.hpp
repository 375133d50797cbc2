// tessera benchmarks — jose_openssl.hpp: the practical ceiling.
//
// What a competent engineer writes directly against OpenSSL 3 EVP and Boost.JSON, with no
// library in between:
//   * each key parsed once from PEM into an EVP_PKEY, the digest fetched once, the HMAC key
//     scheduled once into an EVP_MAC_CTX that is duplicated per token;
//   * the constant header encoded once;
//   * the DigestSign / DigestVerify context initialised once (key, digest) and copied per
//     token with EVP_MD_CTX_copy_ex — OpenSSL 3's initialisation (provider fetch, key
//     setup) costs as much as a small signature, so a fresh EVP_DigestSignInit per token is
//     no ceiling (an earlier version of this baseline did that and tessera beat it by 1.2×);
//   * sign: claims object → boost::json::serialize → base64url (the simple encoder below) →
//     EVP_DigestSign or HMAC, ECDSA DER → R‖S;
//   * verify: split, decode the header and check its alg, decode the signature (length
//     checked), ECDSA R‖S → DER, EVP_DigestVerify or HMAC + CRYPTO_memcmp, decode and parse
//     the claims, check iss, aud (string or array) and exp.
#ifndef TESSERA_BENCHMARKS_JOSE_OPENSSL_HPP
#define TESSERA_BENCHMARKS_JOSE_OPENSSL_HPP

#include "jose_fixture.hpp"

#include <boost/json.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <memory>

namespace bench::openssl_baseline {

// --- base64url (RFC 4648 §5, unpadded) ----------------------------------------------------------
constexpr char b64url_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline void b64url_append(std::string& out, const unsigned char* p, std::size_t n) {
  std::size_t at = out.size();
  out.resize(at + (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0));
  char* o = out.data() + at;
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (std::uint32_t(p[i]) << 16) | (std::uint32_t(p[i + 1]) << 8) | p[i + 2];
    *o++ = b64url_chars[v >> 18];
    *o++ = b64url_chars[(v >> 12) & 63];
    *o++ = b64url_chars[(v >> 6) & 63];
    *o++ = b64url_chars[v & 63];
  }
  if (n - i == 1) {
    std::uint32_t v = std::uint32_t(p[i]) << 16;
    *o++ = b64url_chars[v >> 18];
    *o++ = b64url_chars[(v >> 12) & 63];
  } else if (n - i == 2) {
    std::uint32_t v = (std::uint32_t(p[i]) << 16) | (std::uint32_t(p[i + 1]) << 8);
    *o++ = b64url_chars[v >> 18];
    *o++ = b64url_chars[(v >> 12) & 63];
    *o++ = b64url_chars[(v >> 6) & 63];
  }
}
inline void b64url_append(std::string& out, std::string_view s) {
  b64url_append(out, reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

constexpr std::array<signed char, 256> b64url_decode_table = [] {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(b64url_chars[i])] = static_cast<signed char>(i);
  return t;
}();

constexpr std::size_t b64url_decoded_size(std::size_t n) { return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0); }

// Decodes into `out`, which has room for b64url_decoded_size(in.size()) bytes.
inline bool b64url_decode(std::string_view in, unsigned char* out) {
  if (in.size() % 4 == 1) return false;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char ch : in) {
    int v = b64url_decode_table[ch];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out++ = static_cast<unsigned char>(acc >> bits);
    }
  }
  return true;
}
inline bool b64url_decode(std::string_view in, std::string& out) {
  out.resize(b64url_decoded_size(in.size()));
  return b64url_decode(in, reinterpret_cast<unsigned char*>(out.data()));
}

// --- RAII ----------------------------------------------------------------------------------------
template <auto F>
struct deleter {
  template <class T>
  void operator()(T* p) const noexcept { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<&EVP_PKEY_free>>;
using md_ptr = std::unique_ptr<EVP_MD, deleter<&EVP_MD_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, deleter<&EVP_MD_CTX_free>>;
using mac_ptr = std::unique_ptr<EVP_MAC, deleter<&EVP_MAC_free>>;
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, deleter<&EVP_MAC_CTX_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, deleter<&ECDSA_SIG_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<&BIO_free>>;

// --- one key, prepared once ------------------------------------------------------------------------
class evp_jwt {
 public:
  evp_jwt(alg a, bool signing) : alg_(a) {
    const auto& k = keys(a);
    if (a == alg::HS256) {
      mac_ptr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
      hmac_.reset(EVP_MAC_CTX_new(mac.get()));
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
                             OSSL_PARAM_construct_end()};
      if (!hmac_ || EVP_MAC_init(hmac_.get(), reinterpret_cast<const unsigned char*>(k.secret.data()),
                                 k.secret.size(), params) != 1)
        std::abort();
      sig_size_ = 32;
    } else {
      const std::string& pem = signing ? k.private_pem : k.public_pem;
      bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
      pkey_.reset(signing ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                          : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
      if (!pkey_) std::abort();
      if (a != alg::EdDSA) md_.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
      sig_size_ = a == alg::RS256 ? static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get())) : 64;
      prepared_.reset(EVP_MD_CTX_new());
      const int ok = signing ? EVP_DigestSignInit(prepared_.get(), nullptr, md_.get(), nullptr, pkey_.get())
                             : EVP_DigestVerifyInit(prepared_.get(), nullptr, md_.get(), nullptr, pkey_.get());
      if (ok != 1) std::abort();
    }
    std::string h = R"({"alg":")" + std::string(name_of(a)) + R"(","typ":"JWT"})";
    b64url_append(header_, h);
    header_.push_back('.');
  }

  std::string sign(const claim_times& t) const {
    boost::json::object c;
    c["iss"] = issuer;
    c["sub"] = subject;
    c["aud"] = audience;
    c["iat"] = t.iat;
    c["exp"] = t.exp;
    c["jti"] = jwt_id;
    const std::string payload = boost::json::serialize(c);

    std::string out;
    out.reserve(header_.size() + payload.size() * 4 / 3 + 4 + sig_size_ * 4 / 3 + 4);
    out = header_;
    b64url_append(out, payload);
    const auto* input = reinterpret_cast<const unsigned char*>(out.data());
    const std::size_t input_len = out.size();

    unsigned char sig[512];
    std::size_t sig_len = sizeof sig;
    if (alg_ == alg::HS256) {
      mac_ctx_ptr ctx(EVP_MAC_CTX_dup(hmac_.get()));
      if (!ctx || EVP_MAC_update(ctx.get(), input, input_len) != 1 || EVP_MAC_final(ctx.get(), sig, &sig_len, sizeof sig) != 1)
        return {};
    } else {
      md_ctx_ptr ctx(EVP_MD_CTX_new());
      if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), prepared_.get()) != 1 ||
          EVP_DigestSign(ctx.get(), sig, &sig_len, input, input_len) != 1)
        return {};
    }
    out.push_back('.');
    if (alg_ == alg::ES256) {
      // DER SEQUENCE{r, s} → 32-byte R ‖ 32-byte S.
      const unsigned char* p = sig;
      ecdsa_sig_ptr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig_len)));
      unsigned char raw[64];
      if (!es || BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), raw, 32) != 32 ||
          BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), raw + 32, 32) != 32)
        return {};
      b64url_append(out, raw, 64);
    } else {
      b64url_append(out, sig, sig_len);
    }
    return out;
  }

  bool verify(std::string_view token, std::int64_t now) const {
    const std::size_t d1 = token.find('.');
    if (d1 == std::string_view::npos) return false;
    const std::size_t d2 = token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) return false;
    const std::string_view h64 = token.substr(0, d1), p64 = token.substr(d1 + 1, d2 - d1 - 1),
                           s64 = token.substr(d2 + 1);

    // Header: a JSON object whose alg is the one this key is for.
    unsigned char hbuf[256];
    if (b64url_decoded_size(h64.size()) > sizeof hbuf || !b64url_decode(h64, hbuf)) return false;
    boost::system::error_code jec;
    boost::json::value hv =
        boost::json::parse(std::string_view(reinterpret_cast<const char*>(hbuf), b64url_decoded_size(h64.size())), jec);
    if (jec || !hv.is_object()) return false;
    const auto* a = hv.get_object().if_contains("alg");
    if (!a || !a->is_string() || a->get_string() != name_of(alg_)) return false;

    // Signature.
    unsigned char sig[512];
    if (b64url_decoded_size(s64.size()) != sig_size_ || !b64url_decode(s64, sig)) return false;
    const auto* input = reinterpret_cast<const unsigned char*>(token.data());
    const std::size_t input_len = d2;
    if (alg_ == alg::HS256) {
      unsigned char mac[EVP_MAX_MD_SIZE];
      std::size_t mac_len = 0;
      mac_ctx_ptr ctx(EVP_MAC_CTX_dup(hmac_.get()));
      if (!ctx || EVP_MAC_update(ctx.get(), input, input_len) != 1 ||
          EVP_MAC_final(ctx.get(), mac, &mac_len, sizeof mac) != 1 || mac_len != 32 || CRYPTO_memcmp(mac, sig, 32) != 0)
        return false;
    } else {
      const unsigned char* to_check = sig;
      std::size_t check_len = sig_size_;
      unsigned char der[80];
      if (alg_ == alg::ES256) {
        // 32-byte R ‖ 32-byte S → DER.
        ecdsa_sig_ptr es(ECDSA_SIG_new());
        BIGNUM* r = BN_bin2bn(sig, 32, nullptr);
        BIGNUM* s = BN_bin2bn(sig + 32, 32, nullptr);
        if (!es || !r || !s || ECDSA_SIG_set0(es.get(), r, s) != 1) {
          BN_free(r);
          BN_free(s);
          return false;
        }
        unsigned char* q = der;
        int n = i2d_ECDSA_SIG(es.get(), &q);
        if (n <= 0) return false;
        to_check = der;
        check_len = static_cast<std::size_t>(n);
      }
      md_ctx_ptr ctx(EVP_MD_CTX_new());
      if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), prepared_.get()) != 1 ||
          EVP_DigestVerify(ctx.get(), to_check, check_len, input, input_len) != 1)
        return false;
    }

    // Claims.
    std::string payload;
    if (!b64url_decode(p64, payload)) return false;
    boost::json::value cv = boost::json::parse(payload, jec);
    if (jec || !cv.is_object()) return false;
    const auto& c = cv.get_object();
    const auto* iss = c.if_contains("iss");
    if (!iss || !iss->is_string() || iss->get_string() != issuer) return false;
    const auto* aud = c.if_contains("aud");
    if (!aud) return false;
    if (aud->is_string()) {
      if (aud->get_string() != audience) return false;
    } else if (aud->is_array()) {
      const auto& arr = aud->get_array();
      if (std::none_of(arr.begin(), arr.end(),
                       [](const boost::json::value& v) { return v.is_string() && v.get_string() == audience; }))
        return false;
    } else {
      return false;
    }
    const auto* exp = c.if_contains("exp");
    if (!exp || !exp->is_int64() || now >= exp->get_int64()) return false;
    return true;
  }

 private:
  alg alg_;
  pkey_ptr pkey_;
  md_ptr md_;
  mac_ctx_ptr hmac_;
  md_ctx_ptr prepared_;  // DigestSign/DigestVerify initialised once; copied per token
  std::size_t sig_size_ = 0;
  std::string header_;
};

}  // namespace bench::openssl_baseline

#endif
