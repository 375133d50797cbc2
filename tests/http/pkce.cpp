#include <tessera/crypto/pkce.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace tessera;

namespace {
// RFC 7636 Appendix B.
constexpr std::string_view rfc_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view rfc_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
}  // namespace

TEST_CASE("S256 of the RFC 7636 Appendix B verifier is the appendix's challenge") {
  CHECK(crypto::pkce::s256_challenge(rfc_verifier) == rfc_challenge);
}

TEST_CASE("the RFC 7636 verifier verifies against its challenge") {
  std::error_code ec;
  CHECK(crypto::pkce::verify_s256(rfc_verifier, rfc_challenge, ec));
  CHECK_FALSE(ec);
}

TEST_CASE("a wrong verifier is pkce_verifier_mismatch (invalid_grant)") {
  std::string other(rfc_verifier);
  other.back() = 'Y';
  std::error_code ec;
  CHECK_FALSE(crypto::pkce::verify_s256(other, rfc_challenge, ec));
  CHECK(ec == error::pkce_verifier_mismatch);
  CHECK(ec == condition::invalid_grant);
  CHECK_FALSE(crypto::pkce::verify_s256(other, rfc_challenge));
}

TEST_CASE("sending the challenge itself as the verifier (plain downgrade) fails") {
  std::error_code ec;
  CHECK_FALSE(crypto::pkce::verify_s256(rfc_challenge, rfc_challenge, ec));
  CHECK(ec == error::pkce_verifier_mismatch);
}

TEST_CASE("malformed verifiers are pkce_verifier_malformed") {
  const std::string bad[] = {
      "",
      std::string(42, 'a'),                          // too short
      std::string(129, 'a'),                         // too long
      std::string(42, 'a') + "+",                    // base64 (not url) character
      std::string(42, 'a') + "=",                    // padding
      std::string(42, 'a') + " ",                    // space
      std::string(42, 'a') + std::string("\0", 1),   // NUL
      std::string(42, 'a') + "\xc3\xa9",             // non-ASCII
  };
  for (const auto& v : bad) {
    std::error_code ec;
    INFO("size " << v.size());
    crypto::pkce::check_verifier(v, ec);
    CHECK(ec == error::pkce_verifier_malformed);
    CHECK_FALSE(crypto::pkce::verify_s256(v, rfc_challenge, ec));
    CHECK(ec == error::pkce_verifier_malformed);
    CHECK_FALSE(crypto::pkce::verify_s256(v, rfc_challenge));  // throwing form: false, no exception
  }
}

TEST_CASE("verifiers of 43 and 128 unreserved characters are well-formed") {
  std::error_code ec;
  crypto::pkce::check_verifier(std::string(43, '~'), ec);
  CHECK_FALSE(ec);
  crypto::pkce::check_verifier(std::string(128, '-') , ec);
  CHECK_FALSE(ec);
  crypto::pkce::check_verifier("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~", ec);
  CHECK_FALSE(ec);
}

TEST_CASE("S256 challenges must be 43 canonical base64url characters") {
  std::error_code ec;
  crypto::pkce::check_s256_challenge(rfc_challenge, ec);
  CHECK_FALSE(ec);
  const std::string bad[] = {
      "",
      std::string(rfc_challenge.substr(0, 42)),      // short
      std::string(rfc_challenge) + "A",              // long
      std::string(rfc_challenge.substr(0, 42)) + "=",
      std::string(rfc_challenge.substr(0, 42)) + "+",
      std::string(rfc_challenge.substr(0, 42)) + "N",  // non-zero trailing bits: not a 32-byte value
  };
  for (const auto& c : bad) {
    INFO(c);
    crypto::pkce::check_s256_challenge(c, ec);
    CHECK(ec == error::pkce_challenge_malformed);
    CHECK(ec == condition::invalid_request);
  }
  CHECK_THROWS_AS(crypto::pkce::check_s256_challenge("short"), tessera::system_error);
}

TEST_CASE("only the S256 method is accepted: plain and absent are pkce_method_unsupported") {
  std::error_code ec;
  CHECK(crypto::pkce::parse_method("S256", ec) == crypto::pkce::method::s256);
  CHECK_FALSE(ec);
  for (std::string_view m : {"plain", "", "s256", "S256 ", "S512"}) {
    INFO(m);
    crypto::pkce::parse_method(m, ec);
    CHECK(ec == error::pkce_method_unsupported);
  }
  CHECK_THROWS_AS(crypto::pkce::parse_method("plain"), tessera::system_error);
  CHECK(crypto::pkce::method_name(crypto::pkce::method::s256) == "S256");
}

TEST_CASE("made verifiers are well-formed, 43 characters, and distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto v = crypto::pkce::make_verifier();
    CHECK(v.size() == 43);
    std::error_code ec;
    crypto::pkce::check_verifier(v, ec);
    CHECK_FALSE(ec);
    CHECK(crypto::pkce::verify_s256(v, crypto::pkce::s256_challenge(v)));
    seen.insert(v);
  }
  CHECK(seen.size() == 100);
}
