#include <tessera/oauth/metadata.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace tessera;

TEST_CASE("metadata writes only what is set, then the extra members") {
  oauth::server_metadata m;
  m.issuer = "https://auth.example.com";
  m.token_endpoint = "https://auth.example.com/oauth2/token";
  m.grant_types_supported = {"client_credentials"};
  m.extra["x_custom"] = 7;
  m.extra["issuer"] = "https://evil.example";  // never over a named member
  auto j = oauth::to_json(m);
  CHECK(j.size() == 4);
  CHECK(j.at("issuer").as_string() == "https://auth.example.com");
  CHECK(j.at("grant_types_supported").as_array().size() == 1);
  CHECK(j.at("x_custom").as_int64() == 7);
  CHECK_FALSE(j.contains("authorization_endpoint"));
  CHECK_FALSE(j.contains("authorization_response_iss_parameter_supported"));
}

TEST_CASE("metadata round-trips, unknown members kept aside") {
  auto doc = boost::json::parse(R"({"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a",
    "code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true,
    "end_session_endpoint":"https://idp.example/logout","frontchannel_logout_supported":true})");
  std::error_code ec;
  auto m = oauth::metadata_from_json(doc, ec);
  REQUIRE_FALSE(ec);
  CHECK(m.issuer == "https://idp.example");
  CHECK(m.code_challenge_methods_supported == std::vector<std::string>{"S256"});
  CHECK(m.authorization_response_iss_parameter_supported);
  CHECK(m.end_session_endpoint == "https://idp.example/logout");
  CHECK(m.extra.at("frontchannel_logout_supported").as_bool());
  CHECK(oauth::to_json(m) == doc.as_object());
}

TEST_CASE("metadata documents of the wrong shape are metadata_invalid") {
  for (const char* text : {R"([])", R"({})", R"({"issuer":7})", R"({"issuer":"https://a","scopes_supported":"openid"})",
                           R"({"issuer":"https://a","scopes_supported":["openid",1]})",
                           R"({"issuer":"https://a","authorization_response_iss_parameter_supported":"yes"})"}) {
    INFO(text);
    std::error_code ec;
    auto m = oauth::metadata_from_json(boost::json::parse(text), ec);
    CHECK(ec == error::metadata_invalid);
    CHECK(m.issuer.empty());
  }
  CHECK_THROWS_AS(oauth::metadata_from_json(boost::json::parse("{}")), tessera::system_error);
}

TEST_CASE("metadata reading is bounded in members and list entries") {
  boost::json::object big{{"issuer", "https://a"}};
  for (std::size_t i = 0; i < oauth::server_metadata::max_entries; ++i) big["x" + std::to_string(i)] = i;
  std::error_code ec;
  oauth::metadata_from_json(big, ec);
  CHECK(ec == error::metadata_invalid);
  boost::json::array scopes;
  for (std::size_t i = 0; i <= oauth::server_metadata::max_list; ++i) scopes.emplace_back("s");
  oauth::metadata_from_json(boost::json::object{{"issuer", "https://a"}, {"scopes_supported", scopes}}, ec);
  CHECK(ec == error::metadata_invalid);
}
