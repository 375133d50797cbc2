// tessera — crypto/random.hpp: cryptographically secure random bytes (OpenSSL's DRBG),
// and the random tokens built from them (codes, refresh tokens, state, nonces, PKCE).
#ifndef TESSERA_CRYPTO_RANDOM_HPP
#define TESSERA_CRYPTO_RANDOM_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/error.hpp>

#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstddef>
#include <span>
#include <string>

namespace tessera::crypto {

/// Fills `out` with random bytes. Fails only when the DRBG cannot be seeded.
inline void random_bytes(std::span<unsigned char> out, std::error_code& ec) noexcept {
  ec = {};
  std::size_t done = 0;
  while (done < out.size()) {
    int chunk = static_cast<int>(std::min<std::size_t>(out.size() - done, INT_MAX));
    if (RAND_bytes(out.data() + done, chunk) != 1) {
      ec = error::random_failure;
      return;
    }
    done += static_cast<std::size_t>(chunk);
  }
}

inline void random_bytes(std::span<unsigned char> out) {
  std::error_code ec;
  random_bytes(out, ec);
  tessera::detail::throw_if(ec);
}

/// `Bytes` random bytes, base64url-encoded: 32 bytes give 256 bits in 43 characters, the
/// size of codes, refresh tokens, state and PKCE verifiers.
template <std::size_t Bytes = 32>
std::string random_token() {
  std::array<unsigned char, Bytes> raw;
  random_bytes(raw);
  return base64url_encode(raw);
}

}  // namespace tessera::crypto

#endif
