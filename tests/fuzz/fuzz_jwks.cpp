// tessera — tests/fuzz/fuzz_jwks.cpp: JWK and JWK Set parsing (jose/jwk.hpp, jose/jwks.hpp).
//
// Checks: a parsed set holds no oct key and no private key, and round-trips: its public_json
// parses back to a set of the same size with the same thumbprints. A single JWK that parses re-imports from its own public_json with the
// same thumbprint and algorithm, and never publishes a private member.
#include <tessera/jose/jwks.hpp>

#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x)             \
  do {                            \
    if (!(x)) __builtin_trap();   \
  } while (0)

namespace {

namespace jose = tessera::jose;

void check_public_json(const jose::jwk& k) {
  const auto pj = k.public_json();
  for (auto m : {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}) FUZZ_CHECK(!pj.contains(m));
  if (k.kty() == jose::key_type::oct) return;
  std::error_code ec;
  const auto again = jose::jwk::from_json(pj, ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(again.alg() == k.alg());
  // An explicit empty kid is not published, so the re-import falls back to the thumbprint.
  FUZZ_CHECK(k.kid().empty() || again.kid() == k.kid());
  FUZZ_CHECK(again.thumbprint() == k.thumbprint());
  FUZZ_CHECK(!again.has_private_key());
}

void check_set(std::string_view text) {
  std::error_code ec;
  const auto set = jose::jwk_set::parse(text, ec);
  if (ec) {
    FUZZ_CHECK(set.empty());
    return;
  }
  for (const auto& k : set) {
    FUZZ_CHECK(k.valid());
    FUZZ_CHECK(k.kty() != jose::key_type::oct);  // "k" is a private member
    FUZZ_CHECK(!k.has_private_key());
    check_public_json(k);
  }
  const std::string doc = boost::json::serialize(set.public_json());
  const auto again = jose::jwk_set::parse(std::string_view(doc), ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(again.size() == set.size());
  for (std::size_t i = 0; i < set.size(); ++i) FUZZ_CHECK(again[i].thumbprint() == set[i].thumbprint());
}

void check_key(std::string_view text, std::optional<jose::algorithm> alg) {
  std::error_code ec;
  const auto k = jose::jwk::from_json(text, ec, alg);
  FUZZ_CHECK(k.valid() == !ec);
  if (ec) return;
  if (alg) FUZZ_CHECK(k.alg() == *alg);
  FUZZ_CHECK(jose::required_key_type(k.alg()) == k.kty());
  check_public_json(k);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_set(text);
  check_key(text, std::nullopt);
  check_key(text, jose::algorithm::HS256);
  check_key(text, jose::algorithm::PS384);
  return 0;
}
