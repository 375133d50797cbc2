// tessera-server — the built-in authorization server (Flyte's `authServerType: Self`) as a
// program. With no arguments it runs the embedded default: local login from a users file,
// the memory store, a signing key generated into its data directory, listening on
// 127.0.0.1:8088. On first start it creates a demo public client, a demo confidential client
// and a demo user, stores only their hashes, and prints their secrets once.
//
//   tessera-server [--listen HOST:PORT] [--data-dir DIR] [--issuer URL]
//                  [--signing-alg RS256|ES256|EdDSA] [--tls-cert FILE --tls-key FILE]
//                  [--hsts-max-age SECONDS] [--hsts-include-subdomains] [--no-hsts]
//                  [--max-connections-per-address N] [--threads N] [--quiet]
//
// With TLS every response carries Strict-Transport-Security, one year by default
// (docs/security.md row 39); `--hsts-max-age 0` tells browsers to forget it, `--no-hsts` sends
// none (a proxy in front sets its own). Behind a reverse proxy every client shares the proxy's
// address: raise `--max-connections-per-address` (default 64) to the connections the proxy may
// open, and let the proxy limit each client (docs/security.md row 38).
#include "data_dir.hpp"

#include <tessera/server.hpp>
#include <tessera/transport/plain.hpp>
#include <tessera/transport/server.hpp>
#include <tessera/transport/tls.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

namespace {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 8088;
  std::filesystem::path data_dir;
  std::string issuer;
  std::string signing_alg = "RS256";
  std::string tls_cert, tls_key;
  unsigned threads = 0;
  bool quiet = false;
  tessera::transport::hsts_policy hsts{};
  std::size_t max_connections_per_address = tessera::transport::server_limits::default_max_connections_per_address;
};

[[noreturn]] void usage(int code) {
  std::cerr << "usage: tessera-server [--listen HOST:PORT] [--data-dir DIR] [--issuer URL]\n"
               "                      [--signing-alg RS256|ES256|EdDSA] [--tls-cert FILE --tls-key FILE]\n"
               "                      [--hsts-max-age SECONDS] [--hsts-include-subdomains] [--no-hsts]\n"
               "                      [--max-connections-per-address N] [--threads N] [--quiet]\n";
  std::exit(code);
}

options parse_args(int argc, char** argv) {
  options o;
  const char* home = std::getenv("HOME");
  o.data_dir = std::filesystem::path(home && *home ? home : ".") / ".tessera-server";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "--listen") {
      std::string v = value();
      auto colon = v.rfind(':');
      if (colon == std::string::npos) usage(2);
      o.host = v.substr(0, colon);
      if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
      o.port = static_cast<unsigned short>(std::stoul(v.substr(colon + 1)));
    } else if (a == "--data-dir") {
      o.data_dir = value();
    } else if (a == "--issuer") {
      o.issuer = value();
    } else if (a == "--signing-alg") {
      o.signing_alg = value();
    } else if (a == "--tls-cert") {
      o.tls_cert = value();
    } else if (a == "--tls-key") {
      o.tls_key = value();
    } else if (a == "--hsts-max-age") {
      o.hsts.max_age = std::chrono::seconds{std::stoll(value())};
    } else if (a == "--hsts-include-subdomains") {
      o.hsts.include_subdomains = true;
    } else if (a == "--no-hsts") {
      o.hsts.enabled = false;
    } else if (a == "--max-connections-per-address") {
      o.max_connections_per_address = std::stoul(value());
    } else if (a == "--threads") {
      o.threads = static_cast<unsigned>(std::stoul(value()));
    } else if (a == "--quiet") {
      o.quiet = true;
    } else if (a == "--help" || a == "-h") {
      usage(0);
    } else {
      std::cerr << "tessera-server: unknown argument " << a << "\n";
      usage(2);
    }
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::cerr << "tessera-server: --tls-cert and --tls-key go together\n";
    usage(2);
  }
  return o;
}

using server_type = tessera::embedded_server;
using identity_type = tessera::embedded_traits::identity;

template <class Server>
int serve(tessera::transport::router routes, const options& o, const typename Server::transport_options& topts) {
  tessera::transport::server_options so;
  so.threads = o.threads;
  so.limits.max_connections_per_address = o.max_connections_per_address;
  if (o.quiet) so.access_log = {};
  Server http(std::move(routes), so, topts);
  auto ep = http.listen(o.host, o.port);
  std::cerr << "tessera-server: listening on " << (Server::transport_type::is_tls ? "https://" : "http://")
            << (ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string()) << ":"
            << ep.port() << std::endl;
  http.run_until_signal();
  std::cerr << "tessera-server: stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  const options o = parse_args(argc, argv);
  const bool tls = !o.tls_cert.empty();
  std::string issuer = o.issuer;
  if (issuer.empty()) {
    const bool v6 = o.host.find(':') != std::string::npos;
    issuer = std::string(tls ? "https://" : "http://") + (v6 ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port);
  }
  while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();

  std::error_code alg_ec;
  auto alg = tessera::jose::parse_algorithm(o.signing_alg, alg_ec);
  if (!alg || tessera::jose::is_hmac(*alg)) {
    std::cerr << "tessera-server: --signing-alg must be an asymmetric JWS algorithm (RS256, ES256, EdDSA, ...)\n";
    return 2;
  }
  examples::data_dir dir(o.data_dir, issuer);
  examples::first_start_report report;
  dir.prepare(*alg, report);

  tessera::store::memory store;

  auto clients = dir.clients();
  tessera::identity::local_settings ids;
  ids.users = dir.users();
  // The login form's redirects end at a client (RFC 8252 loopback on any port, for flytectl).
  // One browser layer for the login pages and the server's own (authorization, device).
  ids.browser.form_action_sources = clients.redirect_csp_sources();
  ids.browser.cookie_keys = {dir.cookie_key()};
  ids.browser.public_url = issuer;
  ids.browser.secure_cookies = tls;
  ids.default_redirect = "/me";
  identity_type identity(std::move(ids), store);

  tessera::server::server_settings settings;
  settings.issuer = issuer;
  settings.flyte_client.client_id = examples::demo_public_client;
  settings.flyte_client.redirect_uri = "http://localhost:53593/callback";
  server_type auth(settings, std::move(clients), dir.keys(*alg), store, identity);

  tessera::transport::router routes;
  auth.install(routes);
  identity.install(routes);
  routes.get("/healthz", [](const tessera::transport::request& req) {
    return tessera::transport::make_response(req, tessera::transport::http::status::ok, "ok\n");
  });

  if (report.created) examples::print_first_start(std::cout, issuer, dir, report);
  std::cout << "tessera-server: issuer " << issuer << ", data in " << o.data_dir.string() << std::endl;

  if (tls) {
    tessera::transport::tls::options topts;
    topts.certificate_chain_file = o.tls_cert;
    topts.private_key_file = o.tls_key;
    topts.hsts = o.hsts;
    return serve<tessera::transport::basic_server<tessera::transport::tls>>(std::move(routes), o, topts);
  }
  return serve<tessera::transport::basic_server<tessera::transport::plain>>(std::move(routes), o, {});
} catch (const std::exception& e) {
  std::cerr << "tessera-server: " << e.what() << "\n";
  return 1;
}
