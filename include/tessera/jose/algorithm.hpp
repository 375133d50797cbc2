// tessera — jose/algorithm.hpp
//
// The JWS algorithms tessera signs and verifies (RFC 7518 §3.1, RFC 8037 §3.1).
//
// There is no enumerator for "none": an unsecured JWS cannot be named, configured or
// produced (RFC 8725 §3.1, CVE-2015-2951). Parsing the string "none" yields its own error
// (`error::jws_alg_none`) so logs say exactly what was refused.
#ifndef TESSERA_JOSE_ALGORITHM_HPP
#define TESSERA_JOSE_ALGORITHM_HPP

#include <tessera/error.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace tessera::jose {

enum class algorithm : unsigned char {
  HS256, HS384, HS512,  // HMAC with SHA-2 (RFC 7518 §3.2)
  RS256, RS384, RS512,  // RSASSA-PKCS1-v1_5 (§3.3)
  PS256, PS384, PS512,  // RSASSA-PSS, MGF1 with the same hash, salt = hash length (§3.5)
  ES256, ES384, ES512,  // ECDSA over P-256/P-384/P-521, signature R‖S (§3.4)
  EdDSA,                // Ed25519 (RFC 8037 §3.1)
};

/// The key types of RFC 7518 §6.1 and RFC 8037 §2.
enum class key_type : unsigned char { oct, RSA, EC, OKP };

/// SHA-2 output size of an algorithm's hash, in bytes (EdDSA: 0, it hashes internally).
enum class hash_kind : unsigned char { none, sha256, sha384, sha512 };

namespace detail {
struct algorithm_traits {
  algorithm alg;
  std::string_view name;
  key_type kty;
  hash_kind hash;
  std::size_t fixed_signature_size;  // 0 when the size follows from the key (RSA)
};

inline constexpr algorithm_traits algorithm_table[] = {
    {algorithm::HS256, "HS256", key_type::oct, hash_kind::sha256, 32},
    {algorithm::HS384, "HS384", key_type::oct, hash_kind::sha384, 48},
    {algorithm::HS512, "HS512", key_type::oct, hash_kind::sha512, 64},
    {algorithm::RS256, "RS256", key_type::RSA, hash_kind::sha256, 0},
    {algorithm::RS384, "RS384", key_type::RSA, hash_kind::sha384, 0},
    {algorithm::RS512, "RS512", key_type::RSA, hash_kind::sha512, 0},
    {algorithm::PS256, "PS256", key_type::RSA, hash_kind::sha256, 0},
    {algorithm::PS384, "PS384", key_type::RSA, hash_kind::sha384, 0},
    {algorithm::PS512, "PS512", key_type::RSA, hash_kind::sha512, 0},
    {algorithm::ES256, "ES256", key_type::EC, hash_kind::sha256, 64},
    {algorithm::ES384, "ES384", key_type::EC, hash_kind::sha384, 96},
    {algorithm::ES512, "ES512", key_type::EC, hash_kind::sha512, 132},
    {algorithm::EdDSA, "EdDSA", key_type::OKP, hash_kind::none, 64},
};

constexpr bool algorithm_table_in_order() {
  for (std::size_t i = 0; i < std::size(algorithm_table); ++i)
    if (static_cast<std::size_t>(algorithm_table[i].alg) != i) return false;
  return true;
}
static_assert(algorithm_table_in_order());

constexpr const algorithm_traits& traits(algorithm a) noexcept { return algorithm_table[static_cast<std::size_t>(a)]; }
}  // namespace detail

inline constexpr std::size_t algorithm_count = std::size(detail::algorithm_table);

/// The registered name ("RS256").
constexpr std::string_view to_string(algorithm a) noexcept { return detail::traits(a).name; }

/// The key type an algorithm needs.
constexpr key_type required_key_type(algorithm a) noexcept { return detail::traits(a).kty; }

constexpr hash_kind hash_of(algorithm a) noexcept { return detail::traits(a).hash; }

constexpr std::size_t hash_size(hash_kind h) noexcept {
  return h == hash_kind::sha256 ? 32 : h == hash_kind::sha384 ? 48 : h == hash_kind::sha512 ? 64 : 0;
}

constexpr bool is_hmac(algorithm a) noexcept { return required_key_type(a) == key_type::oct; }

/// Parses a registered name, case-sensitively (RFC 7515 §4.1.1). "none" → jws_alg_none;
/// any other unknown name → algorithm_unsupported.
constexpr std::optional<algorithm> parse_algorithm(std::string_view name, std::error_code& ec) noexcept {
  for (const auto& t : detail::algorithm_table)
    if (t.name == name) {
      ec = {};
      return t.alg;
    }
  ec = name == "none" ? error::jws_alg_none : error::algorithm_unsupported;
  return std::nullopt;
}

constexpr std::string_view to_string(key_type k) noexcept {
  switch (k) {
    case key_type::oct: return "oct";
    case key_type::RSA: return "RSA";
    case key_type::EC: return "EC";
    case key_type::OKP: return "OKP";
  }
  return "";
}

}  // namespace tessera::jose

#endif
