// tessera — crypto/siphash.hpp
//
// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, "SipHash: a fast short-input
// PRF", 2012): a keyed pseudorandom function, several times faster than SHA-256 on the few
// hundred bytes of a token, for the one place that needs a hash of a secret on a hot path —
// the resource server's cache of validated tokens (resource/token_cache.hpp), which must find
// a token in well under a microsecond and must not keep the token itself.
//
// Why it is safe there: the key is 128 random bits drawn per cache and never leaves the
// process, so nobody who lacks it can compute a token's cache key, let alone make a second
// token collide with a cached one (a forgery of a 128-bit PRF output); two unrelated tokens
// collide with probability 2^-128 per pair. It is not a general-purpose digest: for anything
// stored or compared across processes use SHA-256 (crypto/hash.hpp).
//
// The implementation follows the paper's definition; tests/http/siphash.cpp checks it against
// OpenSSL's SIPHASH MAC for many lengths and keys.
#ifndef TESSERA_CRYPTO_SIPHASH_HPP
#define TESSERA_CRYPTO_SIPHASH_HPP

#include <tessera/crypto/random.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace tessera::crypto {

/// A SipHash key: two 64-bit halves (the 16 key bytes read little-endian).
struct siphash_key {
  std::uint64_t k0 = 0, k1 = 0;

  static siphash_key from_bytes(std::span<const unsigned char, 16> b) noexcept {
    return {load_le(b.data()), load_le(b.data() + 8)};
  }
  /// A fresh random key (throws `tessera::system_error` when the RNG fails).
  static siphash_key random() {
    std::array<unsigned char, 16> b{};
    random_bytes(b);
    return from_bytes(b);
  }

  static std::uint64_t load_le(const unsigned char* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
};

/// A 128-bit SipHash value, as the two 64-bit words of the output (first `lo`, then `hi`).
struct siphash128 {
  std::uint64_t lo = 0, hi = 0;
  friend bool operator==(const siphash128&, const siphash128&) = default;
  /// The 16 output bytes as the reference defines them (each word little-endian).
  std::array<unsigned char, 16> bytes() const noexcept {
    std::array<unsigned char, 16> out{};
    for (int i = 0; i < 8; ++i) {
      out[i] = static_cast<unsigned char>(lo >> (8 * i));
      out[8 + i] = static_cast<unsigned char>(hi >> (8 * i));
    }
    return out;
  }
};

namespace detail {

struct sip_state {
  std::uint64_t v0, v1, v2, v3;

  void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  void compress(std::uint64_t m) noexcept {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  std::uint64_t finish_word() noexcept {
    for (int i = 0; i < 4; ++i) round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

inline std::uint64_t load_le64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

}  // namespace detail

/// SipHash-2-4 of `data` under `key`, 128-bit output.
inline siphash128 siphash_2_4_128(const siphash_key& key, std::span<const unsigned char> data) noexcept {
  detail::sip_state s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL ^ 0xeeULL,
                      key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
  const unsigned char* p = data.data();
  const std::size_t n = data.size();
  const std::size_t whole = n & ~std::size_t{7};
  for (std::size_t i = 0; i < whole; i += 8) s.compress(detail::load_le64(p + i));
  // The last word: the remaining bytes, and the length's low byte on top.
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
  for (std::size_t i = whole; i < n; ++i) last |= static_cast<std::uint64_t>(p[i]) << (8 * (i - whole));
  s.compress(last);
  s.v2 ^= 0xee;
  siphash128 out;
  out.lo = s.finish_word();
  s.v1 ^= 0xdd;
  out.hi = s.finish_word();
  return out;
}

inline siphash128 siphash_2_4_128(const siphash_key& key, std::string_view data) noexcept {
  return siphash_2_4_128(key, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(data.data()), data.size()));
}

}  // namespace tessera::crypto

#endif
