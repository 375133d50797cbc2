// tessera — crypto/compare.hpp: the one comparator for secrets, MACs, PKCE verifiers, state
// and hashes of codes. It takes time independent of where the inputs differ (CRYPTO_memcmp);
// a length difference is not secret (lengths are public in every protocol we speak).
#ifndef TESSERA_CRYPTO_COMPARE_HPP
#define TESSERA_CRYPTO_COMPARE_HPP

#include <openssl/crypto.h>

#include <span>
#include <string_view>

namespace tessera::crypto {

inline bool constant_time_equal(std::span<const unsigned char> a, std::span<const unsigned char> b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tessera::crypto

#endif
