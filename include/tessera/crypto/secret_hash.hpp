// tessera — crypto/secret_hash.hpp
//
// Client secrets and passwords hashed with bcrypt (libxcrypt's `crypt_rn`), in the modular
// crypt format `$2b$<cost>$<22 salt chars><31 hash chars>` (60 characters).
//
// Flyte compatibility: Flyte's static clients store `client_secret` as *standard base64 of the
// bcrypt string* (Helm `clientSecretHash`; Flyte's docs generate it with cost 6).
// `verify_flyte_client_secret` and `hash_flyte_client_secret` speak that format.
//
// Bounds (docs/security.md row 19, CPU exhaustion by bcrypt):
//  * cost is accepted in [bcrypt_min_cost, bcrypt_max_cost] = [4, 12], for stored hashes and
//    for new ones. 4 is bcrypt's minimum and must stay accepted for Flyte's cost-6 hashes;
//    12 costs ≈0.2 s of one core (measured on the 2-core CI machine; 14 would cost 0.8 s, so
//    a handful of bad-secret requests could pin the server). A stored hash above the bound
//    fails with `secret_hash_cost` without running bcrypt: a configuration error, reported at
//    load time by `check_secret_hash`. New hashes default to cost 10 (≈70 ms), like Go's
//    bcrypt.DefaultCost that Flyte uses.
//  * bcrypt reads at most 72 bytes and stops at NUL. `hash_secret` refuses such secrets
//    (it would silently drop entropy); `verify_secret` answers "mismatch" for them without
//    running bcrypt, so no secret can match by a shared 72-byte prefix or a NUL cut.
//
// Verification compares the full recomputed string with the stored one in constant time
// (`constant_time_equal`). Secrets are copied only into a stack buffer and libxcrypt's work
// area, and both are cleansed afterwards. Error messages never contain either string.
// Versions `$2a$`, `$2b$` and `$2y$` verify; `$2x$` (the buggy-8-bit variant) does not.
#ifndef TESSERA_CRYPTO_SECRET_HASH_HPP
#define TESSERA_CRYPTO_SECRET_HASH_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/error.hpp>

#include <crypt.h>
#include <openssl/crypto.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace tessera::crypto {

inline constexpr unsigned bcrypt_min_cost = 4;
inline constexpr unsigned bcrypt_default_cost = 10;
inline constexpr unsigned bcrypt_max_cost = 12;
/// bcrypt's input limit; longer secrets are refused rather than truncated.
inline constexpr std::size_t bcrypt_max_secret_size = 72;
inline constexpr std::size_t bcrypt_hash_size = 60;

namespace detail {

inline bool is_bcrypt_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

// Parses the shape of a stored bcrypt string; returns its cost or sets `ec`.
inline unsigned parse_bcrypt(std::string_view h, unsigned max_cost, std::error_code& ec) noexcept {
  ec = {};
  if (h.size() != bcrypt_hash_size || h[0] != '$' || h[1] != '2' || (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') ||
      h[3] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$') {
    ec = error::secret_hash_invalid;
    return 0;
  }
  for (char c : h.substr(7))
    if (!is_bcrypt_char(c)) {
      ec = error::secret_hash_invalid;
      return 0;
    }
  unsigned cost = static_cast<unsigned>((h[4] - '0') * 10 + (h[5] - '0'));
  if (cost < bcrypt_min_cost || cost > max_cost) ec = error::secret_hash_cost;
  return cost;
}

inline bool secret_fits_bcrypt(std::string_view secret) noexcept {
  return secret.size() <= bcrypt_max_secret_size && secret.find('\0') == std::string_view::npos;
}

// Runs bcrypt over `secret` with `setting` (a full hash or a salt) and hands the result to
// `use` before wiping every copy. Returns false when libxcrypt refuses the setting.
template <class Use>
bool run_bcrypt(std::string_view secret, std::string_view setting, Use use) noexcept try {
  std::array<char, bcrypt_max_secret_size + 1> phrase{};
  std::array<char, bcrypt_hash_size + 1> salt{};
  if (!secret_fits_bcrypt(secret) || setting.size() > bcrypt_hash_size) return false;
  std::memcpy(phrase.data(), secret.data(), secret.size());
  std::memcpy(salt.data(), setting.data(), setting.size());
  auto work = std::make_unique<crypt_data>();  // 32 KiB, zeroed: too big for small stacks
  const char* out = crypt_rn(phrase.data(), salt.data(), work.get(), static_cast<int>(sizeof(crypt_data)));
  bool ok = out != nullptr && out[0] != '*';
  if (ok) use(std::string_view(out));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  OPENSSL_cleanse(work.get(), sizeof(crypt_data));
  return ok;
} catch (...) {  // allocation failure
  return false;
}

}  // namespace detail

/// Checks that `stored` is a bcrypt string tessera will verify: `secret_hash_invalid` for
/// anything malformed, `secret_hash_cost` for a cost outside [bcrypt_min_cost, max_cost].
/// Run it when configuration is loaded, so a bad hash is an error at start-up, not at login.
inline void check_secret_hash(std::string_view stored, std::error_code& ec, unsigned max_cost = bcrypt_max_cost) noexcept {
  detail::parse_bcrypt(stored, max_cost, ec);
}

/// Hashes `secret` with a fresh 128-bit salt at `cost`. Fails with `secret_hash_cost` when
/// the cost is out of bounds, `input_too_large` for a secret over 72 bytes, `parameter_invalid`
/// for a secret containing NUL, `random_failure` or `crypto_failure`.
inline std::string hash_secret(std::string_view secret, unsigned cost, std::error_code& ec) {
  ec = {};
  if (cost < bcrypt_min_cost || cost > bcrypt_max_cost) return ec = error::secret_hash_cost, std::string{};
  if (secret.size() > bcrypt_max_secret_size) return ec = error::input_too_large, std::string{};
  if (secret.find('\0') != std::string_view::npos) return ec = error::parameter_invalid, std::string{};
  std::array<unsigned char, 16> salt_bytes;
  random_bytes(salt_bytes, ec);
  if (ec) return {};
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  const char* s = crypt_gensalt_rn("$2b$", cost, reinterpret_cast<const char*>(salt_bytes.data()),
                                   static_cast<int>(salt_bytes.size()), setting.data(), static_cast<int>(setting.size()));
  std::string result;
  if (s == nullptr || !detail::run_bcrypt(secret, s, [&](std::string_view h) { result.assign(h); }) ||
      result.size() != bcrypt_hash_size) {
    ec = error::crypto_failure;
    return {};
  }
  return result;
}
inline std::string hash_secret(std::string_view secret, unsigned cost = bcrypt_default_cost) {
  std::error_code ec;
  auto h = hash_secret(secret, cost, ec);
  tessera::detail::throw_if(ec);
  return h;
}

/// True when `secret` matches the bcrypt string `stored`. On a mismatch returns false with
/// `ec = secret_mismatch`; on a malformed or out-of-bounds hash returns false with
/// `secret_hash_invalid` / `secret_hash_cost` and does not run bcrypt.
inline bool verify_secret(std::string_view secret, std::string_view stored, std::error_code& ec,
                          unsigned max_cost = bcrypt_max_cost) noexcept {
  detail::parse_bcrypt(stored, max_cost, ec);
  if (ec) return false;
  if (!detail::secret_fits_bcrypt(secret)) return ec = error::secret_mismatch, false;
  bool equal = false;
  if (!detail::run_bcrypt(secret, stored, [&](std::string_view h) { equal = constant_time_equal(h, stored); }))
    return ec = error::secret_hash_invalid, false;
  if (!equal) ec = error::secret_mismatch;
  return equal;
}
/// As above, but a mismatch is an ordinary `false`; only a malformed hash throws.
inline bool verify_secret(std::string_view secret, std::string_view stored, unsigned max_cost = bcrypt_max_cost) {
  std::error_code ec;
  bool ok = verify_secret(secret, stored, ec, max_cost);
  if (ec && ec != error::secret_mismatch) tessera::detail::throw_error(ec);
  return ok;
}

/// Flyte's stored form of a client secret hash: standard base64 (with padding) of the bcrypt
/// string.
inline std::string encode_flyte_client_secret_hash(std::string_view bcrypt_hash) { return base64_encode(bcrypt_hash); }

/// Hashes `secret` and encodes it as Flyte stores it (the `clientSecretHash` Helm value).
inline std::string hash_flyte_client_secret(std::string_view secret, unsigned cost, std::error_code& ec) {
  auto h = hash_secret(secret, cost, ec);
  return ec ? std::string{} : encode_flyte_client_secret_hash(h);
}
inline std::string hash_flyte_client_secret(std::string_view secret, unsigned cost = bcrypt_default_cost) {
  return encode_flyte_client_secret_hash(hash_secret(secret, cost));
}

/// Decodes Flyte's base64 form to the bcrypt string; `secret_hash_invalid` when it is not
/// strict padded base64 of a well-formed bcrypt string, `secret_hash_cost` when out of bounds.
inline std::string decode_flyte_client_secret_hash(std::string_view flyte_hash, std::error_code& ec,
                                                   unsigned max_cost = bcrypt_max_cost) {
  auto h = base64_decode(flyte_hash, ec);
  if (ec) return ec = error::secret_hash_invalid, std::string{};
  check_secret_hash(h, ec, max_cost);
  return ec ? std::string{} : h;
}

/// `verify_secret` against a Flyte-format (base64 of bcrypt) hash, same results.
inline bool verify_flyte_client_secret(std::string_view secret, std::string_view flyte_hash, std::error_code& ec,
                                       unsigned max_cost = bcrypt_max_cost) noexcept try {
  auto h = decode_flyte_client_secret_hash(flyte_hash, ec, max_cost);
  return !ec && verify_secret(secret, h, ec, max_cost);
} catch (...) {
  ec = error::crypto_failure;
  return false;
}
inline bool verify_flyte_client_secret(std::string_view secret, std::string_view flyte_hash,
                                       unsigned max_cost = bcrypt_max_cost) {
  std::error_code ec;
  bool ok = verify_flyte_client_secret(secret, flyte_hash, ec, max_cost);
  if (ec && ec != error::secret_mismatch) tessera::detail::throw_error(ec);
  return ok;
}

}  // namespace tessera::crypto

#endif
