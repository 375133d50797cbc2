// tessera — tests/fuzz/fuzz_redirect_uri.cpp: redirect-URI matching and the local-redirect
// check (http/redirect_uri.hpp) on hostile URLs.
//
// Checks the open-redirect promises directly: with no authorized origins, an accepted target
// starts with exactly one '/' and holds no backslash, control character, space or non-ASCII
// byte; with one authorized origin, an accepted absolute target has that origin's host. A
// fuzzed URI matches the registered loopback URI only if it is loopback on the same path.
#include <tessera/http/redirect_uri.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::http;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  static const std::vector<std::string> none;
  if (is_safe_local_redirect(in, none)) {
    FUZZ_CHECK(in.size() >= 1 && in[0] == '/' && (in.size() == 1 || (in[1] != '/' && in[1] != '\\')));
    for (unsigned char c : in) FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '\\');
  }
  static const std::vector<std::string> authorized{"https://flyte.example.com"};
  if (is_safe_local_redirect(in, authorized) && !in.empty() && in[0] != '/') {
    auto u = boost::urls::parse_uri(in);
    FUZZ_CHECK(u && !u->has_userinfo());
    std::string host(u->encoded_host());
    for (char& c : host) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    FUZZ_CHECK(host == "flyte.example.com");
  }

  static const std::vector<std::string> registered{"http://127.0.0.1/callback", "https://app.example.com/cb"};
  std::error_code ec;
  auto m = match_redirect_uri(in, registered, ec);
  if (!ec && m == registered[0]) {
    FUZZ_CHECK(in.starts_with("http://127.0.0.1"));
    FUZZ_CHECK(in.ends_with("/callback"));
  }
  if (!ec && m == registered[1]) FUZZ_CHECK(in == registered[1]);

  // A redirect the consent rule treats as a web app's is https, or http to a host that is not
  // loopback (docs/security.md row 37): never a loopback http URI.
  if (!is_native_app_redirect(in)) {
    auto u = boost::urls::parse_absolute_uri(in);
    if (u && u->scheme_id() == boost::urls::scheme::http) {
      std::string host(u->encoded_host());
      for (char& c : host) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      FUZZ_CHECK(host != "127.0.0.1" && host != "[::1]" && host != "localhost");
    }
  }
  return 0;
}
