// tessera — tests/fuzz/fuzz_flyte_secrets.cpp: Flyte's secrets as operators supply them
// (flyte/secrets.hpp, component tessera::flyte). The first byte picks the reader — a 32- or
// 64-byte key in Flyte's base64, a text secret, the signing keys' PEM — the rest is the value
// of its FLYTE_SECRET_ variable (up to the first NUL, as an environment holds it).
//
// Beyond "does not crash and throws nothing": a refused value has a cause and a short message
// of printable ASCII; an accepted key has exactly its size and re-encodes to the text given
// (newlines and padding aside: one accepted spelling per key); an accepted text is the value
// less at most one trailing newline; accepted signing keys include a private current key.
#include <tessera/crypto/base64.hpp>
#include <tessera/flyte/secrets.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#define FUZZ_CHECK(x)           \
  do {                          \
    if (!(x)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera;
  if (size == 0) return 0;
  const unsigned mode = data[0] % 4;
  std::string value(reinterpret_cast<const char*>(data + 1), size - 1);
  value = value.substr(0, value.find('\0'));

  flyte::secret_source src;
  src.dir = "/nonexistent/tessera-fuzz";  // only the variable is read
  src.getenv = [&value](const char*) -> const char* { return value.c_str(); };

  flyte::config_problem problem;
  auto check_problem = [&problem] {
    const std::string message = problem.message();
    FUZZ_CHECK(!message.empty() && message.size() < 512);
    for (unsigned char c : message) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
  };

  if (mode <= 1) {
    const auto spec = mode == 0 ? flyte::cookie_block_key_secret : flyte::cookie_hash_key_secret;
    auto key = flyte::read_secret_key(src, spec, problem);
    if (problem) {
      FUZZ_CHECK(key.empty());
      check_problem();
      return 0;
    }
    FUZZ_CHECK(key.size() == spec.size);
    std::string compact;
    for (char c : value)
      if (c != '\r' && c != '\n' && c != '=') compact += c;
    std::string again = crypto::base64_encode(key.value());
    while (!again.empty() && again.back() == '=') again.pop_back();
    FUZZ_CHECK(again == compact);
  } else if (mode == 2) {
    auto text = flyte::read_text_secret(src, "oidc_client_secret", problem);
    if (problem) {
      check_problem();
      return 0;
    }
    std::string_view expected = value;
    if (!expected.empty() && expected.back() == '\n') expected.remove_suffix(1);
    FUZZ_CHECK(text.value() == expected);
  } else {
    auto keys = flyte::load_signing_keys(src, problem, {.old_signing_key_name = ""});
    if (problem) {
      check_problem();
      return 0;
    }
    FUZZ_CHECK(keys.current.valid() && keys.current.has_private_key());
  }
  return 0;
}
