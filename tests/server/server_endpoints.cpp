#include "test_server.hpp"

using namespace test;

TEST_CASE("metadata advertises the endpoints that are served") {
  fixture f;
  auto r = f.get("/.well-known/oauth-authorization-server");
  REQUIRE(r.result() == bhttp::status::ok);
  auto m = fixture::json(r);
  CHECK(m.at("issuer").as_string() == issuer);
  CHECK(m.at("token_endpoint").as_string() == issuer + "/oauth2/token");
  CHECK(m.at("code_challenge_methods_supported").as_array().size() == 1);
}
