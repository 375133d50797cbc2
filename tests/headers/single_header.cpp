// tessera_single_header_tests: a Catch2 suite compiled against single_include/tessera.hpp
// alone (include/ is not on this target's include path), so the generated file is proven to
// be complete and to behave like the tree it came from. It exercises the core that every
// version of the umbrella includes; layer suites run against include/ in their own dirs.
#include <tessera.hpp>

#ifndef TESSERA_SINGLE_HEADER
#error "expected single_include/tessera.hpp, got another tessera.hpp"
#endif

#include <catch2/catch.hpp>

#include <string>
#include <system_error>

using namespace std::string_literals;

TEST_CASE("single header: base64url round-trips and matches RFC 4648 vectors") {
  CHECK(tessera::crypto::base64url_encode(std::string_view("foobar")) == "Zm9vYmFy");
  CHECK(tessera::crypto::base64_encode(std::string_view("\xfb\xff")) == "+/8=");
  const std::string raw = "\x00\x01\xfe\xff tessera"s;
  std::error_code ec;
  CHECK(tessera::crypto::base64url_decode(tessera::crypto::base64url_encode(raw), ec) == raw);
  CHECK_FALSE(ec);
}

TEST_CASE("single header: a strict-decoding cause maps onto its wire condition") {
  std::error_code ec;
  tessera::crypto::base64url_decode("Zg==", ec);
  CHECK(ec == tessera::error::base64_padding);
  CHECK(ec == tessera::condition::invalid_request);
  CHECK(tessera::condition_of(ec) == tessera::condition::invalid_request);
  CHECK(tessera::wire_name(tessera::condition::invalid_grant) == "invalid_grant");
  CHECK(tessera::http_status(tessera::condition::invalid_client) == 401);
  CHECK_THROWS_AS(tessera::crypto::base64url_decode("Zg=="), tessera::system_error);
}

TEST_CASE("single header: the manual clock moves only when told") {
  tessera::manual_clock clock(1'700'000'000);
  CHECK(tessera::to_unix_seconds(clock.now()) == 1'700'000'000);
  clock.advance(std::chrono::seconds(90));
  CHECK(tessera::to_unix_seconds(clock.now()) == 1'700'000'090);
  static_assert(tessera::clock<tessera::manual_clock>);
}

TEST_CASE("single header: random tokens are 256-bit base64url and compare in constant time") {
  const std::string a = tessera::crypto::random_token();
  const std::string b = tessera::crypto::random_token();
  CHECK(a.size() == 43);
  CHECK_FALSE(tessera::crypto::constant_time_equal(a, b));
  CHECK(tessera::crypto::constant_time_equal(a, std::string(a)));
  std::error_code ec;
  CHECK(tessera::crypto::base64url_decode(a, ec).size() == 32);
  CHECK_FALSE(ec);
}
