#include <tessera/oauth/responses.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace tessera;
namespace bhttp = boost::beast::http;

namespace {
const transport::request get{bhttp::verb::get, "/", 11};
}

TEST_CASE("error responses carry the condition, the fixed description, the status and no-store") {
  auto r = oauth::error_response(get, error::code_replayed);
  CHECK(r.result_int() == 400);
  CHECK(r[bhttp::field::cache_control] == "no-store");
  CHECK(r[bhttp::field::pragma] == "no-cache");
  CHECK(r["Referrer-Policy"] == "no-referrer");
  auto body = boost::json::parse(r.body()).as_object();
  CHECK(body.at("error").as_string() == "invalid_grant");
  CHECK(body.at("error_description").as_string() == description(error::code_replayed));
  CHECK(r[bhttp::field::www_authenticate].empty());
}

TEST_CASE("challenges: Basic for invalid_client, Bearer with the code for token errors") {
  CHECK(oauth::error_response(get, error::client_authentication_failed)[bhttp::field::www_authenticate] ==
        "Basic realm=\"tessera\"");
  auto t = oauth::error_response(get, error::token_expired);
  CHECK(t.result_int() == 401);
  CHECK(t[bhttp::field::www_authenticate] == "Bearer error=\"invalid_token\"");
  CHECK(oauth::error_response(get, error::scope_insufficient)[bhttp::field::www_authenticate] ==
        "Bearer error=\"insufficient_scope\"");
  CHECK(oauth::bearer_challenge(condition::invalid_token, "flyte") == "Bearer realm=\"flyte\", error=\"invalid_token\"");
}

TEST_CASE("a request without a token gets the bare challenge and no error code (RFC 6750 3.1)") {
  auto r = oauth::missing_token_response(get);
  CHECK(r.result_int() == 401);
  CHECK(r[bhttp::field::www_authenticate] == "Bearer realm=\"tessera\"");
  CHECK(r.body().empty());
}

TEST_CASE("errors of other categories get the condition but no description") {
  auto r = oauth::error_response(get, std::make_error_code(std::errc::io_error));
  auto body = boost::json::parse(r.body()).as_object();
  CHECK(body.contains("error"));
  CHECK_FALSE(body.contains("error_description"));
}
