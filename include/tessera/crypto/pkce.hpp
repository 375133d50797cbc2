// tessera — crypto/pkce.hpp
//
// Proof Key for Code Exchange, RFC 7636, S256 only (RFC 9700 §2.1.1: `plain` gives no
// protection once the authorization request leaks; docs/security.md row 6).
//
//   verifier  = 43..128 characters of [A-Z a-z 0-9 - . _ ~]             (§4.1)
//   challenge = BASE64URL(SHA256(ASCII(verifier))), exactly 43 chars     (§4.2)
//   method    = "S256"; "plain" and anything else are refused             (§4.3, §4.2)
//
// Failure modes (all `tessera::error`, mapped to the wire codes of RFC 7636 §4.4.1 / §4.6):
//   pkce_method_unsupported  — method is not exactly "S256" (absent means "plain", §4.3)
//   pkce_challenge_malformed — challenge is not 43 canonical base64url characters
//   pkce_verifier_malformed  — verifier breaks the §4.1 syntax
//   pkce_verifier_mismatch   — SHA-256 of the verifier is not the challenge (constant-time)
#ifndef TESSERA_CRYPTO_PKCE_HPP
#define TESSERA_CRYPTO_PKCE_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/hash.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/error.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::crypto::pkce {

inline constexpr std::size_t verifier_min_size = 43;
inline constexpr std::size_t verifier_max_size = 128;
inline constexpr std::size_t s256_challenge_size = 43;  // base64url of 32 bytes, unpadded

/// The only transformation tessera supports.
enum class method { s256 };

/// The `code_challenge_method` value for a method (for metadata and client requests).
constexpr std::string_view method_name(method) noexcept { return "S256"; }

/// Parses `code_challenge_method`. Only "S256" (case-sensitive, §4.3) is accepted; an empty
/// string stands for an absent parameter, which §4.3 defines as "plain", and fails too.
inline method parse_method(std::string_view name, std::error_code& ec) noexcept {
  ec = name == "S256" ? std::error_code{} : std::error_code(error::pkce_method_unsupported);
  return method::s256;
}
inline method parse_method(std::string_view name) {
  std::error_code ec;
  auto m = parse_method(name, ec);
  tessera::detail::throw_if(ec);
  return m;
}

namespace detail {
constexpr bool is_unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}
}  // namespace detail

/// `pkce_verifier_malformed` unless `verifier` is 43..128 unreserved characters (§4.1).
inline void check_verifier(std::string_view verifier, std::error_code& ec) noexcept {
  ec = {};
  if (verifier.size() < verifier_min_size || verifier.size() > verifier_max_size) {
    ec = error::pkce_verifier_malformed;
    return;
  }
  for (char c : verifier)
    if (!detail::is_unreserved(c)) {
      ec = error::pkce_verifier_malformed;
      return;
    }
}
inline void check_verifier(std::string_view verifier) {
  std::error_code ec;
  check_verifier(verifier, ec);
  tessera::detail::throw_if(ec);
}

/// `pkce_challenge_malformed` unless `challenge` could be an S256 challenge: exactly 43
/// base64url characters that decode to 32 bytes with zero trailing bits. Checked at the
/// authorization endpoint, so a request that can never be redeemed is refused up front.
inline void check_s256_challenge(std::string_view challenge, std::error_code& ec) noexcept {
  ec = {};
  if (challenge.size() != s256_challenge_size) {
    ec = error::pkce_challenge_malformed;
    return;
  }
  std::array<unsigned char, 32> raw;
  if (crypto::detail::decode_unpadded(challenge, raw.data(), crypto::detail::base64url_table))
    ec = error::pkce_challenge_malformed;
}
inline void check_s256_challenge(std::string_view challenge) {
  std::error_code ec;
  check_s256_challenge(challenge, ec);
  tessera::detail::throw_if(ec);
}

/// A fresh verifier: 32 random bytes as 43 base64url characters (256 bits, §7.1 asks ≥ 256).
inline std::string make_verifier(std::error_code& ec) {
  std::array<unsigned char, 32> raw;
  random_bytes(raw, ec);
  return ec ? std::string{} : base64url_encode(raw);
}
inline std::string make_verifier() { return random_token<32>(); }

/// BASE64URL(SHA256(verifier)) (§4.2). Does not check the verifier's syntax.
inline std::string s256_challenge(std::string_view verifier, std::error_code& ec) {
  auto d = sha256(verifier, ec);
  return ec ? std::string{} : base64url_encode(d);
}
inline std::string s256_challenge(std::string_view verifier) { return base64url_encode(sha256(verifier)); }

/// The token endpoint's check (§4.6): the verifier must be well-formed and its S256
/// transformation must equal the stored challenge, compared in constant time. Returns true
/// on a match; otherwise false with `pkce_verifier_malformed` or `pkce_verifier_mismatch`.
inline bool verify_s256(std::string_view verifier, std::string_view challenge, std::error_code& ec) noexcept try {
  check_verifier(verifier, ec);
  if (ec) return false;
  auto expected = s256_challenge(verifier, ec);
  if (ec) return false;
  if (!constant_time_equal(expected, challenge)) {
    ec = error::pkce_verifier_mismatch;
    return false;
  }
  return true;
} catch (...) {  // allocation failure
  ec = error::crypto_failure;
  return false;
}
/// As above, but a malformed or wrong verifier is an ordinary `false`; throws only when
/// the hash itself cannot be computed.
inline bool verify_s256(std::string_view verifier, std::string_view challenge) {
  std::error_code ec;
  bool ok = verify_s256(verifier, challenge, ec);
  if (ec && ec != error::pkce_verifier_mismatch && ec != error::pkce_verifier_malformed) tessera::detail::throw_error(ec);
  return ok;
}

}  // namespace tessera::crypto::pkce

#endif
