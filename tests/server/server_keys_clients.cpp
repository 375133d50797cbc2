// Key rotation, the client registry, and private_key_jwt client authentication.
#include "test_server.hpp"

#include <tessera/crypto/random.hpp>

using namespace test;


TEST_CASE("private_key_jwt client authentication issues tokens to the client that signed") {
  assertion_fixture f;
  auto r = f.token(f.assertion("jti-1"));
  REQUIRE(r.result() == bhttp::status::ok);
  jose::jwt_validator v(f.srv.keys().verification_keys());
  v.issuer(issuer).type("at+jwt");
  CHECK(v.validate(fixture::json(r).at("access_token").as_string(), f.clock).subject() == "signer");
}

TEST_CASE("a replayed client assertion jti is refused with invalid_client") {
  assertion_fixture f;
  const auto a = f.assertion("jti-replay");
  REQUIRE(f.token(a).result() == bhttp::status::ok);
  auto again = f.token(a);
  CHECK(again.result() == bhttp::status::unauthorized);
  CHECK(fixture::error_of(again) == "invalid_client");
}

TEST_CASE("client assertions with a wrong audience, a foreign key or too long a life are refused") {
  assertion_fixture f;
  CHECK(fixture::error_of(f.token(f.assertion("a1", "https://elsewhere.example.com/token"))) == "invalid_client");
  auto stranger = jose::jwk::generate(jose::algorithm::ES256);
  CHECK(fixture::error_of(f.token(f.assertion("a2", issuer + "/oauth2/token", 60, &stranger))) == "invalid_client");
  // iat-based max age: an assertion minted long ago is refused even before its exp.
  const auto old = f.assertion("a3", issuer + "/oauth2/token", 3600);
  f.clock.advance(std::chrono::minutes(10));
  CHECK(fixture::error_of(f.token(old)) == "invalid_client");
}

TEST_CASE("the issuer URL is accepted as the client assertion audience") {
  assertion_fixture f;
  CHECK(f.token(f.assertion("aud-issuer", issuer)).result() == bhttp::status::ok);
}

TEST_CASE("tokens signed with the old key still verify and both keys are in the JWKS") {
  auto old_key = jose::jwk::generate(jose::algorithm::RS256);
  auto new_key = jose::jwk::generate(jose::algorithm::RS256);
  server::key_set keys(new_key, {old_key});
  // A token signed before the rotation:
  boost::json::object claims{{"iss", issuer}, {"sub", "x"}, {"exp", 4102444800}, {"jti", "j"}, {"client_id", "c"}};
  const auto before = jose::sign_jwt(jose::jws_signer(old_key, "at+jwt"), claims);
  jose::jwt_validator v(keys.verification_keys());
  v.issuer(issuer).type("at+jwt");
  std::error_code ec;
  v.validate(before, ec);
  CHECK_FALSE(ec);
  CHECK(keys.current().kid() == new_key.kid());
  auto jwks = keys.jwks().at("keys").as_array();
  REQUIRE(jwks.size() == 2);
  CHECK(jwks[0].at("kid").as_string() == new_key.kid());  // the current key first
  CHECK(jwks[1].at("kid").as_string() == old_key.kid());
  for (const auto& k : jwks) CHECK_FALSE(k.as_object().contains("d"));
}

TEST_CASE("the client registry refuses inconsistent clients") {
  server::client_registry reg;
  server::client pub;
  pub.id = "p";
  pub.is_public = true;
  std::error_code ec;
  pub.add_secret_hash(crypto::hash_secret("x-secret-value", 4), ec);
  CHECK(reg.add(pub) == server::client_problem::public_with_secret);

  server::client conf;
  conf.id = "c";
  CHECK(reg.add(conf) == server::client_problem::confidential_without_credentials);

  server::client bad_uri;
  bad_uri.id = "b";
  bad_uri.is_public = true;
  bad_uri.redirect_uris = {"http://localhost/cb#frag"};
  CHECK(reg.add(bad_uri) == server::client_problem::redirect_uri_invalid);

  server::client ok;
  ok.id = "ok";
  ok.is_public = true;
  CHECK(reg.add(ok) == server::client_problem::none);
  CHECK(reg.add(ok) == server::client_problem::duplicate_id);
}

TEST_CASE("Flyte's base64-of-bcrypt client secrets verify, malformed ones are refused at load") {
  server::client c;
  std::error_code ec;
  c.add_flyte_secret(crypto::hash_flyte_client_secret("foobar", 4), ec);
  CHECK_FALSE(ec);
  c.add_flyte_secret("not base64 at all!", ec);
  CHECK(ec == error::secret_hash_invalid);
  c.add_flyte_secret(crypto::base64_encode(std::string_view("$2b$04$tooshort")), ec);
  CHECK(ec);
  CHECK(c.secret_hashes.size() == 1);
}

TEST_CASE("the registry lists each redirect URI's CSP source once, for the login page's form-action") {
  auto reg = make_clients();  // flytectl: localhost:53593 and 127.0.0.1:53593; flytepropeller: localhost:3846
  auto sources = reg.redirect_csp_sources();
  std::sort(sources.begin(), sources.end());
  CHECK(sources == std::vector<std::string>{"http://127.0.0.1:*", "http://localhost:3846", "http://localhost:53593",
                                            "http://localhost:53594", "https://console.example.com"});
}
