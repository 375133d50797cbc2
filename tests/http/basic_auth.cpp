#include <tessera/http/basic_auth.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace tessera;
using namespace tessera::http;
using tessera::crypto::base64_encode;

TEST_CASE("Basic credentials parse into client id and secret") {
  auto c = parse_basic_authorization("Basic " + base64_encode("flytepropeller:foobar"));
  CHECK(c.client_id == "flytepropeller");
  CHECK(c.client_secret == "foobar");
}

TEST_CASE("the scheme name is case-insensitive and may be followed by several spaces") {
  CHECK(parse_basic_authorization("basic " + base64_encode("a:b")).client_id == "a");
  CHECK(parse_basic_authorization("BASIC   " + base64_encode("a:b")).client_secret == "b");
}

TEST_CASE("both parts are form-decoded after splitting on the first ':' (RFC 6749 §2.3.1)") {
  auto c = parse_basic_authorization("Basic " + base64_encode("my%3Aclient:p%3Ass+w%2Bd:x"));
  CHECK(c.client_id == "my:client");
  CHECK(c.client_secret == "p:ss w+d:x");
}

TEST_CASE("an empty secret is allowed, the server decides whether it matches") {
  auto c = parse_basic_authorization("Basic " + base64_encode("public-client:"));
  CHECK(c.client_id == "public-client");
  CHECK(c.client_secret.empty());
}

TEST_CASE("basic_authorization builds what parse_basic_authorization reads") {
  auto h = basic_authorization("client id", "s3:cr%t+/");
  CHECK(h.rfind("Basic ", 0) == 0);
  CHECK(crypto::base64_decode(h.substr(6)) == "client+id:s3%3Acr%25t%2B%2F");
  auto c = parse_basic_authorization(h);
  CHECK(c.client_id == "client id");
  CHECK(c.client_secret == "s3:cr%t+/");
}

TEST_CASE("malformed Basic headers fail with authorization_header_malformed (invalid_client)") {
  const std::string bad[] = {
      "",
      "Bearer abc.def.ghi",
      "Basic",
      "Basic ",
      "Basicx " + base64_encode("a:b"),
      "Basic " + base64_encode("no-colon"),
      "Basic " + base64_encode(":secret-without-id"),
      "Basic " + base64_encode("a:%zz"),                    // bad percent-encoding
      "Basic " + base64_encode("a:b%0D%0Ac"),               // encoded CR LF
      "Basic " + base64_encode("a:b").substr(0, 3),         // broken base64
      "Basic " + crypto::base64url_encode("a:\xfb\xff\xfe\xfd"),  // "YTr7__79": base64url, not base64
      "Basic " + base64_encode("a:b") + " ",                // trailing junk
  };
  for (const auto& h : bad) {
    std::error_code ec;
    INFO(h);
    auto c = parse_basic_authorization(h, ec);
    CHECK(ec == error::authorization_header_malformed);
    CHECK(ec == condition::invalid_client);
    CHECK(c.client_id.empty());
    CHECK(c.client_secret.empty());
  }
  CHECK_THROWS_AS(parse_basic_authorization("Basic !!!!"), tessera::system_error);
}

TEST_CASE("an oversized Authorization header is input_too_large") {
  std::error_code ec;
  parse_basic_authorization("Basic " + std::string(max_basic_header_size, 'A'), ec);
  CHECK(ec == error::input_too_large);
}

TEST_CASE("is_basic_authorization tells Basic from other schemes") {
  CHECK(is_basic_authorization("Basic abc="));
  CHECK(is_basic_authorization("bAsIc abc="));
  CHECK_FALSE(is_basic_authorization("Bearer abc"));
  CHECK_FALSE(is_basic_authorization("Basic"));
}

TEST_CASE("the error message of a malformed header does not echo the credentials") {
  try {
    parse_basic_authorization("Basic " + base64_encode("client:hunter2%zz"));
    FAIL("expected an exception");
  } catch (const tessera::system_error& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}
