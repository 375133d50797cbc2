// tessera — tests/fuzz/fuzz_basic_auth.cpp: Authorization: Basic (http/basic_auth.hpp).
//
// Checks: accepted credentials have a non-empty id and no control character but HTAB, and
// building a header from them then parsing it gives the same credentials. The raw input is
// also parsed as a header body ("Basic " + input), so the fuzzer reaches the base64 and
// percent-decoding paths without having to discover the scheme name first.
#include <tessera/http/basic_auth.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

namespace {
void check(std::string_view header) {
  using namespace tessera::http;
  std::error_code ec;
  auto c = parse_basic_authorization(header, ec);
  if (ec) {
    FUZZ_CHECK(c.client_id.empty() && c.client_secret.empty());
    return;
  }
  FUZZ_CHECK(!c.client_id.empty());
  for (std::string_view s : {std::string_view(c.client_id), std::string_view(c.client_secret)})
    for (unsigned char ch : s) FUZZ_CHECK(!((ch < 0x20 && ch != '\t') || ch == 0x7f));
  auto again = parse_basic_authorization(basic_authorization(c.client_id, c.client_secret), ec);
  // Re-encoding can grow the header past the size limit; anything else must round-trip.
  if (ec) FUZZ_CHECK(ec == tessera::error::input_too_large);
  else FUZZ_CHECK(again.client_id == c.client_id && again.client_secret == c.client_secret);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check(in);
  check("Basic " + std::string(in));
  return 0;
}
