// tessera — tests/fuzz/fuzz_server_config.cpp: a server configuration as YAML text
// (flyte/server_config.hpp, component tessera::flyte; yaml-cpp underneath).
//
// Beyond "does not crash and throws nothing": a refused input leaves nothing half-read and has
// a cause and a message of printable ASCII only (no input value is echoed); an accepted one
// has every static client valid for the registry and its public URL, when set, an http(s) URL.
#include <tessera/flyte/server_config.hpp>

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
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  flyte::config_problem problem;
  auto cfg = flyte::parse_server_config(in, problem);
  if (problem) {
    FUZZ_CHECK(cfg.clients.size() == 0 && cfg.warnings.empty());
    const std::string message = problem.message();
    FUZZ_CHECK(!message.empty());
    for (unsigned char c : message) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
    return 0;
  }
  for (const auto& [id, c] : cfg.clients) {
    FUZZ_CHECK(!id.empty() && id == c.id);
    for (const auto& uri : c.redirect_uris) FUZZ_CHECK(server::valid_redirect_uri(uri));
    FUZZ_CHECK(c.is_public ? c.secret_hashes.empty() : (!c.secret_hashes.empty() || !c.assertion_keys.empty()));
  }
  if (!cfg.public_url.empty()) FUZZ_CHECK(flyte::detail::is_http_url(cfg.public_url));
  FUZZ_CHECK(!cfg.http_authorization_header.empty() && !cfg.grpc_authorization_header.empty());
  return 0;
}
