// JWT validation: every claim check with a manual clock, each with its own error; token-type
// confusion (docs/security.md row 5); throwing overloads; one validator shared by four threads.
#include "support.hpp"

#include <boost/json/serialize.hpp>

#include <atomic>
#include <cstdint>
#include <limits>
#include <thread>

using namespace jose_test;
using jose::algorithm;

namespace {

constexpr std::int64_t now = 1'700'000'000;  // the manual clock's time in every test
constexpr std::string_view issuer = "https://auth.example.com";
constexpr std::string_view audience = "https://api.example.com";

const jose::jwk& signing_key() {
  static const auto k = jose::jwk::generate(algorithm::ES256);
  return k;
}

// Claims valid at `now` for the validator below.
boost::json::object good_claims() {
  return {{"iss", issuer}, {"sub", "alice"}, {"aud", audience}, {"iat", now - 10}, {"exp", now + 300},
          {"client_id", "cli"}, {"scope", "read"}, {"jti", "t-1"}};
}

std::string sign(const boost::json::object& claims, std::string_view typ = "at+jwt") {
  return jose::sign_jwt(jose::jws_signer(signing_key(), typ), claims);
}

jose::jwt_validator make_validator() {
  jose::jwt_validator v(jose::jwk_set{signing_key().public_key()});
  v.issuer(std::string(issuer)).audience(std::string(audience)).type("at+jwt");
  return v;
}

std::error_code validate_error(const jose::jwt_validator& v, std::string_view token, std::int64_t at = now) {
  tessera::manual_clock clock(at);
  std::error_code ec;
  auto r = v.validate(token, ec, clock);
  if (ec) CHECK(r.claims.empty());
  return ec;
}

// The validation error of good_claims() with one member changed (or removed, for null).
std::error_code with_claim(std::string_view name, boost::json::value value, const jose::jwt_validator& v = make_validator()) {
  auto c = good_claims();
  if (value.is_null())
    c.erase(name);
  else
    c[name] = std::move(value);
  return validate_error(v, sign(c));
}

}  // namespace

TEST_CASE("a token with valid claims passes and exposes them") {
  auto v = make_validator();
  tessera::manual_clock clock(now);
  std::error_code ec;
  auto r = v.validate(sign(good_claims()), ec, clock);
  REQUIRE_FALSE(ec);
  CHECK(r.issuer() == issuer);
  CHECK(r.subject() == "alice");
  CHECK(r.jwt_id() == "t-1");
  CHECK(r.string_claim("scope") == "read");
  CHECK(r.string_claim("iat").empty());  // not a string
  CHECK(r.string_claim("missing").empty());
  CHECK(r.alg == algorithm::ES256);
  CHECK(r.key == &v.keys()[0]);
  CHECK(r.header.at("typ").as_string() == "at+jwt");
}

TEST_CASE("iss must match exactly: a trailing slash, case or scheme difference is issuer_mismatch") {
  for (std::string_view iss : {"https://auth.example.com/", "https://Auth.example.com", "http://auth.example.com",
                               "https://auth.example.com.evil", "https://auth.example.co", ""}) {
    INFO(iss);
    CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(iss)), error::issuer_mismatch);
  }
  CHECK_INVALID_TOKEN(with_claim("iss", nullptr), error::issuer_missing);
  CHECK_INVALID_TOKEN(with_claim("iss", 42), error::claim_type);
  CHECK_INVALID_TOKEN(with_claim("iss", boost::json::array{issuer}), error::claim_type);
  // A validator that accepts several issuers accepts each of them, exactly.
  auto v = make_validator();
  v.issuer("https://accounts.google.com").issuer("accounts.google.com");
  CHECK_FALSE(with_claim("iss", "accounts.google.com", v));
  CHECK_FALSE(with_claim("iss", "https://accounts.google.com", v));
  CHECK_INVALID_TOKEN(with_claim("iss", "https://accounts.google.com/", v), error::issuer_mismatch);
}

TEST_CASE("aud: a string or an array containing an accepted audience; anything else fails") {
  CHECK_FALSE(with_claim("aud", boost::json::string(audience)));
  CHECK_FALSE(with_claim("aud", boost::json::array{"other", audience}));
  CHECK_INVALID_TOKEN(with_claim("aud", "https://api.example.com/"), error::audience_mismatch);
  CHECK_INVALID_TOKEN(with_claim("aud", boost::json::array{"a", "b"}), error::audience_mismatch);
  CHECK_INVALID_TOKEN(with_claim("aud", boost::json::array{}), error::audience_mismatch);
  CHECK_INVALID_TOKEN(with_claim("aud", boost::json::array{audience, 7}), error::claim_type);
  CHECK_INVALID_TOKEN(with_claim("aud", boost::json::array{boost::json::array{audience}}), error::claim_type);
  CHECK_INVALID_TOKEN(with_claim("aud", 7), error::claim_type);
  CHECK_INVALID_TOKEN(with_claim("aud", boost::json::object{{"aud", audience}}), error::claim_type);
  CHECK_INVALID_TOKEN(with_claim("aud", nullptr), error::audience_missing);
  // Without a configured audience the claim is not checked.
  jose::jwt_validator no_aud(jose::jwk_set{signing_key().public_key()});
  CHECK_FALSE(with_claim("aud", 7, no_aud));
}

TEST_CASE("exp: expired at exp + leeway, valid one second before") {
  auto v = make_validator();  // leeway 60 s
  auto c = good_claims();
  c["exp"] = now - 59;
  CHECK_FALSE(validate_error(v, sign(c)));
  c["exp"] = now - 60;
  CHECK_INVALID_TOKEN(validate_error(v, sign(c)), error::token_expired);
  // Same token, clock moved.
  c["exp"] = now + 100;
  const std::string token = sign(c);
  CHECK_FALSE(validate_error(v, token, now + 159));
  CHECK_INVALID_TOKEN(validate_error(v, token, now + 160), error::token_expired);
  // Zero leeway: expired exactly at exp.
  v.leeway(tessera::seconds(0));
  CHECK_FALSE(validate_error(v, token, now + 99));
  CHECK_INVALID_TOKEN(validate_error(v, token, now + 100), error::token_expired);
}

TEST_CASE("exp is required unless require_expiry(false); it must be a number") {
  CHECK_INVALID_TOKEN(with_claim("exp", nullptr), error::expiration_missing);
  auto lenient = make_validator();
  lenient.require_expiry(false);
  CHECK_FALSE(with_claim("exp", nullptr, lenient));
  for (boost::json::value bad : {boost::json::value("1800000000"), boost::json::value(true),
                                 boost::json::value(boost::json::array{now + 10})}) {
    INFO(boost::json::serialize(bad));
    CHECK_INVALID_TOKEN(with_claim("exp", bad), error::claim_type);
  }
}

TEST_CASE("NumericDate may be fractional and is compared in whole seconds") {
  auto v = make_validator();
  v.leeway(tessera::seconds(0));
  CHECK_FALSE(with_claim("exp", static_cast<double>(now) + 1.5, v));
  CHECK_INVALID_TOKEN(with_claim("exp", static_cast<double>(now) + 0.5, v), error::token_expired);
  CHECK_INVALID_TOKEN(with_claim("exp", static_cast<double>(now) - 0.5, v), error::token_expired);
  CHECK_FALSE(with_claim("nbf", static_cast<double>(now) + 0.25, v));
  CHECK_INVALID_TOKEN(with_claim("nbf", static_cast<double>(now) + 1.25, v), error::token_not_yet_valid);
  // 1e300 is a number but no date.
  CHECK_INVALID_TOKEN(with_claim("exp", 1e300, v), error::claim_type);
}

TEST_CASE("extreme NumericDates neither overflow nor slip through") {
  auto v = make_validator();
  v.max_age(tessera::seconds(3600));
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  // The end of int64 time is in the future: not expired.
  CHECK_FALSE(with_claim("exp", max, v));
  CHECK_FALSE(with_claim("exp", max - 30, v));
  CHECK_INVALID_TOKEN(with_claim("exp", min, v), error::token_expired);
  CHECK_INVALID_TOKEN(with_claim("nbf", max, v), error::token_not_yet_valid);
  CHECK_FALSE(with_claim("nbf", min, v));
  CHECK_INVALID_TOKEN(with_claim("iat", max, v), error::token_issued_in_future);
  // An iat at the start of int64 time is far older than max_age.
  CHECK_INVALID_TOKEN(with_claim("iat", min, v), error::token_too_old);
  CHECK_INVALID_TOKEN(with_claim("iat", min + 1, v), error::token_too_old);
  // Beyond int64: not a date.
  CHECK_INVALID_TOKEN(with_claim("exp", static_cast<std::uint64_t>(max) + 1, v), error::claim_type);
}

TEST_CASE("nbf: not yet valid beyond the leeway") {
  CHECK_FALSE(with_claim("nbf", now + 60));
  CHECK_INVALID_TOKEN(with_claim("nbf", now + 61), error::token_not_yet_valid);
  CHECK_FALSE(with_claim("nbf", now - 1000));
  CHECK_INVALID_TOKEN(with_claim("nbf", "soon"), error::claim_type);
}

TEST_CASE("iat: in the future beyond the leeway is token_issued_in_future") {
  CHECK_FALSE(with_claim("iat", now + 60));
  CHECK_INVALID_TOKEN(with_claim("iat", now + 61), error::token_issued_in_future);
  CHECK_INVALID_TOKEN(with_claim("iat", "now"), error::claim_type);
  CHECK_FALSE(with_claim("iat", nullptr));  // optional without max_age
}

TEST_CASE("max_age: iat older than max_age + leeway is token_too_old, and iat becomes required") {
  auto v = make_validator();
  v.max_age(tessera::seconds(600));
  CHECK_FALSE(with_claim("iat", now - 660, v));
  CHECK_INVALID_TOKEN(with_claim("iat", now - 661, v), error::token_too_old);
  CHECK_INVALID_TOKEN(with_claim("iat", nullptr, v), error::issued_at_missing);
}

TEST_CASE("required claims must be present") {
  auto v = make_validator();
  v.require("client_id").require("scope");
  CHECK_FALSE(with_claim("sub", nullptr, v));
  CHECK_INVALID_TOKEN(with_claim("client_id", nullptr, v), error::claim_missing);
  CHECK_INVALID_TOKEN(with_claim("scope", nullptr, v), error::claim_missing);
  // Present with any value counts as present.
  CHECK_FALSE(with_claim("scope", "", v));
}

TEST_CASE("max_token_size refuses longer tokens before anything else") {
  const std::string token = sign(good_claims());
  auto v = make_validator();
  v.max_token_size(token.size());
  CHECK_FALSE(validate_error(v, token));
  v.max_token_size(token.size() - 1);
  CHECK(validate_error(v, token) == error::token_too_large);
}

TEST_CASE("a payload that is not a JSON object is claims_invalid") {
  auto v = make_validator();
  for (std::string_view payload : {"not json", "[1,2]", "\"claims\"", "", "{\"a\":1", "null"}) {
    INFO(payload);
    CHECK_INVALID_TOKEN(validate_error(v, forge(signing_key(), R"({"alg":"ES256","typ":"at+jwt"})", payload)),
                        error::claims_invalid);
  }
}

TEST_CASE("claims are checked only after the signature verifies") {
  auto v = make_validator();
  auto c = good_claims();
  c["exp"] = now - 1000;
  c["iss"] = "https://evil.example";
  const std::string token = sign(c);
  std::string sig = raw_signature(token);
  sig[0] ^= 1;
  CHECK_INVALID_TOKEN(validate_error(v, with_signature(token, sig)), error::signature_invalid);
}

//------------------------------------------------------------------------------------------
// docs/security.md row 5

TEST_CASE("ID token used as access token is rejected: typ at+jwt required") {
  // An OIDC ID token from the same issuer and key: typ JWT, aud = the client id.
  auto id_claims = good_claims();
  id_claims["aud"] = "cli";
  id_claims["nonce"] = "n-0S6_WzA2Mj";
  auto v = make_validator();
  CHECK_INVALID_TOKEN(validate_error(v, sign(id_claims, "JWT")), error::typ_mismatch);
  CHECK_INVALID_TOKEN(validate_error(v, sign(id_claims, "")), error::typ_mismatch);
  // Even with the API's audience it stays an ID token by type.
  CHECK_INVALID_TOKEN(validate_error(v, sign(good_claims(), "JWT")), error::typ_mismatch);
  // And with an at+jwt typ the distinct audience still refuses it.
  CHECK_INVALID_TOKEN(validate_error(v, sign(id_claims, "at+jwt")), error::audience_mismatch);
}

TEST_CASE("refresh token string is not a JWT") {
  auto v = make_validator();
  // Opaque refresh tokens: random base64url, or with a prefix, or a UUID.
  for (std::string_view refresh : {"pYv2bLq3d0m1Jr0uT0y8dQ6tFvKzZ8iW9aM4xN2sC5E", "rt_pYv2bLq3d0m1Jr0uT0y8dQ6tFvKzZ8iW9aM4xN2sC5E",
                                   "8a7b6c5d-4e3f-2a1b-0c9d-8e7f6a5b4c3d", ""}) {
    INFO(refresh);
    CHECK_INVALID_TOKEN(validate_error(v, refresh), error::jws_malformed);
  }
  // A refresh token that happens to contain two dots is still not a signed JWS.
  CHECK_INVALID_TOKEN(validate_error(v, "abc.def.ghi"), error::jws_header_invalid);
}

//------------------------------------------------------------------------------------------

TEST_CASE("validate's throwing overload throws tessera::system_error with the same code") {
  auto v = make_validator();
  tessera::manual_clock clock(now);
  auto c = good_claims();
  c["exp"] = now - 3600;
  try {
    v.validate(sign(c), clock);
    FAIL("no exception");
  } catch (const tessera::system_error& e) {
    CHECK(e.code() == error::token_expired);
    CHECK(e.code() == condition::invalid_token);
  }
  CHECK_NOTHROW(v.validate(sign(good_claims()), clock));
  CHECK_THROWS_AS(v.validate("x", clock), tessera::system_error);
}

TEST_CASE("validate uses the system clock by default") {
  auto v = make_validator();
  const auto real_now = tessera::to_unix_seconds(tessera::system_clock{}.now());
  auto c = good_claims();
  c["iat"] = real_now;
  c["exp"] = real_now + 600;
  std::error_code ec;
  v.validate(sign(c), ec);
  CHECK_FALSE(ec);
  c["exp"] = real_now - 600;
  v.validate(sign(c), ec);
  CHECK(ec == error::token_expired);
}

TEST_CASE("one jwt_validator shared by four threads gives every thread the right answer") {
  const auto es = jose::jwk::generate(algorithm::ES256);
  const auto rs = jose::jwk::generate(algorithm::RS256);
  const auto ed = jose::jwk::generate(algorithm::EdDSA);
  const auto hs = jose::jwk::generate(algorithm::HS256).with_kid("hs");
  const jose::jwt_validator v = [&] {
    jose::jwt_validator val(jose::jwk_set{es.public_key(), rs.public_key(), ed.public_key(), hs});
    val.issuer(std::string(issuer)).audience(std::string(audience)).type("at+jwt");
    return val;
  }();
  // A fixed mix of good and bad tokens, each with its expected outcome.
  struct sample {
    std::string token;
    std::error_code expected;
  };
  std::vector<sample> samples;
  for (const auto* k : {&es, &rs, &ed, &hs}) {
    jose::jws_signer signer(*k, "at+jwt");
    auto c = good_claims();
    c["sub"] = "user-" + k->kid();
    samples.push_back({jose::sign_jwt(signer, c), {}});
    c["exp"] = now - 100;
    samples.push_back({jose::sign_jwt(signer, c), error::token_expired});
    c = good_claims();
    c["aud"] = "other";
    samples.push_back({jose::sign_jwt(signer, c), error::audience_mismatch});
    std::string t = jose::sign_jwt(signer, good_claims());
    std::string sig = raw_signature(t);
    sig[sig.size() / 2] ^= 0x40;
    samples.push_back({with_signature(t, sig), error::signature_invalid});
  }
  const tessera::manual_clock clock(now);
  constexpr int threads = 4, rounds = 50;
  std::atomic<int> mismatches{0}, checked{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int round = 0; round < rounds; ++round) {
        for (std::size_t i = 0; i < samples.size(); ++i) {
          const auto& s = samples[(i + static_cast<std::size_t>(t) * 3) % samples.size()];
          std::error_code ec;
          auto r = v.validate(s.token, ec, clock);
          bool ok = ec == s.expected && (ec || r.subject().starts_with("user-"));
          if (!ok) ++mismatches;
          ++checked;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(checked == threads * rounds * static_cast<int>(samples.size()));
  CHECK(mismatches == 0);
}
