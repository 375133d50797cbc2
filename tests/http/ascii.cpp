// tessera — tests/http/ascii.cpp: the one ASCII case fold (detail/ascii.hpp) that http/ uses.
#include <tessera/detail/ascii.hpp>

#include <catch2/catch.hpp>

using namespace tessera::detail;

TEST_CASE("ASCII case folding touches A-Z only") {
  CHECK(to_lower_ascii('A') == 'a');
  CHECK(to_lower_ascii('Z') == 'z');
  CHECK(to_lower_ascii('@') == '@');
  CHECK(to_lower_ascii('[') == '[');
  CHECK(to_lower_ascii('\xc4') == '\xc4');  // no locale, no Latin-1
  CHECK(to_lower_ascii("HTTPS://Flyte.Example.COM") == "https://flyte.example.com");
  static_assert(iequals_ascii("Basic", "bASIC"));
  static_assert(!iequals_ascii("Basic", "Basic "));
  static_assert(!iequals_ascii("\xc4", "\xe4"));
  static_assert(istarts_with_ascii("__HOST-x", "__Host-"));
  static_assert(!istarts_with_ascii("__Hos", "__Host-"));
}
