// A downstream program in the separate-compilation mode (tests/cmake/separate_compilation):
// it serves a route with plain_server on loopback and fetches it with http_client, both
// compiled by tessera_src.cpp, not here. Non-zero exit on any mismatch.
#ifndef TESSERA_SEPARATE_COMPILATION
#error "this consumer must be compiled with TESSERA_SEPARATE_COMPILATION"
#endif

#include <tessera/server.hpp>
#include <tessera/transport.hpp>

#include <cstdio>
#include <string>

int main() {
  namespace tt = tessera::transport;
  tt::router routes;
  routes.get("/hello", [](const tt::request& req) { return tt::make_response(req, tt::http::status::ok, "separate\n"); });
  tt::server_options so;
  so.threads = 1;
  so.access_log = {};
  tt::plain_server server(std::move(routes), so);
  const auto port = server.listen("127.0.0.1", 0).port();
  server.start();

  tt::http_client client;
  std::error_code ec;
  auto res = client.get("http://127.0.0.1:" + std::to_string(port) + "/hello", ec);
  server.stop();
  if (ec || res.result() != tt::http::status::ok || res.body() != "separate\n") {
    std::fprintf(stderr, "GET /hello: %s, status %u, body '%s'\n", ec.message().c_str(), res.result_int(),
                 res.body().c_str());
    return 1;
  }
  // The other compositions src.hpp compiles must link too: taking a member's address makes
  // the linker look for its one definition there.
  auto tls_listen = static_cast<tt::tls_server::endpoint (tt::tls_server::*)(std::string_view, std::uint16_t)>(
      &tt::tls_server::listen);
  auto metadata = &tessera::embedded_server::metadata;
  auto install = &tessera::embedded_server::install;
  if (!tls_listen || !metadata || !install) return 2;
  std::printf("tessera %s separate-compilation consumer: ok\n", TESSERA_VERSION_STRING);
  return 0;
}
