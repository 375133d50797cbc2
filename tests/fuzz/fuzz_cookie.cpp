// tessera — tests/fuzz/fuzz_cookie.cpp: Cookie headers, sealed-cookie opening and
// Set-Cookie building (http/cookie.hpp, http/sealed_cookie.hpp).
//
// Checks: accepted headers give token names and control-free values; no fuzzed cookie value
// ever opens as a sealed cookie (forging AES-GCM is the fuzzer's only way in); sealing the
// input and opening it again round-trips; a Set-Cookie built from fuzzed name and value
// either fails or carries no ';' or control character inside the name=value pair.
#include <tessera/http/cookie.hpp>
#include <tessera/http/sealed_cookie.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

namespace {
const tessera::crypto::sealer& fuzz_sealer() {
  static const tessera::crypto::sealer s(std::string(32, 'f'));
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera;
  using namespace tessera::http;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const time_point now = from_unix_seconds(1'700'000'000);

  std::error_code ec;
  auto cookies = parse_cookie_header(in, ec);
  if (!ec) {
    FUZZ_CHECK(cookies.size() <= cookie_options{}.max_cookies);
    for (const auto& c : cookies) {
      FUZZ_CHECK(tessera::http::detail::is_token(c.name));
      for (unsigned char ch : c.value) FUZZ_CHECK(!((ch < 0x20 && ch != '\t') || ch == 0x7f));
      auto opened = open_cookie(fuzz_sealer(), c.name, c.value, now, ec);
      FUZZ_CHECK(ec == error::cookie_invalid && opened.empty());
    }
  }
  auto opened = open_cookie(fuzz_sealer(), "session", in, now, ec);
  FUZZ_CHECK(ec == error::cookie_invalid && opened.empty());

  auto sealed = seal_cookie(fuzz_sealer(), "session", in, now + std::chrono::hours(1), ec);
  if (!ec) FUZZ_CHECK(open_cookie(fuzz_sealer(), "session", sealed, now) == in);
  else FUZZ_CHECK(ec == error::input_too_large);

  const auto split = in.find('=');
  if (split != std::string_view::npos) {
    auto header = set_cookie(in.substr(0, split), in.substr(split + 1), cookie_attributes{}, ec);
    if (!ec) {
      auto pair = std::string_view(header).substr(0, header.find("; Path=/"));
      FUZZ_CHECK(pair.size() == in.size());
      for (unsigned char ch : pair) FUZZ_CHECK(ch > 0x20 && ch < 0x7f && ch != ';');
    }
  }
  return 0;
}
