#include <tessera/error.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace tessera;

TEST_CASE("every error has a distinct, non-empty message and maps to a condition") {
  std::set<std::string> messages;
  for (int v = 1; v <= static_cast<int>(error::store_unavailable); ++v) {
    auto e = static_cast<error>(v);
    std::error_code ec = e;
    INFO("error value " << v);
    CHECK(ec.category().name() == std::string("tessera"));
    CHECK_FALSE(ec.message().empty());
    CHECK(messages.insert(ec.message()).second);
    CHECK(to_condition(e) != condition::none);
    CHECK(ec == to_condition(e));                     // equivalence through the category
    CHECK(condition_of(ec) == to_condition(e));
    CHECK_FALSE(wire_name(to_condition(e)).empty());
  }
}

TEST_CASE("conditions carry the RFC wire names and HTTP statuses") {
  CHECK(wire_name(condition::invalid_grant) == "invalid_grant");
  CHECK(wire_name(condition::invalid_client) == "invalid_client");
  CHECK(http_status(condition::invalid_client) == 401);
  CHECK(http_status(condition::invalid_token) == 401);
  CHECK(http_status(condition::insufficient_scope) == 403);
  CHECK(http_status(condition::invalid_request) == 400);
  CHECK(wire_name(condition::authorization_pending) == "authorization_pending");
  CHECK(wire_name(condition::slow_down) == "slow_down");
  CHECK(wire_name(condition::expired_token) == "expired_token");
  CHECK(wire_name(condition::unsupported_token_type) == "unsupported_token_type");
  CHECK(wire_name(condition::login_required) == "login_required");
  std::set<std::string_view> names;
  for (int v = 1; v <= static_cast<int>(condition::request_not_supported); ++v) {
    auto c = static_cast<condition>(v);
    CHECK(names.insert(wire_name(c)).second);
    CHECK(make_error_condition(c).message() == std::string(wire_name(c)));
  }
}

TEST_CASE("causes map to the wire codes the RFCs require") {
  CHECK(to_condition(error::code_replayed) == condition::invalid_grant);
  CHECK(to_condition(error::pkce_verifier_mismatch) == condition::invalid_grant);
  CHECK(to_condition(error::client_authentication_failed) == condition::invalid_client);
  CHECK(to_condition(error::jws_alg_none) == condition::invalid_token);
  CHECK(to_condition(error::device_slow_down) == condition::slow_down);
  CHECK(to_condition(error::device_code_expired) == condition::expired_token);
  CHECK(to_condition(error::scope_not_allowed) == condition::invalid_scope);
  CHECK(to_condition(error::grant_type_unsupported) == condition::unsupported_grant_type);
}

TEST_CASE("foreign error codes are server errors on the wire") {
  CHECK(condition_of(std::make_error_code(std::errc::io_error)) == condition::server_error);
  CHECK(condition_of(std::error_code{}) == condition::none);
}
