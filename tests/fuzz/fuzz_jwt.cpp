// tessera — tests/fuzz/fuzz_jwt.cpp: JWT validation (jose/jwt.hpp) at a fixed time.
//
// Each input is used twice: as a token for the validator (keys as in fuzz_jws: HS256 "hs",
// ES256 "es", EdDSA "ed"), and as the payload of a token signed with the HS256 key, so the
// claim checks see arbitrary claim sets, not only ones the fuzzer got past a signature.
//
// Checks: a failure returns no claims; a success means iss and aud are the configured ones,
// typ is at+jwt, exp is present, and the token was signed by a key of the set.
//
// A second validator reads the same keys through a shared_key_set and accepts a tenant
// template (https://login.example/{tenantid}/v2.0 with tenants t1 and t2) plus a claim check
// (a "tid" claim must be present); a success there means an allowed tenant's issuer, a tid, and
// a key inside the snapshot the result owns. Every success also converts exp, iat and nbf to
// time points (saturating: UBSan would report an overflowing conversion).
#include <tessera/jose/jwt.hpp>

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
constexpr std::int64_t fuzz_now = 1'700'000'000;

const jose::jwk& hmac_key() {
  static const auto k = jose::jwk::from_json(
      R"({"kty":"oct","kid":"hs","alg":"HS256","k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"})");
  return k;
}

const jose::jwt_validator& validator() {
  static const jose::jwt_validator v = [] {
    jose::jwk_set s;
    s.add(hmac_key());
    s.add(jose::jwk::from_json(
        R"({"kty":"EC","kid":"es","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})"));
    s.add(jose::jwk::from_json(
        R"({"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})"));
    jose::jwt_validator val(std::move(s));
    val.issuer("https://issuer.example")
        .audience("api")
        .type("at+jwt")
        .max_age(tessera::seconds(86400))
        .require("sub")
        .understand_critical("exp-hint");
    return val;
  }();
  return v;
}

const jose::shared_jwt_validator& tenant_validator() {
  static const jose::shared_jwt_validator v = [] {
    jose::shared_jwt_validator val(jose::shared_key_set(validator().keys()));
    val.issuer(jose::tenant_issuer::allow("https://login.example/{tenantid}/v2.0", {"t1", "t2"}))
        .check([](const boost::json::object& claims, std::error_code& ec) {
          if (!claims.contains("tid")) ec = tessera::error::claim_check_failed;
        });
    return val;
  }();
  return v;
}

// The dates of a verified token: present ones convert, and exp lies after now - leeway.
void check_dates(const jose::verified_jwt& r) {
  const auto exp = r.expires_at();
  FUZZ_CHECK(exp && *exp > tessera::from_unix_seconds(fuzz_now - 60) && *exp <= tessera::latest_time);
  if (r.claims.contains("iat")) FUZZ_CHECK(r.issued_at() && *r.issued_at() >= tessera::earliest_time);
  if (r.claims.contains("nbf")) FUZZ_CHECK(r.not_before().has_value());
}

const jose::jws_signer& signer() {
  static const jose::jws_signer s(hmac_key(), "at+jwt");
  return s;
}

void check(std::string_view token) {
  const tessera::manual_clock clock(fuzz_now);
  std::error_code ec;
  const auto r = validator().validate(token, ec, clock);
  if (ec) {
    FUZZ_CHECK(r.claims.empty() && r.key == nullptr);
    return;
  }
  FUZZ_CHECK(r.issuer() == "https://issuer.example");
  FUZZ_CHECK(r.claims.contains("exp") && r.claims.contains("iat") && r.claims.contains("sub"));
  FUZZ_CHECK(r.key != nullptr && r.key->alg() == r.alg);
  const auto& aud = r.claims.at("aud");
  bool aud_ok = aud.is_string() && aud.as_string() == "api";
  if (aud.is_array())
    for (const auto& a : aud.as_array()) aud_ok = aud_ok || (a.is_string() && a.as_string() == "api");
  FUZZ_CHECK(aud_ok);
  check_dates(r);
}

void check_tenant(std::string_view token) {
  const tessera::manual_clock clock(fuzz_now);
  std::error_code ec;
  const auto r = tenant_validator().validate(token, ec, clock);
  if (ec) {
    FUZZ_CHECK(r.claims.empty() && r.key == nullptr && r.key_owner == nullptr);
    return;
  }
  FUZZ_CHECK(r.issuer() == "https://login.example/t1/v2.0" || r.issuer() == "https://login.example/t2/v2.0");
  FUZZ_CHECK(r.claims.contains("tid"));
  FUZZ_CHECK(r.key_owner != nullptr && r.key >= &*r.key_owner->begin() &&
             r.key < &*r.key_owner->begin() + r.key_owner->size() && r.key->alg() == r.alg);
  check_dates(r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check(in);
  check_tenant(in);
  if (size <= 4096) {
    std::error_code ec;
    const std::string token = signer().sign(in, ec);
    FUZZ_CHECK(!ec);
    check(token);
    check_tenant(token);
  }
  return 0;
}
