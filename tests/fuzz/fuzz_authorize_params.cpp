// tessera — tests/fuzz/fuzz_authorize_params.cpp: the authorization request's `prompt` list and
// `max_age` (server/endpoints/authorize.hpp; docs/security.md row 35) on hostile input.
//
// Checks what an accepted value promises: a prompt is only known values separated by spaces,
// with `none` alone; a max_age is at most 10 decimal digits and reads back as the same number.
// The first byte picks the parser; the rest is the value.
#include <tessera/server/endpoints/authorize.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::server::detail;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::error_code ec;
  if (data[0] & 1) {
    auto p = parse_prompt(in, ec);
    if (ec) return 0;
    std::size_t values = 0;
    for (auto one : tessera::oauth::split_scope(in)) {
      FUZZ_CHECK(one == "none" || one == "login" || one == "consent" || one == "select_account");
      ++values;
    }
    for (char c : in) FUZZ_CHECK(c != '\0');
    FUZZ_CHECK(!p.none || (!p.login && !p.consent && !p.select_account));
    FUZZ_CHECK(values > 0 || (!p.none && !p.login && !p.consent && !p.select_account));
  } else {
    auto age = parse_max_age(in, ec);
    if (ec) return 0;
    FUZZ_CHECK(in.empty() == !age);
    if (!age) return 0;
    FUZZ_CHECK(in.size() <= max_age_digits && age->count() >= 0);
    std::int64_t n = 0;
    for (char c : in) {
      FUZZ_CHECK(c >= '0' && c <= '9');
      n = n * 10 + (c - '0');
    }
    FUZZ_CHECK(n == age->count());
    // Whatever the value, the age check cannot overflow (whole seconds).
    (void)older_than(tessera::time_point{} + std::chrono::seconds(1), *age, tessera::time_point::max());
  }
  return 0;
}
