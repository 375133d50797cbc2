// A downstream program, built by each consumer project in tests/cmake/. It proves that the
// headers are found, that C++20 and the link libraries arrive through tessera::tessera, and
// that the code behaves: it returns non-zero on any mismatch.
#include <tessera/crypto/base64.hpp>
#include <tessera/error.hpp>

#include <cstdio>
#include <string>
#include <system_error>

int main() {
  using namespace std::string_literals;
  const std::string raw = "tessera consumer \xfb\xff\x00 test"s;  // an embedded NUL, too
  const std::string encoded = tessera::crypto::base64url_encode(raw);
  std::error_code ec;
  const std::string decoded = tessera::crypto::base64url_decode(encoded, ec);
  if (ec || decoded != raw) {
    std::fprintf(stderr, "base64url round trip failed: %s\n", ec.message().c_str());
    return 1;
  }
  // Strict decoding: padding is an error, and the cause maps onto its wire condition.
  tessera::crypto::base64url_decode("Zg==", ec);
  if (ec != tessera::error::base64_padding || ec != tessera::condition::invalid_request) {
    std::fprintf(stderr, "expected base64_padding / invalid_request, got '%s'\n", ec.message().c_str());
    return 2;
  }
  std::printf("tessera %s consumer: ok (%s)\n", TESSERA_VERSION_STRING, encoded.c_str());
  return 0;
}
