// tessera — tests/fuzz/fuzz_metadata.cpp: reading authorization-server metadata documents
// (oauth/metadata.hpp), which the client and the identity layer fetch from other servers.
//
// Beyond "does not crash": an accepted document has an issuer and lists within the bounds,
// and writing it then reading the result again gives the same document.
#include <tessera/oauth/metadata.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#define FUZZ_CHECK(x) \
  do {                \
    if (!(x)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::error_code ec;
  boost::json::parse_options opt;
  opt.max_depth = 16;
  auto doc = boost::json::parse(in, ec, {}, opt);
  if (ec) return 0;
  auto m = tessera::oauth::metadata_from_json(doc, ec);
  if (ec) {
    FUZZ_CHECK(m.issuer.empty());
    return 0;
  }
  FUZZ_CHECK(!m.issuer.empty());
  FUZZ_CHECK(m.scopes_supported.size() <= tessera::oauth::server_metadata::max_list);
  auto written = tessera::oauth::to_json(m);
  auto again = tessera::oauth::metadata_from_json(written, ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(tessera::oauth::to_json(again) == written);
  return 0;
}
