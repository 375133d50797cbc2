#include <tessera/http/cookie.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace tessera;
using namespace tessera::http;
using namespace std::chrono_literals;

TEST_CASE("a Cookie header parses into name-value pairs in order") {
  auto c = parse_cookie_header("flyte_csrf_state=abc; flyte_redirect_location=%2Fconsole;other=1");
  REQUIRE(c.size() == 3);
  CHECK(c.find("flyte_csrf_state") == "abc");
  CHECK(c.find("flyte_redirect_location") == "%2Fconsole");  // no decoding: RFC 6265 has none
  CHECK(c.find("other") == "1");
  CHECK_FALSE(c.find("missing"));
}

TEST_CASE("one pair of double quotes around a value is removed") {
  auto c = parse_cookie_header("a=\"quoted\"; b=\"; c=\"\"");
  CHECK(c.find("a") == "quoted");
  CHECK(c.find("b") == "\"");
  CHECK(c.find("c") == "");
}

TEST_CASE("spaces and tabs around pairs, names and values are trimmed") {
  auto c = parse_cookie_header("  a = 1 ;\tb=2\t;;");
  CHECK(c.find("a") == "1");
  CHECK(c.find("b") == "2");
}

TEST_CASE("foreign cookies that break the grammar are skipped, not fatal") {
  auto c = parse_cookie_header("novalue; we(ird)=x; =anon; session=ok; tracker=a,b c");
  CHECK(c.find("session") == "ok");
  CHECK(c.find("tracker") == "a,b c");
  CHECK_FALSE(c.find("novalue"));
  CHECK_FALSE(c.find("we(ird)"));
  CHECK(c.size() == 2);
}

TEST_CASE("control characters anywhere make the header cookie_malformed") {
  for (std::string_view h : {"a=1\r\nSet-Cookie: x=y", "a=\x01", "a=1; b=\x7f"}) {
    std::error_code ec;
    INFO(h);
    parse_cookie_header(h, ec);
    CHECK(ec == error::cookie_malformed);
  }
  std::error_code ec;
  parse_cookie_header(std::string_view("a=1\0b", 5), ec);
  CHECK(ec == error::cookie_malformed);
  CHECK_THROWS_AS(parse_cookie_header("a=\x02"), tessera::system_error);
}

TEST_CASE("oversized headers and too many cookies are input_too_large") {
  std::error_code ec;
  parse_cookie_header(std::string(16 * 1024 + 1, 'a'), ec);
  CHECK(ec == error::input_too_large);
  std::string many;
  for (int i = 0; i < 101; ++i) many += "c" + std::to_string(i) + "=v; ";
  parse_cookie_header(many, ec);
  CHECK(ec == error::input_too_large);
  parse_cookie_header(many, ec, cookie_options{.max_size = 16 * 1024, .max_cookies = 101});
  CHECK_FALSE(ec);
}

TEST_CASE("a cookie sent twice (cookie tossing) is refused by unique") {
  auto c = parse_cookie_header("session=mine; other=1; session=attackers");
  CHECK(c.count("session") == 2);
  CHECK(c.find("session") == "mine");
  std::error_code ec;
  CHECK_FALSE(c.unique("session", ec));
  CHECK(ec == error::cookie_malformed);
  CHECK(c.unique("other", ec) == "1");
  CHECK_FALSE(ec);
  CHECK_FALSE(c.unique("absent", ec));
  CHECK_FALSE(ec);
}

TEST_CASE("set_cookie defaults to Path=/, Secure, HttpOnly, SameSite=Lax") {
  CHECK(set_cookie("flyte_idt", "abc") == "flyte_idt=abc; Path=/; Secure; HttpOnly; SameSite=Lax");
}

TEST_CASE("set_cookie writes every attribute asked for") {
  cookie_attributes a;
  a.path = "/oauth2";
  a.domain = "flyte.example.com";
  a.max_age = 3600s;
  a.expires = from_unix_seconds(784111777);  // RFC 9110's example date
  a.http_only = false;
  a.same_site = same_site_policy::strict;
  CHECK(set_cookie("a", "1", a) ==
        "a=1; Path=/oauth2; Domain=flyte.example.com; Max-Age=3600; Expires=Sun, 06 Nov 1994 08:49:37 GMT; "
        "Secure; SameSite=Strict");
}

TEST_CASE("insecure cookies for plain-HTTP development are possible without a prefix") {
  cookie_attributes a;
  a.secure = false;
  a.same_site = same_site_policy::unset;
  CHECK(set_cookie("dev", "1", a) == "dev=1; Path=/; HttpOnly");
}

TEST_CASE("__Host- cookies must be Secure, Path=/ and have no Domain") {
  std::error_code ec;
  CHECK(set_cookie("__Host-session", "v", cookie_attributes{}, ec) == "__Host-session=v; Path=/; Secure; HttpOnly; SameSite=Lax");
  CHECK_FALSE(ec);
  cookie_attributes insecure;
  insecure.secure = false;
  cookie_attributes sub_path;
  sub_path.path = "/app";
  cookie_attributes with_domain;
  with_domain.domain = "example.com";
  for (const auto* a : {&insecure, &sub_path, &with_domain}) {
    CHECK(set_cookie("__Host-session", "v", *a, ec).empty());
    CHECK(ec == error::cookie_attributes_invalid);
  }
  CHECK(set_cookie("__host-session", "v", insecure, ec).empty());  // prefixes match case-insensitively
  CHECK(ec == error::cookie_attributes_invalid);
}

TEST_CASE("__Secure- cookies must be Secure") {
  cookie_attributes a;
  a.secure = false;
  std::error_code ec;
  CHECK(set_cookie("__Secure-id", "v", a, ec).empty());
  CHECK(ec == error::cookie_attributes_invalid);
  a.secure = true;
  a.domain = "example.com";
  CHECK_FALSE(set_cookie("__Secure-id", "v", a, ec).empty());
}

TEST_CASE("SameSite=None without Secure is refused") {
  cookie_attributes a;
  a.secure = false;
  a.same_site = same_site_policy::none;
  std::error_code ec;
  CHECK(set_cookie("x", "v", a, ec).empty());
  CHECK(ec == error::cookie_attributes_invalid);
  a.secure = true;
  CHECK(set_cookie("x", "v", a) == "x=v; Path=/; Secure; HttpOnly; SameSite=None");
}

TEST_CASE("names, values and attributes that could inject attributes are refused") {
  std::error_code ec;
  CHECK(set_cookie("bad name", "v", {}, ec).empty());
  CHECK(ec == error::cookie_attributes_invalid);
  CHECK(set_cookie("", "v", {}, ec).empty());
  CHECK(ec == error::cookie_attributes_invalid);
  for (std::string_view v : {"a;b", "a b", "a\"b", "a,b", "a\\b", "a\r\nb"}) {
    INFO(v);
    CHECK(set_cookie("n", v, {}, ec).empty());
    CHECK(ec == error::cookie_attributes_invalid);
  }
  cookie_attributes p;
  p.path = "/; Domain=evil.com";
  CHECK(set_cookie("n", "v", p, ec).empty());
  CHECK(ec == error::cookie_attributes_invalid);
  cookie_attributes rel;
  rel.path = "relative";
  CHECK(set_cookie("n", "v", rel, ec).empty());
  cookie_attributes d;
  d.domain = "example.com; Secure";
  CHECK(set_cookie("n", "v", d, ec).empty());
  CHECK(ec == error::cookie_attributes_invalid);
  CHECK_THROWS_AS(set_cookie("n", "a;b"), tessera::system_error);
}

TEST_CASE("expire_cookie clears the value with Max-Age=0 and a 1970 Expires") {
  CHECK(expire_cookie("flyte_at_1") ==
        "flyte_at_1=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax");
}

TEST_CASE("a negative Max-Age is written as 0") {
  cookie_attributes a;
  a.max_age = -5s;
  CHECK(set_cookie("n", "v", a).find("Max-Age=0;") != std::string::npos);
}
