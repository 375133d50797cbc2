#include <tessera/http/sealed_cookie.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace tessera;
using namespace tessera::http;
using namespace std::chrono_literals;

namespace {
const crypto::sealer& cookie_sealer() {
  static const crypto::sealer s(std::string(32, 'k'));
  return s;
}
}  // namespace

TEST_CASE("a sealed cookie opens to its value before it expires") {
  manual_clock clock(1'700'000'000);
  auto v = seal_cookie(cookie_sealer(), "flyte_idt", "id-token", clock.now() + 1h);
  CHECK(v.find("id-token") == std::string::npos);
  CHECK(set_cookie("flyte_idt", v).size() > v.size());  // a valid cookie value
  clock.advance(59min);
  std::error_code ec;
  CHECK(open_cookie(cookie_sealer(), "flyte_idt", v, clock.now(), ec) == "id-token");
  CHECK_FALSE(ec);
}

TEST_CASE("an expired sealed cookie is cookie_invalid") {
  manual_clock clock(1'700'000'000);
  auto v = seal_cookie(cookie_sealer(), "flyte_idt", "id-token", clock.now() + 1h);
  clock.advance(1h);
  std::error_code ec;
  CHECK(open_cookie(cookie_sealer(), "flyte_idt", v, clock.now(), ec).empty());
  CHECK(ec == error::cookie_invalid);
}

TEST_CASE("a tampered sealed cookie is cookie_invalid") {
  manual_clock clock(1'700'000'000);
  const auto v = seal_cookie(cookie_sealer(), "flyte_rt", "refresh", clock.now() + 1h);
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto t = v;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    std::error_code ec;
    INFO("character " << i);
    CHECK(open_cookie(cookie_sealer(), "flyte_rt", t, clock.now(), ec).empty());
    CHECK(ec == error::cookie_invalid);
  }
}

TEST_CASE("a sealed cookie swapped into another cookie's name is cookie_invalid") {
  manual_clock clock(1'700'000'000);
  auto v = seal_cookie(cookie_sealer(), "flyte_at_2", "second half", clock.now() + 1h);
  std::error_code ec;
  CHECK(open_cookie(cookie_sealer(), "flyte_at_1", v, clock.now(), ec).empty());
  CHECK(ec == error::cookie_invalid);
}

TEST_CASE("a cookie sealed under another key is cookie_invalid") {
  manual_clock clock(1'700'000'000);
  crypto::sealer other(std::string(32, 'o'));
  auto v = seal_cookie(other, "flyte_idt", "x", clock.now() + 1h);
  std::error_code ec;
  CHECK(open_cookie(cookie_sealer(), "flyte_idt", v, clock.now(), ec).empty());
  CHECK(ec == error::cookie_invalid);
}

TEST_CASE("garbage cookie values are cookie_invalid and never throw from the ec overload") {
  manual_clock clock(1'700'000'000);
  for (std::string_view junk : {"", "a", "not base64!", "AAAA", "====", "QUJD"}) {
    std::error_code ec;
    INFO(junk);
    CHECK(open_cookie(cookie_sealer(), "n", junk, clock.now(), ec).empty());
    CHECK(ec == error::cookie_invalid);
  }
  CHECK_THROWS_AS(open_cookie(cookie_sealer(), "n", "AAAA", clock.now()), tessera::system_error);
}

TEST_CASE("values that would exceed a browser's 4096-byte cookie are refused when sealing") {
  manual_clock clock(1'700'000'000);
  std::error_code ec;
  // "big=" + base64url(12 nonce + 8 expiry + n + 16 tag): n = 3033 gives exactly 4096 bytes.
  CHECK(seal_cookie(cookie_sealer(), "big", std::string(3034, 'x'), clock.now() + 1h, ec).empty());
  CHECK(ec == error::input_too_large);
  auto fits = seal_cookie(cookie_sealer(), "big", std::string(3033, 'x'), clock.now() + 1h, ec);
  CHECK_FALSE(ec);
  CHECK(std::string("big=").size() + fits.size() == max_cookie_size);
}

TEST_CASE("opening from a request distinguishes absent, duplicated and invalid cookies") {
  manual_clock clock(1'700'000'000);
  auto v = seal_cookie(cookie_sealer(), "__Host-session", "user-42", clock.now() + 1h);
  std::error_code ec;

  auto ok = open_cookie(cookie_sealer(), parse_cookie_header("a=1; __Host-session=" + v), "__Host-session", clock.now(), ec);
  CHECK_FALSE(ec);
  CHECK(ok == std::optional<std::string>("user-42"));

  CHECK_FALSE(open_cookie(cookie_sealer(), parse_cookie_header("a=1"), "__Host-session", clock.now(), ec));
  CHECK_FALSE(ec);  // not logged in is not an error

  auto tossed = parse_cookie_header("__Host-session=" + v + "; __Host-session=" + v);
  CHECK_FALSE(open_cookie(cookie_sealer(), tossed, "__Host-session", clock.now(), ec));
  CHECK(ec == error::cookie_malformed);

  CHECK_FALSE(open_cookie(cookie_sealer(), parse_cookie_header("__Host-session=forged"), "__Host-session", clock.now(), ec));
  CHECK(ec == error::cookie_invalid);
}

TEST_CASE("sealed cookies survive key rotation") {
  manual_clock clock(1'700'000'000);
  auto v = seal_cookie(cookie_sealer(), "n", "v", clock.now() + 1h);
  crypto::sealer rotated{std::string(32, 'n'), std::string(32, 'k')};
  CHECK(open_cookie(rotated, "n", v, clock.now()) == "v");
}
