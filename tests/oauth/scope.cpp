#include <tessera/oauth/scope.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace tessera::oauth;

TEST_CASE("split_scope drops empty tokens and duplicates, keeping first-seen order") {
  auto s = split_scope("  openid offline  openid all ");
  REQUIRE(s.size() == 3);
  CHECK(s[0] == "openid");
  CHECK(s[1] == "offline");
  CHECK(s[2] == "all");
  CHECK(split_scope("").empty());
  CHECK(split_scope("   ").empty());
}

TEST_CASE("scope_contains matches whole tokens only") {
  CHECK(scope_contains("openid offline", "offline"));
  CHECK(scope_contains("openid  offline", "openid"));
  CHECK_FALSE(scope_contains("openid offline", "off"));
  CHECK_FALSE(scope_contains("openid offline", "openid offline"));
  CHECK_FALSE(scope_contains("openid offline", ""));
  CHECK_FALSE(scope_contains("", "openid"));
}

TEST_CASE("scope_within allows narrowing, refuses widening") {
  CHECK(scope_within("all", "all offline"));
  CHECK(scope_within("offline all", "all offline"));
  CHECK(scope_within("", "all"));
  CHECK_FALSE(scope_within("all admin", "all offline"));
  CHECK_FALSE(scope_within("al", "all"));
}

TEST_CASE("join_scope joins with single spaces and skips empty tokens") {
  std::vector<std::string> v{"a", "", "b"};
  CHECK(join_scope(v) == "a b");
  CHECK(join_scope(std::vector<std::string>{}).empty());
}
