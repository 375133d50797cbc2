// oauth::id_token_validator (OIDC Core §3.1.3.7) and oauth::token_hash: every check and its
// cause, with fixed keys and a manual clock.
#include <tessera/jose.hpp>
#include <tessera/oauth/id_token.hpp>

#include <catch2/catch.hpp>

#include <memory>

using namespace tessera;

namespace {

struct shared_clock {
  std::shared_ptr<manual_clock> c = std::make_shared<manual_clock>(1'800'000'000);
  time_point now() const noexcept { return c->now(); }
};

constexpr std::string_view op = "https://op.example.com";
constexpr std::string_view rp_client = "console";
constexpr std::string_view access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";

struct fixture {
  shared_clock clock;
  jose::jwk key = jose::jwk::generate(jose::algorithm::ES256).with_kid("op-1");
  oauth::id_token_options options = [] {
    oauth::id_token_options o;
    o.issuer = std::string(op);
    o.client_id = std::string(rp_client);
    o.algorithms = {jose::algorithm::ES256};
    o.trusted_audiences = {"https://op.example.com/userinfo"};
    return o;
  }();

  boost::json::object claims() const {
    const auto now = to_unix_seconds(clock.now());
    return {{"iss", op},       {"sub", "248289761001"}, {"aud", rp_client}, {"iat", now},
            {"exp", now + 300}, {"nonce", "n-0S6_WzA2Mj"}, {"auth_time", now - 30},
            {"at_hash", oauth::token_hash(jose::algorithm::ES256, access_token)}};
  }
  oauth::id_token_expectations expect() const { return {"n-0S6_WzA2Mj", std::nullopt, std::string(access_token)}; }

  std::error_code check(const boost::json::object& c, const oauth::id_token_expectations& e, std::string_view typ = "JWT",
                        const jose::jwk* signer = nullptr) {
    oauth::id_token_validator<> v(jose::static_key_set(jose::jwk_set{key.public_key()}), options);
    std::error_code ec;
    auto jwt = v.validate(jose::sign_jwt(jose::jws_signer(signer ? *signer : key, typ), c), e, ec, clock);
    CHECK(jwt.claims.empty() == bool(ec));
    return ec;
  }
  std::error_code check(const boost::json::object& c) { return check(c, expect()); }
};

}  // namespace

TEST_CASE("token_hash: OIDC Core's example at_hash, and the hash of each algorithm family") {
  CHECK(oauth::token_hash(jose::algorithm::RS256, access_token) == "77QmUPtjPfzWtF2AnpK9RQ");
  CHECK(oauth::token_hash(jose::algorithm::ES256, access_token) == "77QmUPtjPfzWtF2AnpK9RQ");
  CHECK(oauth::token_hash(jose::algorithm::PS384, access_token) == "jtAeDp945y1dDqU3nkIVGNZP1HjH_MFs");
  CHECK(oauth::token_hash(jose::algorithm::ES512, access_token) == "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM");
  CHECK(oauth::token_hash(jose::algorithm::EdDSA, access_token) == "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM");
}

TEST_CASE("id token: a good token passes, with nonce, at_hash, auth_time and a trusted second audience") {
  fixture f;
  CHECK_FALSE(f.check(f.claims()));
  auto c = f.claims();
  c["aud"] = boost::json::array{rp_client, "https://op.example.com/userinfo"};
  c["azp"] = rp_client;
  CHECK_FALSE(f.check(c));
  auto e = f.expect();
  e.max_age = seconds(60);
  CHECK_FALSE(f.check(f.claims(), e));
  CHECK_FALSE(f.check(f.claims(), e, ""));  // no typ at all
}

TEST_CASE("id token: each refusal has its own cause") {
  fixture f;
  auto c = f.claims();
  const auto now = to_unix_seconds(f.clock.now());
  SECTION("another issuer") {
    c["iss"] = "https://evil.example.com";
    CHECK(f.check(c) == error::issuer_mismatch);
  }
  SECTION("another client's token") {
    c["aud"] = "other-client";
    CHECK(f.check(c) == error::audience_mismatch);
  }
  SECTION("an audience the client does not trust beside its own") {
    c["aud"] = boost::json::array{rp_client, "https://attacker.example.com"};
    c["azp"] = rp_client;
    CHECK(f.check(c) == error::id_token_audience_untrusted);
  }
  SECTION("several audiences and no azp") {
    c["aud"] = boost::json::array{rp_client, "https://op.example.com/userinfo"};
    CHECK(f.check(c) == error::id_token_azp_missing);
  }
  SECTION("azp of another client") {
    c["azp"] = "other-client";
    CHECK(f.check(c) == error::id_token_azp_mismatch);
  }
  SECTION("no nonce, another nonce, a nonce nobody sent") {
    c.erase("nonce");
    CHECK(f.check(c) == error::id_token_nonce_missing);
    c["nonce"] = "n-replayed";
    CHECK(f.check(c) == error::id_token_nonce_mismatch);
    auto e = f.expect();
    e.nonce.clear();
    CHECK(f.check(f.claims(), e) == error::id_token_nonce_mismatch);
    // Presented on its own (not the answer to a login of ours): the nonce is not looked at.
    e.from_this_login = false;
    CHECK_FALSE(f.check(f.claims(), e));
    CHECK_FALSE(f.check(c, e));
  }
  SECTION("expired, issued in the future, issued too long ago") {
    c["exp"] = now - 61;
    CHECK(f.check(c) == error::token_expired);
    c = f.claims();
    c["iat"] = now + 120;
    CHECK(f.check(c) == error::token_issued_in_future);
    c["iat"] = now - 3600;
    c["exp"] = now + 300;
    CHECK(f.check(c) == error::token_too_old);
  }
  SECTION("no sub, an empty sub, a sub of 256 characters") {
    c.erase("sub");
    CHECK(f.check(c) == error::claim_missing);
    c["sub"] = "";
    CHECK(f.check(c) == error::claim_type);
    c["sub"] = std::string(256, 'x');
    CHECK(f.check(c) == error::claim_type);
  }
  SECTION("an access token's typ") {
    CHECK(f.check(c, f.expect(), "at+jwt") == error::typ_mismatch);
  }
  SECTION("an algorithm the client did not register") {
    f.options.algorithms = {jose::algorithm::RS256};
    CHECK(f.check(c) == error::jws_alg_not_allowed);
  }
  SECTION("max_age: auth_time missing, and too old") {
    auto e = f.expect();
    e.max_age = seconds(10);
    CHECK_FALSE(f.check(c, e));  // 30 s ago: within max_age and the 60 s leeway for clock skew
    c["auth_time"] = now - 71;
    CHECK(f.check(c, e) == error::id_token_auth_too_old);
    CHECK(condition_of(error::id_token_auth_too_old) == condition::login_required);
    c.erase("auth_time");
    CHECK(f.check(c, e) == error::id_token_auth_time_missing);
  }
  SECTION("at_hash of another access token; missing when required") {
    auto e = f.expect();
    e.access_token = "another-access-token";
    CHECK(f.check(c, e) == error::id_token_at_hash_mismatch);
    c.erase("at_hash");
    CHECK_FALSE(f.check(c));  // optional by default in the code flow
    f.options.require_at_hash = true;
    CHECK(f.check(c) == error::id_token_at_hash_mismatch);
  }
  SECTION("a signature by another key under the provider's kid") {
    auto forged = jose::jwk::generate(jose::algorithm::ES256).with_kid("op-1");
    CHECK(f.check(c, f.expect(), "JWT", &forged) == error::signature_invalid);
  }
}

TEST_CASE("id token: options without issuer, client or algorithm are refused") {
  oauth::id_token_options o;
  o.issuer = std::string(op);
  CHECK(oauth::check_options(o) == error::config_value_invalid);
  CHECK_THROWS_AS(oauth::id_token_validator<>(jose::static_key_set{}, o), tessera::system_error);
  o.client_id = "c";
  CHECK_FALSE(oauth::check_options(o));
  o.algorithms.clear();
  CHECK(oauth::check_options(o) == error::config_value_invalid);
}
