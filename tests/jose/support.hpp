// tessera — tests/jose/support.hpp: helpers shared by the JOSE tests (not a public header).
//
// The library only ever signs headers it builds itself; hostile tests need tokens with any
// header, so `forge` signs an arbitrary header and payload with `jwk::sign` over the exact
// bytes given.
#ifndef TESSERA_TESTS_JOSE_SUPPORT_HPP
#define TESSERA_TESTS_JOSE_SUPPORT_HPP

#include <tessera/jose.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace Catch {
template <>
struct StringMaker<std::error_code> {
  static std::string convert(const std::error_code& ec) {
    return std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " (" + ec.message() + ")";
  }
};
template <>
struct StringMaker<tessera::error> {
  static std::string convert(tessera::error e) { return StringMaker<std::error_code>::convert(make_error_code(e)); }
};
}  // namespace Catch

namespace jose_test {

namespace jose = tessera::jose;
using tessera::condition;
using tessera::error;

inline std::string b64(std::string_view s) { return tessera::crypto::base64url_encode(s); }

/// base64url(header) "." base64url(payload) "." signature, signed by `key` over exactly those bytes.
inline std::string forge(const jose::jwk& key, std::string_view header_json, std::string_view payload_json) {
  std::string token = b64(header_json) + "." + b64(payload_json);
  std::string sig;
  REQUIRE_FALSE(key.sign(token, sig));
  return token + "." + sig;
}

/// The signing input and signature segments of a compact token.
inline std::string signing_input(std::string_view token) { return std::string(token.substr(0, token.rfind('.'))); }
inline std::string signature_segment(std::string_view token) { return std::string(token.substr(token.rfind('.') + 1)); }

/// Decoded raw signature bytes.
inline std::string raw_signature(std::string_view token) {
  return tessera::crypto::base64url_decode(signature_segment(token));
}

/// The token with its signature replaced by `raw` (encoded).
inline std::string with_signature(std::string_view token, std::string_view raw) {
  return signing_input(token) + "." + b64(raw);
}

/// Reads a whole file.
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A temporary directory removed at destruction.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tessera-jose-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Runs the openssl CLI with stdin closed (so a passphrase prompt cannot block); true on exit 0.
inline bool openssl(const std::string& args) {
  std::string cmd = "openssl " + args + " </dev/null >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

/// Checks that `ec` is the cause `e` and that it surfaces on the wire as `invalid_token`.
#define CHECK_INVALID_TOKEN(ec, e)                            \
  do {                                                        \
    CHECK((ec) == (e));                                       \
    CHECK((ec) == ::tessera::condition::invalid_token);       \
  } while (0)

}  // namespace jose_test

#endif
