// tessera — tests/fuzz/fuzz_form.cpp: form bodies and query strings (http/form.hpp).
//
// Beyond "does not crash", checks the parser's promises on every accepted input: names are
// unique and non-empty, values non-empty, no control character but HTAB survives decoding,
// and encoding the result then parsing it again gives the same list.
#include <tessera/http/form.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

namespace {
bool has_forbidden_control(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::http;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  std::error_code ec;
  auto p = parse_form(in, ec);
  if (!ec) {
    for (auto it = p.begin(); it != p.end(); ++it) {
      FUZZ_CHECK(!it->name.empty() && !it->value.empty());
      FUZZ_CHECK(!has_forbidden_control(it->name) && !has_forbidden_control(it->value));
      for (auto jt = p.begin(); jt != it; ++jt) FUZZ_CHECK(jt->name != it->name);
    }
    // Encoding triples the size at most: lift the size limit for the round trip.
    auto again = parse_form(form_encode(p), ec, form_options{.max_size = 3 * size + 16});
    FUZZ_CHECK(!ec && again.size() == p.size());
    for (auto a = p.begin(), b = again.begin(); a != p.end(); ++a, ++b)
      FUZZ_CHECK(a->name == b->name && a->value == b->value);
  }

  auto q = parse_query(in, ec, form_options{.reject_duplicates = false, .drop_empty_values = false});
  if (!ec) FUZZ_CHECK(q.size() <= form_options{}.max_parameters);

  std::string decoded;
  if (form_decode(in, decoded)) FUZZ_CHECK(decoded.size() <= in.size());
  return 0;
}
