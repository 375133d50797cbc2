#include <tessera/transport/tls.hpp>

#include <tessera/transport/http_client.hpp>
#include <tessera/transport/server.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

using namespace tessera::transport;
using namespace std::chrono_literals;
using boost::beast::http::status;
namespace bhttp = boost::beast::http;
using tls_t = test::running_server<tls>;
using plain_t = test::running_server<plain>;

namespace {
router routes() {
  router r;
  r.get("/peer", [](const request& req, const request_context& ctx) {
    return make_response(req, status::ok, ctx.peer_address + ":" + std::to_string(ctx.peer_port) + (ctx.tls ? " tls" : " clear"));
  });
  return r;
}

tls::options files(const std::string& cert, const std::string& key) {
  return {.certificate_chain_file = cert, .private_key_file = key};
}
tls::options good() { return files(test::pki::get().good_cert, test::pki::get().good_key); }

client_options trusting_test_ca() {
  client_options o;
  o.ca_file = test::pki::get().ca_file;
  return o;
}
}  // namespace

TEST_CASE("TLS server answers the tessera client that trusts the test CA, by IP and by name") {
  tls_t s{routes(), tls_t::with_threads(), good()};
  http_client client{trusting_test_ca()};
  auto res = client.get(s.url("/peer"));
  CHECK(res.result() == status::ok);
  CHECK(res.body().ends_with(" tls"));
  CHECK(client.get(s.url("/peer", "localhost")).result() == status::ok);
  REQUIRE(test::eventually([&] { return s.log.snapshot().size() == 2; }));
  auto lines = s.log.snapshot();
  CHECK(lines[0].find(" tls id=") != std::string::npos);
}

TEST_CASE("TLS server keeps one connection alive across requests") {
  tls_t s{routes(), tls_t::with_threads(), good()};
  http_client client{trusting_test_ca()};
  auto first = client.get(s.url("/peer")).body();
  for (int i = 0; i < 4; ++i) CHECK(client.get(s.url("/peer")).body() == first);
  CHECK(client.connections_opened() == 1);
  CHECK(s.server.accepted_connections() == 1);
}

TEST_CASE("TLS server answers curl that trusts the test CA; curl without it refuses") {
  tls_t s{routes(), tls_t::with_threads(), good()};
  const auto& p = test::pki::get();
  auto pin = "--resolve localhost:" + std::to_string(s.port) + ":127.0.0.1 ";
  auto ok = test::run_curl(pin + "--cacert " + p.ca_file + " " + s.url("/peer", "localhost"));
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.ends_with(" tls"));
  auto two = test::run_curl(pin + "--cacert " + p.ca_file + " -o /dev/null -o /dev/null -w '%{num_connects};' " +
                            s.url("/peer", "localhost") + " " + s.url("/peer", "localhost"));
  CHECK(two.out == "1;0;");
  auto refused = test::run_curl(pin + "--capath /nonexistent --cacert /dev/null " + s.url("/peer", "localhost"));
  CHECK(refused.exit_code != 0);
  CHECK(refused.out.empty());
}

TEST_CASE("curl cannot negotiate TLS below 1.2 with the server") {
  tls_t s{routes(), tls_t::with_threads(), good()};
  const auto& p = test::pki::get();
  auto base = "--cacert " + p.ca_file + " " + s.url("/peer");
  CHECK(test::run_curl("--tlsv1.2 --tls-max 1.2 " + base).exit_code == 0);  // control: 1.2 works
  CHECK(test::run_curl("--tlsv1.3 " + base).exit_code == 0);
  CHECK(test::run_curl("--tlsv1.0 --tls-max 1.1 " + base).exit_code != 0);
}

TEST_CASE("client rejects a certificate for another host name with host_name_mismatch") {
  const auto& p = test::pki::get();
  tls_t s{routes(), tls_t::with_threads(), files(p.wrong_cert, p.wrong_key)};
  http_client client{trusting_test_ca()};
  std::error_code ec;
  client.get(s.url("/peer"), ec);
  CHECK(ec == tessera::error::host_name_mismatch);
  client.get(s.url("/peer", "localhost"), ec);
  CHECK(ec == tessera::error::host_name_mismatch);
  CHECK(s.log.snapshot().empty());  // no request was sent
}

TEST_CASE("client rejects a certificate from an unknown CA with certificate_invalid") {
  const auto& p = test::pki::get();
  tls_t s{routes(), tls_t::with_threads(), files(p.stranger_cert, p.stranger_key)};
  http_client client{trusting_test_ca()};
  std::error_code ec;
  client.get(s.url("/peer"), ec);
  CHECK(ec == tessera::error::certificate_invalid);
  CHECK(ec == tessera::condition::server_error);
}

TEST_CASE("client rejects an expired certificate with certificate_invalid") {
  const auto& p = test::pki::get();
  tls_t s{routes(), tls_t::with_threads(), files(p.expired_cert, p.expired_key)};
  http_client client{trusting_test_ca()};
  std::error_code ec;
  client.get(s.url("/peer"), ec);
  CHECK(ec == tessera::error::certificate_invalid);
  CHECK_THROWS_AS(client.get(s.url("/peer")), tessera::system_error);
}

TEST_CASE("client with the system trust store rejects the test CA") {
  tls_t s{routes(), tls_t::with_threads(), good()};
  http_client client;
  std::error_code ec;
  client.get(s.url("/peer"), ec);
  CHECK(ec == tessera::error::certificate_invalid);
}

TEST_CASE("client accepts an unverifiable certificate only with insecure_skip_verify") {
  const auto& p = test::pki::get();
  tls_t s{routes(), tls_t::with_threads(), files(p.wrong_cert, p.wrong_key)};
  client_options o;
  o.insecure_skip_verify = true;
  http_client insecure{o};
  CHECK(insecure.get(s.url("/peer")).result() == status::ok);
}

TEST_CASE("client refuses an https to http redirect with redirect_insecure") {
  plain_t clear{routes()};
  router r;
  r.get("/down", [&](const request& req) {
    auto res = make_response(req, status::found);
    res.set(bhttp::field::location, clear.url("/peer"));
    return res;
  });
  tls_t s{std::move(r), tls_t::with_threads(), good()};
  auto o = trusting_test_ca();
  o.follow_redirects = true;
  http_client client{o};
  std::error_code ec;
  auto res = client.get(s.url("/down"), ec);
  CHECK(ec == tessera::error::redirect_insecure);
  CHECK(res.result() == status::found);
  CHECK(clear.log.snapshot().empty());
}

TEST_CASE("client construction fails for an unreadable CA file") {
  client_options o;
  o.ca_file = "/nonexistent/ca.pem";
  std::error_code ec;
  http_client client{o, ec};
  CHECK(ec);
  std::error_code call;
  client.get("https://127.0.0.1:1/", call);
  CHECK(call == ec);
  CHECK_THROWS_AS(http_client{o}, tessera::system_error);
}

TEST_CASE("TLS server construction fails for a missing key, a mismatched key, or no certificate") {
  const auto& p = test::pki::get();
  for (auto opts : {files(p.good_cert, "/nonexistent.key"), files(p.good_cert, p.wrong_key), tls::options{}}) {
    std::error_code ec;
    tls_server server{router{}, {}, opts, ec};
    CHECK(ec);
    CHECK_THROWS_AS(tls_server(router{}, {}, opts), tessera::system_error);
  }
  tls::options pem{.certificate_chain_pem = test::cert_pem_of_file(p.good_cert),
                   .private_key_pem = test::cert_pem_of_file(p.good_key)};
  std::error_code ec;
  tls_server from_text{router{}, {}, pem, ec};
  CHECK_FALSE(ec);
}

TEST_CASE("a plain-text request to the TLS port closes that connection and the server goes on") {
  tls_t s{routes(), tls_t::with_threads(), good()};
  test::raw_connection c{s.port};
  c.send("GET /peer HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(c.closed_by_peer());
  CHECK(http_client{trusting_test_ca()}.get(s.url("/peer")).result() == status::ok);
}

TEST_CASE("a TLS client that never sends its hello is closed after the header timeout") {
  auto o = tls_t::with_threads();
  o.limits.header_timeout = 300ms;
  tls_t s{routes(), o, good()};
  test::raw_connection c{s.port};
  CHECK(c.closed_by_peer(10s));
  CHECK(test::eventually([&] { return s.server.active_connections() == 0; }));
}

TEST_CASE("TLS server stops gracefully with a keep-alive connection open") {
  tls_t s{routes(), tls_t::with_threads(), good()};
  http_client client{trusting_test_ca()};
  CHECK(client.get(s.url("/peer")).result() == status::ok);
  CHECK(s.server.active_connections() == 1);
  s.server.stop();
  CHECK(s.server.active_connections() == 0);
  std::error_code ec;
  client.get(s.url("/peer"), ec);
  CHECK(ec == tessera::error::connection_failed);
}

// --- docs/security.md row 39: HSTS on every response over TLS, never over plain HTTP -----------

TEST_CASE("every response over TLS carries Strict-Transport-Security for a year, a 404 and a 431 included") {
  auto o = tls_t::with_threads();
  o.limits.header_limit = 1024;
  tls_t s{routes(), o, good()};
  http_client client{trusting_test_ca()};
  auto ok = client.get(s.url("/peer"));
  CHECK(ok.result() == status::ok);
  CHECK(ok[bhttp::field::strict_transport_security] == "max-age=31536000");
  auto missing = client.get(s.url("/nope"));
  CHECK(missing.result() == status::not_found);
  CHECK(missing[bhttp::field::content_type] == "application/json");  // row 40
  CHECK(missing[bhttp::field::strict_transport_security] == "max-age=31536000");
  request big{bhttp::verb::get, "/", 11};
  big.set("X-Pad", std::string(2000, 'a'));
  auto too_big = client.send(std::move(big), s.url("/peer"));
  CHECK(too_big.result() == status::request_header_fields_too_large);
  CHECK(too_big[bhttp::field::strict_transport_security] == "max-age=31536000");
}

TEST_CASE("HSTS max-age and includeSubDomains are configurable, max-age 0 is sent, and HSTS can be turned off") {
  http_client client{trusting_test_ca()};
  struct expected {
    hsts_policy policy;
    const char* header;  // "" = absent
  };
  for (const auto& [policy, header] : {
           expected{{.max_age = std::chrono::seconds{600}, .include_subdomains = true}, "max-age=600; includeSubDomains"},
           expected{{.max_age = std::chrono::seconds{0}}, "max-age=0"},
           expected{{.max_age = std::chrono::seconds{-5}}, "max-age=0"},
           expected{{.enabled = false}, ""},
       }) {
    INFO(header);
    auto topts = good();
    topts.hsts = policy;
    tls_t s{routes(), tls_t::with_threads(), topts};
    auto res = client.get(s.url("/nope"));
    CHECK(res.result() == status::not_found);
    CHECK(res[bhttp::field::strict_transport_security] == header);
    CHECK((res.find(bhttp::field::strict_transport_security) != res.end()) == (*header != '\0'));
    CHECK(strict_transport_security_value(policy) == header);
  }
}

TEST_CASE("plain HTTP responses never carry Strict-Transport-Security") {
  plain_t s{routes()};
  http_client client;
  for (const char* path : {"/peer", "/nope"}) {
    INFO(path);
    auto res = client.get(s.url(path));
    CHECK(res.find(bhttp::field::strict_transport_security) == res.end());
  }
  auto curl = test::run_curl("-o /dev/null -D - " + s.url("/peer"));
  CHECK(curl.exit_code == 0);
  CHECK(curl.out.find("HTTP/1.1 200") == 0);
  CHECK(curl.out.find("trict-") == std::string::npos);
}

TEST_CASE("curl over TLS sees Strict-Transport-Security on a 404") {
  tls_t s{routes(), tls_t::with_threads(), good()};
  auto curl = test::run_curl("-o /dev/null -D - --cacert " + test::pki::get().ca_file + " " + s.url("/nope"));
  CHECK(curl.exit_code == 0);
  CHECK(curl.out.find(" 404") != std::string::npos);
  CHECK(curl.out.find("Strict-Transport-Security: max-age=31536000\r\n") != std::string::npos);
}

TEST_CASE("a TLS client that sends no byte is closed at the first-byte timeout, long before the header timeout") {
  auto o = tls_t::with_threads();
  o.limits.first_byte_timeout = 200ms;  // header_timeout stays 10 s
  tls_t s{routes(), o, good()};
  test::raw_connection c{s.port};
  CHECK(c.closed_by_peer(5s));
  CHECK(c.pending().empty());
  CHECK(test::eventually([&] { return s.server.active_connections() == 0; }));
  CHECK(http_client{trusting_test_ca()}.get(s.url("/peer")).result() == status::ok);  // prompt clients are served
}
