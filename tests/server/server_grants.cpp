#include "test_server.hpp"

using namespace test;

TEST_CASE("client credentials issue an RFC 9068 access token whose subject is the client") {
  fixture f;
  auto r = f.post_form("/oauth2/token", "grant_type=client_credentials&scope=all", "flytepropeller", service_secret);
  REQUIRE(r.result() == bhttp::status::ok);
  CHECK(r[bhttp::field::cache_control] == "no-store");
  auto body = fixture::json(r);
  CHECK(body.at("token_type") == "Bearer");
  CHECK(body.at("expires_in") == 1800);
  CHECK_FALSE(body.contains("refresh_token"));
  jose::jwt_validator v(f.srv.keys().verification_keys());
  v.issuer(issuer).audience(issuer).type("at+jwt");
  auto jwt = v.validate(body.at("access_token").as_string(), f.clock);
  CHECK(jwt.subject() == "flytepropeller");
  CHECK(jwt.string_claim("client_id") == "flytepropeller");
  CHECK(jwt.string_claim("scope") == "all");
  CHECK(jwt.header.at("kid").as_string() == f.srv.keys().current().kid());
}
