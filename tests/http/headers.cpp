#include <tessera/http/headers.hpp>

#include <catch2/catch.hpp>

#include <string_view>

using namespace tessera::http;

namespace {
template <std::size_t N>
bool has(const std::array<header_field, N>& set, std::string_view name, std::string_view value) {
  for (const auto& h : set)
    if (h.name == name && h.value == value) return true;
  return false;
}
}  // namespace

TEST_CASE("token responses forbid caching (RFC 6749 §5.1)") {
  CHECK(has(token_response_headers, "Cache-Control", "no-store"));
  CHECK(has(token_response_headers, "Pragma", "no-cache"));
  CHECK(has(token_response_headers, "X-Content-Type-Options", "nosniff"));
}

TEST_CASE("callback responses forbid caching and Referer leaks") {
  CHECK(has(callback_response_headers, "Cache-Control", "no-store"));
  CHECK(has(callback_response_headers, "Referrer-Policy", "no-referrer"));
}

TEST_CASE("interactive pages forbid framing, caching and Referer leaks") {
  CHECK(has(interactive_page_headers, "X-Frame-Options", "DENY"));
  CHECK(has(interactive_page_headers, "Content-Security-Policy", "frame-ancestors 'none'"));
  CHECK(has(interactive_page_headers, "Referrer-Policy", "no-referrer"));
  CHECK(has(interactive_page_headers, "Cache-Control", "no-store"));
  CHECK(interactive_page_headers.size() == 6);
}

TEST_CASE("header sets are usable at compile time") {
  static_assert(no_store_headers[0].name == "Cache-Control");
  static_assert(anti_framing_headers.size() == 2);
  static_assert(token_response_headers.size() == 3);
  SUCCEED();
}
