// JWT validation: every claim check with a manual clock, each with its own error; token-type
// confusion (docs/security.md row 5); throwing overloads; one validator shared by four threads;
// tenant issuer templates; extra claim checks; dates of a verified token and their saturation.
#include "support.hpp"

#include <boost/json/serialize.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

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

TEST_CASE("aud: a string or an array containing an accepted audience, anything else fails") {
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

TEST_CASE("exp is required unless require_expiry(false), and it must be a number") {
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

//------------------------------------------------------------------------------------------
// Issuer policy: tenant templates (jose/issuer.hpp), docs/security.md row 22: a template is
// accepted only with an allow-list, or with any tenant when asked for by name.

namespace {

constexpr std::string_view azure_template = "https://login.microsoftonline.com/{tenantid}/v2.0";
constexpr std::string_view our_tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view partner_tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
constexpr std::string_view stranger_tenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

std::string azure_issuer(std::string_view tenant) {
  return "https://login.microsoftonline.com/" + std::string(tenant) + "/v2.0";
}

jose::jwt_validator tenant_validator(jose::tenant_issuer t) {
  jose::jwt_validator v(jose::jwk_set{signing_key().public_key()});
  v.issuer(std::move(t)).audience(std::string(audience)).type("at+jwt");
  return v;
}

}  // namespace

TEST_CASE("tenant template accepts an allowed tenant and refuses another") {
  auto v = tenant_validator(jose::tenant_issuer::allow(
      azure_template, {std::string(our_tenant), std::string(partner_tenant)}));
  CHECK_FALSE(with_claim("iss", boost::json::string(azure_issuer(our_tenant)), v));
  CHECK_FALSE(with_claim("iss", boost::json::string(azure_issuer(partner_tenant)), v));
  CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(azure_issuer(stranger_tenant)), v),
                      error::issuer_tenant_not_allowed);
  // Not the template at all: plain mismatch.
  for (std::string_view iss : {"https://login.microsoftonline.com/v2.0", "https://login.microsoftonline.com//v2.0",
                               "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/",
                               "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v1.0",
                               "http://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
                               "https://login.microsoftonline.com/{tenantid}/v2.0",
                               "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/x/v2.0",
                               "https://login.microsoftonline.com/../v2.0", "https://sts.windows.net/72f988bf/"}) {
    INFO(iss);
    CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(iss), v), error::issuer_mismatch);
  }
  // A tenant id is compared exactly.
  std::string upper(our_tenant);
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(azure_issuer(upper)), v), error::issuer_tenant_not_allowed);
  CHECK_INVALID_TOKEN(with_claim("iss", nullptr, v), error::issuer_missing);
  CHECK_INVALID_TOKEN(with_claim("iss", 7, v), error::claim_type);
}

TEST_CASE("any tenant is accepted only when asked for by name") {
  auto any = tenant_validator(jose::tenant_issuer::any_tenant(azure_template));
  CHECK_FALSE(with_claim("iss", boost::json::string(azure_issuer(stranger_tenant)), any));
  CHECK_FALSE(with_claim("iss", boost::json::string(azure_issuer("contoso.onmicrosoft.com")), any));
  // Still only well-formed tenants in the template's place.
  CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(azure_issuer("a/b")), any), error::issuer_mismatch);
  CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(azure_issuer("")), any), error::issuer_mismatch);
  CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(azure_issuer(".x")), any), error::issuer_mismatch);
  CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(azure_issuer(std::string(129, 'a'))), any),
                      error::issuer_mismatch);
  CHECK_FALSE(with_claim("iss", boost::json::string(azure_issuer(std::string(128, 'a'))), any));
  // An empty allow-list is not "any": it is refused when configured.
  std::error_code ec;
  jose::tenant_issuer::allow(azure_template, {}, ec);
  CHECK(ec == error::issuer_template_invalid);
  CHECK_THROWS_AS(jose::tenant_issuer::allow(azure_template, {}), tessera::system_error);
}

TEST_CASE("a tenant template needs one {tenantid} after a fixed scheme") {
  for (std::string_view bad : {"https://login.microsoftonline.com/common/v2.0", "https://{tenantid}/{tenantid}",
                               "{tenantid}", "{tenantid}.example.com/", "https:/{tenantid}", ""}) {
    INFO(bad);
    std::error_code ec;
    jose::tenant_issuer::any_tenant(bad, ec);
    CHECK(ec == error::issuer_template_invalid);
    CHECK(ec == condition::server_error);  // a configuration mistake, not a bad token
    jose::tenant_issuer::allow(bad, {"t"}, ec);
    CHECK(ec == error::issuer_template_invalid);
  }
  const auto t = jose::tenant_issuer::allow("https://{tenantid}.b2clogin.example/tfp/", {"contoso"});
  CHECK(t.issuer_template() == "https://{tenantid}.b2clogin.example/tfp/");
  CHECK(t.allowed_tenants() == std::vector<std::string>{"contoso"});
  CHECK_FALSE(t.allows_any_tenant());
  CHECK(t.tenant_of("https://contoso.b2clogin.example/tfp/") == std::optional<std::string_view>("contoso"));
  CHECK_FALSE(t.check("https://contoso.b2clogin.example/tfp/"));
  CHECK(t.check("https://fabrikam.b2clogin.example/tfp/") == error::issuer_tenant_not_allowed);
  CHECK(t.check("https://contoso.b2clogin.example/tfp") == error::issuer_mismatch);
}

TEST_CASE("exact issuers and tenant templates combine: any one accepts") {
  auto v = make_validator();  // exact: https://auth.example.com
  v.issuer(jose::tenant_issuer::allow(azure_template, {std::string(our_tenant)}));
  CHECK_FALSE(with_claim("iss", boost::json::string(issuer), v));
  CHECK_FALSE(with_claim("iss", boost::json::string(azure_issuer(our_tenant)), v));
  CHECK_INVALID_TOKEN(with_claim("iss", boost::json::string(azure_issuer(stranger_tenant)), v),
                      error::issuer_tenant_not_allowed);
  CHECK_INVALID_TOKEN(with_claim("iss", "https://auth.example.com/", v), error::issuer_mismatch);
}

//------------------------------------------------------------------------------------------
// Extra claim checks

TEST_CASE("extra claim check failure is reported with its error") {
  auto v = make_validator();
  v.check([](const boost::json::object& c, std::error_code& ec) {
    auto* scope = c.if_contains("scope");
    if (!scope || !scope->is_string() || scope->get_string() != "read") ec = tessera::error::claim_check_failed;
  });
  CHECK_FALSE(with_claim("scope", "read", v));
  CHECK_INVALID_TOKEN(with_claim("scope", "write", v), error::claim_check_failed);
  CHECK_INVALID_TOKEN(with_claim("scope", nullptr, v), error::claim_check_failed);
  // The check's own code is reported unchanged, whatever it is.
  auto w = make_validator();
  w.check([](const boost::json::object&, std::error_code& ec) { ec = std::make_error_code(std::errc::permission_denied); });
  const auto ec = with_claim("scope", "read", w);
  CHECK(ec == std::errc::permission_denied);
  CHECK(tessera::condition_of(ec) == condition::server_error);
  // The throwing overload throws the same code.
  tessera::manual_clock clock(now);
  auto c = good_claims();
  c["scope"] = "write";
  try {
    v.validate(sign(c), clock);
    FAIL("no exception");
  } catch (const tessera::system_error& e) {
    CHECK(e.code() == error::claim_check_failed);
  }
}

TEST_CASE("extra claim checks run after the standard checks, in order, and the first failure decides") {
  std::vector<int> calls;  // this test is single-threaded; a shared check would need a lock
  auto v = make_validator();
  v.check([&calls](const boost::json::object&, std::error_code&) { calls.push_back(1); })
      .check([&calls](const boost::json::object& c, std::error_code& ec) {
        calls.push_back(2);
        if (!c.contains("tid")) ec = tessera::error::claim_missing;
      })
      .check([&calls](const boost::json::object&, std::error_code& ec) {
        calls.push_back(3);
        ec = tessera::error::claim_check_failed;
      });
  // (CHECK_INVALID_TOKEN evaluates its argument twice: validate once, then check.)
  auto ec = with_claim("tid", nullptr, v);
  CHECK_INVALID_TOKEN(ec, error::claim_missing);
  CHECK(calls == std::vector<int>{1, 2});
  calls.clear();
  ec = with_claim("tid", "t", v);
  CHECK_INVALID_TOKEN(ec, error::claim_check_failed);
  CHECK(calls == std::vector<int>{1, 2, 3});
  // A token failing a standard check never reaches them.
  calls.clear();
  CHECK_INVALID_TOKEN(with_claim("exp", now - 3600, v), error::token_expired);
  CHECK_INVALID_TOKEN(with_claim("iss", "https://evil.example", v), error::issuer_mismatch);
  CHECK(calls.empty());
}

TEST_CASE("an extra check can tie the tenant of the issuer to the tid claim") {
  // Azure's guidance for multi-tenant apps: the tenant in iss must be the token's tid.
  const auto tenants = jose::tenant_issuer::any_tenant(azure_template);
  auto v = tenant_validator(tenants);
  v.check([tenants](const boost::json::object& c, std::error_code& ec) {
    auto* iss = c.if_contains("iss");
    auto* tid = c.if_contains("tid");
    auto tenant = iss && iss->is_string() ? tenants.tenant_of(iss->get_string()) : std::nullopt;
    if (!tid || !tid->is_string() || !tenant || *tenant != std::string_view(tid->get_string()))
      ec = tessera::error::claim_check_failed;
  });
  auto c = good_claims();
  c["iss"] = azure_issuer(our_tenant);
  c["tid"] = our_tenant;
  CHECK_FALSE(validate_error(v, sign(c)));
  c["tid"] = stranger_tenant;
  CHECK_INVALID_TOKEN(validate_error(v, sign(c)), error::claim_check_failed);
}

// A check must be callable as const: the validator calls it from many threads at once.
template <class F>
concept accepted_as_check = requires(jose::jwt_validator& v, F f) { v.check(std::move(f)); };
static_assert(accepted_as_check<decltype([](const boost::json::object&, std::error_code&) {})>);
static_assert(!accepted_as_check<decltype([n = 0](const boost::json::object&, std::error_code&) mutable { ++n; })>);
static_assert(!accepted_as_check<decltype([](const boost::json::object&, std::error_code&) { return true; })>);
static_assert(!accepted_as_check<decltype([](const boost::json::object&) {})>);

TEST_CASE("extra checks shared by four threads see each thread's own claims") {
  auto v = make_validator();
  v.check([](const boost::json::object& c, std::error_code& ec) {
    auto* sub = c.if_contains("sub");
    if (!sub || !sub->is_string() || !sub->get_string().starts_with("user-")) ec = tessera::error::claim_check_failed;
  });
  std::vector<std::pair<std::string, bool>> samples;
  for (int i = 0; i < 8; ++i) {
    auto c = good_claims();
    c["sub"] = (i % 2 ? "user-" : "bot-") + std::to_string(i);
    samples.emplace_back(sign(c), i % 2 == 1);
  }
  const tessera::manual_clock clock(now);
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t)
    pool.emplace_back([&] {
      for (int round = 0; round < 50; ++round)
        for (const auto& [token, ok] : samples) {
          std::error_code ec;
          v.validate(token, ec, clock);
          if (ok ? bool(ec) : ec != error::claim_check_failed) ++wrong;
        }
    });
  for (auto& th : pool) th.join();
  CHECK(wrong == 0);
}

//------------------------------------------------------------------------------------------
// Dates of a verified token, and the saturating conversion (clock.hpp)

TEST_CASE("a verified token exposes exp, iat and nbf as time points") {
  auto v = make_validator();
  auto c = good_claims();
  c["nbf"] = now - 5;
  tessera::manual_clock clock(now);
  auto r = v.validate(sign(c), clock);
  CHECK(r.expires_at() == tessera::from_unix_seconds(now + 300));
  CHECK(r.issued_at() == tessera::from_unix_seconds(now - 10));
  CHECK(r.not_before() == tessera::from_unix_seconds(now - 5));
  CHECK(*r.expires_at() == tessera::time_point(tessera::seconds(now + 300)));
  // Absent or not a date: nullopt.
  c.erase("nbf");
  c.erase("iat");
  c["exp"] = static_cast<double>(now) + 100.75;  // fractional: truncated like the validator does
  r = v.validate(sign(c), clock);
  CHECK_FALSE(r.not_before());
  CHECK_FALSE(r.issued_at());
  CHECK(r.expires_at() == tessera::from_unix_seconds(now + 100));
  CHECK(r.date_claim("sub") == std::nullopt);
  CHECK(jose::verified_jwt{}.expires_at() == std::nullopt);
}

TEST_CASE("exp of 2^63-1 saturates instead of overflowing") {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  // Compile time: constexpr evaluation refuses undefined behaviour, so these prove no overflow.
  static_assert(tessera::from_unix_seconds(max) == tessera::latest_time);
  static_assert(tessera::from_unix_seconds(min) == tessera::earliest_time);
  static_assert(tessera::from_unix_seconds(0) == tessera::time_point{});
  static_assert(tessera::from_unix_seconds(-1) == tessera::time_point(tessera::seconds(-1)));
  static_assert(tessera::from_unix_seconds(tessera::to_unix_seconds(tessera::latest_time)) == tessera::latest_time);
  static_assert(tessera::from_unix_seconds(tessera::to_unix_seconds(tessera::latest_time) + 1) == tessera::latest_time);
  static_assert(tessera::from_unix_seconds(tessera::to_unix_seconds(tessera::earliest_time) - 1) ==
                tessera::earliest_time);
  // Room for what callers do with an expiry: a grace period after it, a TTL until it.
  static_assert(tessera::latest_time + std::chrono::years(99) > tessera::latest_time);
  static_assert(tessera::earliest_time - std::chrono::years(99) < tessera::earliest_time);
  static_assert(tessera::latest_time > tessera::from_unix_seconds(4'102'444'800));  // after 2100-01-01

  // Run time, through a verified token (UBSan would report the multiplication otherwise).
  auto v = make_validator();
  tessera::manual_clock clock(now);
  for (std::int64_t exp : {max, max - 1, std::int64_t{1} << 62, std::int64_t{10'000'000'000}}) {
    INFO(exp);
    auto c = good_claims();
    c["exp"] = exp;
    auto r = v.validate(sign(c), clock);
    REQUIRE(r.expires_at());
    CHECK(*r.expires_at() == tessera::latest_time);
    CHECK(*r.expires_at() > clock.now());
    // What the server does with it: keep a replay entry until exp + 60 s. Still the future.
    CHECK(*r.expires_at() + tessera::seconds(60) > clock.now());
    CHECK(*r.expires_at() - clock.now() > std::chrono::hours(24 * 365 * 100));
  }
  auto c = good_claims();
  c["iat"] = min;
  c["nbf"] = min;
  auto r = v.validate(sign(c), clock);
  CHECK(r.issued_at() == tessera::earliest_time);
  CHECK(r.not_before() == tessera::earliest_time);
  CHECK(clock.now() - *r.issued_at() > std::chrono::hours(0));
  // A manual clock set from any int64 saturates the same way.
  CHECK(tessera::manual_clock(max).now() == tessera::latest_time);
}
