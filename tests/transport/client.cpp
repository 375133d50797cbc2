#include <tessera/transport/http_client.hpp>

#include <tessera/transport/server.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <future>
#include <thread>

using namespace tessera::transport;
using namespace std::chrono_literals;
using boost::beast::http::status;
using boost::beast::http::verb;
namespace bhttp = boost::beast::http;
using server_t = test::running_server<plain>;

namespace {
response redirect(const request& req, status st, std::string location) {
  auto res = make_response(req, st);
  res.set(bhttp::field::location, location);
  res.prepare_payload();
  return res;
}

router redirect_routes() {
  router r;
  r.add({verb::get, verb::post}, "/final", [](const request& req) {
    return make_response(req, status::ok,
                         std::string(req.method_string()) + " " + req.body() + " auth=" +
                             std::string(req[bhttp::field::authorization]));
  });
  r.add({verb::get, verb::post}, "/r303", [](const request& req) { return redirect(req, status::see_other, "/final"); });
  r.add({verb::get, verb::post}, "/r307", [](const request& req) { return redirect(req, status::temporary_redirect, "final"); });
  r.get("/loop", [](const request& req) { return redirect(req, status::found, "/loop"); });
  return r;
}

std::uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a{ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  auto port = a.local_endpoint().port();
  a.close();
  return port;
}
}  // namespace

TEST_CASE("client returns a redirect with redirect_not_followed unless asked to follow") {
  server_t s{redirect_routes()};
  http_client client;
  std::error_code ec;
  auto res = client.get(s.url("/r303"), ec);
  CHECK(ec == tessera::error::redirect_not_followed);
  CHECK(res.result() == status::see_other);
  CHECK(res[bhttp::field::location] == "/final");
  CHECK_THROWS_AS(client.get(s.url("/r303")), tessera::system_error);
}

TEST_CASE("client follows redirects when asked: 303 becomes GET, 307 keeps method and body") {
  server_t s{redirect_routes()};
  http_client client{{.follow_redirects = true}};
  CHECK(client.post_form(s.url("/r303"), {{"a", "1"}}).body() == "GET  auth=");
  CHECK(client.post_form(s.url("/r307"), {{"a", "1"}}).body() == "POST a=1 auth=");
}

TEST_CASE("client stops after max_redirects with redirect_limit_exceeded") {
  server_t s{redirect_routes()};
  http_client client{{.follow_redirects = true, .max_redirects = 3}};
  std::error_code ec;
  auto res = client.get(s.url("/loop"), ec);
  CHECK(ec == tessera::error::redirect_limit_exceeded);
  CHECK(res.result() == status::found);
  // The first request and three redirects (a line is written after the response is sent).
  CHECK(test::eventually([&] { return s.log.snapshot().size() == 4; }));
}

TEST_CASE("client drops Authorization when a redirect changes origin and keeps it otherwise") {
  server_t target{redirect_routes()};
  router r;
  r.get("/away", [&](const request& req) { return redirect(req, status::found, target.url("/final")); });
  r.get("/final", [](const request& req) {
    return make_response(req, status::ok, "auth=" + std::string(req[bhttp::field::authorization]));
  });
  r.get("/here", [](const request& req) { return redirect(req, status::found, "/final"); });
  server_t origin{std::move(r)};

  http_client client{{.follow_redirects = true}};
  auto with_auth = [](verb v) {
    request req{v, "/", 11};
    req.set(bhttp::field::authorization, "Bearer abc");
    return req;
  };
  CHECK(client.send(with_auth(verb::get), origin.url("/here")).body() == "auth=Bearer abc");
  CHECK(client.send(with_auth(verb::get), origin.url("/away")).body() == "GET  auth=");
}

TEST_CASE("client refuses a 307 to another origin that would resend a form body there") {
  server_t target{redirect_routes()};
  router r;
  r.post("/away", [&](const request& req) { return redirect(req, status::temporary_redirect, target.url("/final")); });
  server_t origin{std::move(r)};
  http_client client{{.follow_redirects = true}};
  std::error_code ec;
  auto res = client.post_form(origin.url("/away"), {{"client_secret", "s3cret"}}, ec);
  CHECK(ec == tessera::error::redirect_cross_origin_body);
  CHECK(res.result() == status::temporary_redirect);
  // The target never saw the body: only the origin logged a request.
  CHECK(target.log.snapshot().empty());
}

TEST_CASE("client fails with response_too_large when the body exceeds max_response_bytes") {
  router r;
  r.get("/big", [](const request& req) { return make_response(req, status::ok, std::string(10000, 'b')); });
  server_t s{std::move(r)};
  http_client small{{.max_response_bytes = 1000}};
  std::error_code ec;
  small.get(s.url("/big"), ec);
  CHECK(ec == tessera::error::response_too_large);
  http_client enough{{.max_response_bytes = 10000}};
  CHECK(enough.get(s.url("/big")).body().size() == 10000);
}

TEST_CASE("client fails with timeout when the response does not come within the read timeout") {
  std::promise<void> release;
  auto released = release.get_future().share();
  router r;
  r.get("/stall", [released](const request& req) {
    released.wait_for(10s);
    return make_response(req, status::ok);
  });
  server_t s{std::move(r)};
  http_client client{{.read_timeout = 200ms}};
  std::error_code ec;
  auto t0 = std::chrono::steady_clock::now();
  client.get(s.url("/stall"), ec);
  CHECK(ec == tessera::error::timeout);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  release.set_value();
}

TEST_CASE("client fails with connection_failed when nothing listens") {
  http_client client;
  std::error_code ec;
  client.get("http://127.0.0.1:" + std::to_string(closed_port()) + "/", ec);
  CHECK(ec == tessera::error::connection_failed);
}

TEST_CASE("client rejects URLs that are not absolute http(s) with url_invalid") {
  http_client client;
  for (const char* bad : {"", "/relative", "ftp://127.0.0.1/", "http://user:pw@127.0.0.1/", "http://127.0.0.1:0/",
                          "https://[::1/", "not a url"}) {
    INFO(bad);
    std::error_code ec;
    client.get(bad, ec);
    CHECK(ec == tessera::error::url_invalid);
  }
  try {
    client.get("ftp://x/");
    FAIL("no exception");
  } catch (const tessera::system_error& e) {
    CHECK(e.code() == tessera::error::url_invalid);
  }
}

TEST_CASE("client sends Host, User-Agent and a form body with extra header fields") {
  router r;
  r.post("/token", [](const request& req) {
    return make_response(req, status::ok,
                         std::string(req[bhttp::field::host]) + "|" + std::string(req[bhttp::field::user_agent]) + "|" +
                             std::string(req[bhttp::field::content_type]) + "|" + std::string(req["X-Test"]) + "|" +
                             std::string(req.target()) + "|" + req.body());
  });
  server_t s{std::move(r)};
  http_client client{{.user_agent = "test-agent"}};
  bhttp::fields extra;
  extra.set("X-Test", "yes");
  auto res = client.post_form(s.url("/token?q=1#fragment"), {{"grant_type", "client_credentials"}, {"scope", "a b"}}, extra);
  CHECK(res.body() == "127.0.0.1:" + std::to_string(s.port) +
                          "|test-agent|application/x-www-form-urlencoded|yes|/token?q=1|grant_type=client_credentials&scope=a+b");
}

TEST_CASE("client notices a pooled connection the server closed and opens a new one") {
  router r;
  r.get("/x", [](const request& req) { return make_response(req, status::ok, "x"); });
  auto o = server_t::with_threads();
  o.limits.idle_timeout = 100ms;
  server_t s{std::move(r), o};
  http_client client;
  CHECK(client.get(s.url("/x")).body() == "x");
  REQUIRE(test::eventually([&] { return s.server.active_connections() == 0; }));
  std::error_code ec;
  CHECK(client.get(s.url("/x"), ec).body() == "x");
  CHECK_FALSE(ec);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("client with reuse disabled opens a connection per request") {
  router r;
  r.get("/x", [](const request& req) { return make_response(req, status::ok, "x"); });
  server_t s{std::move(r)};
  http_client client{{.max_idle_per_origin = 0}};
  for (int i = 0; i < 3; ++i) CHECK(client.get(s.url("/x")).body() == "x");
  CHECK(client.connections_opened() == 3);
  CHECK(client.idle_connections() == 0);
}

TEST_CASE("client may be used from several threads at once") {
  router r;
  r.get("/x", [](const request& req) { return make_response(req, status::ok, "x"); });
  server_t s{std::move(r)};
  http_client client;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        std::error_code ec;
        if (client.get(s.url("/x"), ec).body() == "x" && !ec) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 100);
  CHECK(client.connections_opened() <= 4 + 4);  // reuse happened; at most a few extra
}
