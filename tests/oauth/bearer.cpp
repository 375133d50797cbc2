#include <tessera/oauth/bearer.hpp>

#include <catch2/catch.hpp>

using namespace tessera;
namespace bhttp = boost::beast::http;

namespace {
transport::request with_header(std::string_view name, std::string_view value) {
  transport::request r{bhttp::verb::get, "/", 11};
  r.set(name, value);
  return r;
}
}  // namespace

TEST_CASE("bearer tokens come from Authorization or Flyte's header, scheme case-insensitive") {
  CHECK(oauth::bearer_token(with_header("Authorization", "Bearer abc.def.ghi")) == "abc.def.ghi");
  CHECK(oauth::bearer_token(with_header("Authorization", "bearer   abc")) == "abc");
  CHECK(oauth::bearer_token(with_header("flyte-authorization", "Bearer xyz")) == "xyz");
  CHECK(oauth::bearer_token(with_header("X-Custom", "Bearer xyz"), "X-Custom") == "xyz");
  CHECK(oauth::bearer_token(with_header("flyte-authorization", "Bearer xyz"), "").empty());
}

TEST_CASE("no bearer token: other schemes, a scheme without a token, nothing at all") {
  CHECK(oauth::bearer_token(with_header("Authorization", "Basic Zm9vOmJhcg==")).empty());
  CHECK(oauth::bearer_token(with_header("Authorization", "Bearer")).empty());
  CHECK(oauth::bearer_token(with_header("Authorization", "Bearer   ")).empty());
  CHECK(oauth::bearer_token(with_header("Authorization", "Bearerabc")).empty());
  CHECK(oauth::bearer_token(transport::request{bhttp::verb::get, "/", 11}).empty());
}

TEST_CASE("Authorization is looked at before Flyte's header; a Basic one does not hide it") {
  auto r = with_header("Authorization", "Bearer first");
  r.set("flyte-authorization", "Bearer second");
  CHECK(oauth::bearer_token(r) == "first");
  auto basic = with_header("Authorization", "Basic Zm9vOmJhcg==");
  basic.set("flyte-authorization", "Bearer second");
  CHECK(oauth::bearer_token(basic) == "second");
}

TEST_CASE("IDToken is Flyte's scheme for ID tokens, reported as such and never as a bearer token") {
  auto r = with_header("flyte-authorization", "IDToken eyJ.x.y");
  auto t = oauth::presented_token_of(r);
  REQUIRE(t);
  CHECK(t->scheme == oauth::token_scheme::id_token);
  CHECK(t->token == "eyJ.x.y");
  CHECK(oauth::bearer_token(r).empty());
  auto b = oauth::presented_token_of(with_header("Authorization", "BEARER tok"));
  REQUIRE(b);
  CHECK(b->scheme == oauth::token_scheme::bearer);
  CHECK_FALSE(oauth::parse_authorization("Digest abc"));
}
