// tessera — crypto/hash.hpp
//
// SHA-2 digests (FIPS 180-4) and HMAC-SHA-256 (RFC 2104, test vectors RFC 4231), for keyed
// hashes of codes and refresh tokens (only hashes are stored: docs/security.md row 24), PKCE S256
// (RFC 7636 §4.2), Flyte's CSRF state (hex of SHA-256) and cache keys.
//
// Algorithms are fetched from the default OpenSSL provider once per process and cached; each
// call builds its own context, so every function here is safe to call from many threads.
//
// Failure: the OpenSSL calls fail only when the provider lacks the algorithm or memory runs
// out; the `error_code&` overloads report `error::crypto_failure` (and leave a zeroed digest),
// the others throw `tessera::system_error`.
#ifndef TESSERA_CRYPTO_HASH_HPP
#define TESSERA_CRYPTO_HASH_HPP

#include <tessera/crypto/detail/openssl.hpp>
#include <tessera/error.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace tessera::crypto {

using sha256_digest = std::array<unsigned char, 32>;
using sha384_digest = std::array<unsigned char, 48>;
using sha512_digest = std::array<unsigned char, 64>;

namespace detail {

inline std::span<const unsigned char> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// Fetched once (thread-safe static initialisation); null when the provider lacks it.
inline const EVP_MD* sha256_md() noexcept {
  static const md_ptr md{EVP_MD_fetch(nullptr, "SHA2-256", nullptr)};
  return md.get();
}
inline const EVP_MD* sha384_md() noexcept {
  static const md_ptr md{EVP_MD_fetch(nullptr, "SHA2-384", nullptr)};
  return md.get();
}
inline const EVP_MD* sha512_md() noexcept {
  static const md_ptr md{EVP_MD_fetch(nullptr, "SHA2-512", nullptr)};
  return md.get();
}
inline EVP_MAC* hmac_algorithm() noexcept {
  static const mac_ptr mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  return mac.get();
}

template <std::size_t N>
std::array<unsigned char, N> digest(const EVP_MD* md, std::span<const unsigned char> data, std::error_code& ec) noexcept {
  std::array<unsigned char, N> out{};
  unsigned int len = 0;
  ec = {};
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 || len != N) {
    clear_openssl_errors();
    out.fill(0);
    ec = error::crypto_failure;
  }
  return out;
}

// An HMAC-SHA-256 context initialised with `key`; null on failure.
inline mac_ctx_ptr new_hmac_sha256(std::span<const unsigned char> key) noexcept {
  EVP_MAC* mac = hmac_algorithm();
  if (mac == nullptr) return nullptr;
  mac_ctx_ptr ctx{EVP_MAC_CTX_new(mac)};
  if (!ctx) return nullptr;
  char digest_name[] = "SHA2-256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0), OSSL_PARAM_construct_end()};
  // OpenSSL rejects a null key pointer even for length 0; HMAC with an empty key is defined.
  static const unsigned char empty = 0;
  if (EVP_MAC_init(ctx.get(), key.empty() ? &empty : key.data(), key.size(), params) != 1) return nullptr;
  return ctx;
}

inline bool hmac_finish(EVP_MAC_CTX* ctx, sha256_digest& out) noexcept {
  std::size_t len = 0;
  return EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
}

// Feeds each part as an 8-byte big-endian length and its bytes: an injective encoding, so
// ("ab", "c") and ("a", "bc") — or parts that contain NUL — never share a MAC input.
inline bool hmac_update_parts(EVP_MAC_CTX* ctx, std::initializer_list<std::string_view> parts) noexcept {
  for (std::string_view part : parts) {
    unsigned char len[8];
    auto n = static_cast<std::uint64_t>(part.size());
    for (int i = 7; i >= 0; --i, n >>= 8) len[i] = static_cast<unsigned char>(n);
    if (EVP_MAC_update(ctx, len, sizeof len) != 1) return false;
    if (!part.empty() && EVP_MAC_update(ctx, as_bytes(part).data(), part.size()) != 1) return false;
  }
  return true;
}

// std::hash for digests used as map keys: their leading bytes are already uniformly random
// (keyed MACs), so an attacker cannot aim inputs at one bucket.
struct digest_hash {
  template <std::size_t N>
  std::size_t operator()(const std::array<unsigned char, N>& d) const noexcept {
    static_assert(N >= sizeof(std::size_t));
    std::size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

}  // namespace detail

/// SHA-256 of `data`.
inline sha256_digest sha256(std::span<const unsigned char> data, std::error_code& ec) noexcept {
  return detail::digest<32>(detail::sha256_md(), data, ec);
}
inline sha256_digest sha256(std::string_view data, std::error_code& ec) noexcept { return sha256(detail::as_bytes(data), ec); }
inline sha256_digest sha256(std::string_view data) {
  std::error_code ec;
  auto d = sha256(data, ec);
  tessera::detail::throw_if(ec);
  return d;
}

/// SHA-384 of `data`.
inline sha384_digest sha384(std::string_view data, std::error_code& ec) noexcept {
  return detail::digest<48>(detail::sha384_md(), detail::as_bytes(data), ec);
}
inline sha384_digest sha384(std::string_view data) {
  std::error_code ec;
  auto d = sha384(data, ec);
  tessera::detail::throw_if(ec);
  return d;
}

/// SHA-512 of `data`.
inline sha512_digest sha512(std::string_view data, std::error_code& ec) noexcept {
  return detail::digest<64>(detail::sha512_md(), detail::as_bytes(data), ec);
}
inline sha512_digest sha512(std::string_view data) {
  std::error_code ec;
  auto d = sha512(data, ec);
  tessera::detail::throw_if(ec);
  return d;
}

/// HMAC-SHA-256 (RFC 2104) of `data` under `key`. For a key used many times, build an
/// `hmac_sha256_key` once instead.
inline sha256_digest hmac_sha256(std::span<const unsigned char> key, std::string_view data, std::error_code& ec) noexcept {
  sha256_digest out{};
  ec = {};
  auto ctx = detail::new_hmac_sha256(key);
  if (!ctx || EVP_MAC_update(ctx.get(), detail::as_bytes(data).data(), data.size()) != 1 || !detail::hmac_finish(ctx.get(), out)) {
    detail::clear_openssl_errors();
    out.fill(0);
    ec = error::crypto_failure;
  }
  return out;
}
inline sha256_digest hmac_sha256(std::string_view key, std::string_view data, std::error_code& ec) noexcept {
  return hmac_sha256(detail::as_bytes(key), data, ec);
}
inline sha256_digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) {
  std::error_code ec;
  auto d = hmac_sha256(key, data, ec);
  tessera::detail::throw_if(ec);
  return d;
}
inline sha256_digest hmac_sha256(std::string_view key, std::string_view data) { return hmac_sha256(detail::as_bytes(key), data); }

/// An HMAC-SHA-256 key prepared once: the key schedule is computed at construction and
/// copied per call, so `mac` is cheap and safe to call concurrently (const, no shared
/// mutation). OpenSSL cleanses the key material when the context is freed. Move-only.
class hmac_sha256_key {
 public:
  /// Throws `tessera::system_error(crypto_failure)` when OpenSSL cannot set the key up.
  explicit hmac_sha256_key(std::span<const unsigned char> key) : ctx_(detail::new_hmac_sha256(key)) {
    if (!ctx_) {
      detail::clear_openssl_errors();
      tessera::detail::throw_error(error::crypto_failure);
    }
  }

  /// MAC of `data`.
  sha256_digest mac(std::string_view data, std::error_code& ec) const noexcept {
    return run(ec, [&](EVP_MAC_CTX* c) { return EVP_MAC_update(c, detail::as_bytes(data).data(), data.size()) == 1; });
  }
  sha256_digest mac(std::string_view data) const { return throwing([&](std::error_code& ec) { return mac(data, ec); }); }

  /// MAC of several fields, each length-prefixed (8-byte big-endian) so the encoding is
  /// injective: no two different field lists share an input, even when fields hold NUL.
  sha256_digest mac_fields(std::initializer_list<std::string_view> fields, std::error_code& ec) const noexcept {
    return run(ec, [&](EVP_MAC_CTX* c) { return detail::hmac_update_parts(c, fields); });
  }
  sha256_digest mac_fields(std::initializer_list<std::string_view> fields) const {
    return throwing([&](std::error_code& ec) { return mac_fields(fields, ec); });
  }

 private:
  template <class Update>
  sha256_digest run(std::error_code& ec, Update update) const noexcept {
    sha256_digest out{};
    ec = {};
    detail::mac_ctx_ptr c{EVP_MAC_CTX_dup(ctx_.get())};
    if (!c || !update(c.get()) || !detail::hmac_finish(c.get(), out)) {
      detail::clear_openssl_errors();
      out.fill(0);
      ec = error::crypto_failure;
    }
    return out;
  }
  template <class F>
  static sha256_digest throwing(F f) {
    std::error_code ec;
    auto d = f(ec);
    tessera::detail::throw_if(ec);
    return d;
  }

  detail::mac_ctx_ptr ctx_;
};

/// Lower-case hexadecimal of bytes (Flyte's `state` is hex(SHA-256(csrf cookie))).
inline std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = digits[bytes[i] >> 4];
    s[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  return s;
}

}  // namespace tessera::crypto

#endif
