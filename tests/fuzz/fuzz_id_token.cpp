// tessera — tests/fuzz/fuzz_id_token.cpp: ID tokens a relying party receives
// (oauth/id_token.hpp). The first byte picks the part: the claims JSON, signed with the
// provider's key (the checks after the signature, which only a real provider's token reaches),
// or a whole token as sent (the JWS parsing in front of them).
//
// Beyond "does not crash": an accepted token names the configured issuer and client, a
// non-empty `sub` of at most 255 characters, and the login's nonce.
#include <tessera/jose.hpp>
#include <tessera/oauth/id_token.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

namespace {

using namespace tessera;

struct fixed_clock {
  time_point now() const noexcept { return from_unix_seconds(1'800'000'000); }
};

const jose::jwk& provider_key() {
  static const jose::jwk k = jose::jwk::generate(jose::algorithm::ES256).with_kid("op");
  return k;
}

const oauth::id_token_validator<>& validator() {
  static const oauth::id_token_validator<> v = [] {
    oauth::id_token_options o;
    o.issuer = "https://op.example.com";
    o.client_id = "rp";
    o.algorithms = {jose::algorithm::ES256};
    o.trusted_audiences = {"other"};
    return oauth::id_token_validator<>(jose::static_key_set(jose::jwk_set{provider_key().public_key()}), o);
  }();
  return v;
}

void check(std::string_view token) {
  oauth::id_token_expectations e;
  e.nonce = "n-1";
  e.max_age = seconds(300);
  e.access_token = "at";
  std::error_code ec;
  auto jwt = validator().validate(token, e, ec, fixed_clock{});
  if (ec) return;
  FUZZ_CHECK(jwt.issuer() == "https://op.example.com");
  FUZZ_CHECK(!jwt.subject().empty() && jwt.subject().size() <= 255);
  FUZZ_CHECK(jwt.string_claim("nonce") == "n-1");
  const auto* aud = jwt.claims.if_contains("aud");
  FUZZ_CHECK(aud);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    std::error_code ec;
    boost::json::parse_options po;
    po.max_depth = 16;
    auto v = boost::json::parse(in, ec, {}, po);
    if (ec || !v.is_object()) return 0;
    check(jose::sign_jwt(jose::jws_signer(provider_key(), "JWT"), v.get_object()));
  } else {
    check(in);
  }
  return 0;
}
