#include <tessera/transport/server.hpp>

#include <tessera/transport/http_client.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <csignal>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace tessera::transport;
using namespace std::chrono_literals;
using boost::beast::http::status;
using boost::beast::http::verb;
namespace bhttp = boost::beast::http;
using server_t = test::running_server<plain>;

namespace {
router basic_routes() {
  router r;
  r.get("/echo", [](const request& req) { return make_response(req, status::ok, std::string(req.target())); });
  r.get("/peer", [](const request& req, const request_context& ctx) {
    return make_response(req, status::ok,
                         ctx.peer_address + ":" + std::to_string(ctx.peer_port) + (ctx.tls ? " tls" : " clear"));
  });
  r.post("/upload", [](const request& req) { return make_response(req, status::ok, std::to_string(req.body().size())); });
  r.get("/boom", [](const request&) -> response { throw std::runtime_error("x"); });
  return r;
}

server_options opts(auto&& tweak) {
  auto o = server_t::with_threads();
  tweak(o);
  return o;
}
}  // namespace

TEST_CASE("server answers the tessera client over plain HTTP with the peer in the context") {
  server_t s{basic_routes()};
  http_client client;
  auto res = client.get(s.url("/peer"));
  CHECK(res.result() == status::ok);
  CHECK(res.body().rfind("127.0.0.1:", 0) == 0);
  CHECK(res.body().ends_with(" clear"));
  CHECK(client.get(s.url("/nope")).result() == status::not_found);
}

TEST_CASE("server answers curl over plain HTTP") {
  server_t s{basic_routes()};
  auto r = test::run_curl("'" + s.url("/echo?x=1") + "'");
  CHECK(r.exit_code == 0);
  CHECK(r.out == "/echo?x=1");
  auto post = test::run_curl("-o /dev/null -w '%{http_code}' --data-binary 'abc' " + s.url("/upload"));
  CHECK(post.out == "200");
}

TEST_CASE("server keeps the connection alive: the client reuses one connection") {
  server_t s{basic_routes()};
  http_client client;
  auto first = client.get(s.url("/peer")).body();
  for (int i = 0; i < 5; ++i) CHECK(client.get(s.url("/peer")).body() == first);
  CHECK(client.connections_opened() == 1);
  CHECK(s.server.accepted_connections() == 1);
}

TEST_CASE("server keeps the connection alive: curl fetches two URLs over one connection") {
  server_t s{basic_routes()};
  auto r = test::run_curl("-o /dev/null -o /dev/null -w '%{num_connects};' " + s.url("/echo") + " " + s.url("/echo"));
  CHECK(r.exit_code == 0);
  CHECK(r.out == "1;0;");
  CHECK(s.server.accepted_connections() == 1);
}

TEST_CASE("server answers pipelined requests in order on one connection") {
  server_t s{basic_routes()};
  test::raw_connection c{s.port};
  REQUIRE(c.connected());
  REQUIRE(c.send("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                 "GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r1 = c.read_response();
  auto r2 = c.read_response();
  auto r3 = c.read_response();
  REQUIRE(r1);
  REQUIRE(r2);
  REQUIRE(r3);
  CHECK(r1->body() == "/echo?n=1");
  CHECK(r2->body() == "5");
  CHECK(r3->body() == "/echo?n=3");
  CHECK(r3->keep_alive());
}

TEST_CASE("a request header over the limit gets 431 and the connection closes") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.header_limit = 1024; })};
  test::raw_connection c{s.port};
  c.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'a') + "\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->result() == status::request_header_fields_too_large);
  CHECK_FALSE(r->keep_alive());
  CHECK(c.closed_by_peer());
  // The server is unharmed.
  CHECK(http_client{}.get(s.url("/echo")).result() == status::ok);
}

TEST_CASE("a body announced over the limit gets 413 before the body is sent") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.body_limit = 100; })};
  test::raw_connection c{s.port};
  c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");  // and no body
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->result() == status::payload_too_large);
  CHECK(c.closed_by_peer());
}

TEST_CASE("a chunked body that grows over the limit gets 413") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.body_limit = 100; })};
  test::raw_connection c{s.port};
  std::string chunk(80, 'z');
  c.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + chunk + "\r\n50\r\n" + chunk +
         "\r\n0\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->result() == status::payload_too_large);
}

TEST_CASE("curl posting a body over the limit sees 413") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.body_limit = 100; })};
  auto file = test::pki::get().dir / "big.bin";
  std::ofstream(file) << std::string(5000, 'q');
  auto r = test::run_curl("-o /dev/null -w '%{http_code}' --data-binary @" + file.string() + " " + s.url("/upload"));
  CHECK(r.out == "413");
  auto ok = test::run_curl("--data-binary 'small' " + s.url("/upload"));
  CHECK(ok.out == "5");
}

TEST_CASE("a header that does not arrive within the header timeout gets 408 (slowloris)") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.header_timeout = 300ms; })};
  test::raw_connection c{s.port};
  c.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ");  // never finished
  auto r = c.read_response(10s);
  REQUIRE(r);
  CHECK(r->result() == status::request_timeout);
  CHECK(c.closed_by_peer());
}

TEST_CASE("the first request's header timeout runs from accept, not again from its first byte") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.header_timeout = 1000ms; })};
  test::raw_connection c{s.port};
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(800ms);              // most of the budget spent before a byte
  c.send("GET /echo HTTP/1.1\r\nHost: x\r\n");  // then a header that never ends
  auto r = c.read_response(10s);
  REQUIRE(r);
  CHECK(r->result() == status::request_timeout);
  // One budget of 1 s from accept; a budget restarted at the first byte would end at 1.8 s.
  CHECK(std::chrono::steady_clock::now() - start < 1600ms);
}

TEST_CASE("a body that does not arrive within the read timeout gets 408") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.read_timeout = 300ms; })};
  test::raw_connection c{s.port};
  c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  auto r = c.read_response(10s);
  REQUIRE(r);
  CHECK(r->result() == status::request_timeout);
}

TEST_CASE("a connection that sends nothing is closed after the header timeout without a response") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.header_timeout = 300ms; })};
  test::raw_connection c{s.port};
  CHECK(c.closed_by_peer(10s));
  CHECK(c.pending().empty());
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.idle_timeout = 300ms; })};
  test::raw_connection c{s.port};
  c.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->keep_alive());
  CHECK(c.closed_by_peer(10s));
  CHECK(c.pending().empty());
  CHECK(test::eventually([&] { return s.server.active_connections() == 0; }));
}

TEST_CASE("connections over the limit are closed at once and the others keep working") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.max_connections = 2; })};
  test::raw_connection a{s.port}, b{s.port};
  for (auto* c : {&a, &b}) {
    c->send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(c->read_response());  // both accepted and counted
  }
  test::raw_connection third{s.port};
  third.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(third.closed_by_peer());
  CHECK_FALSE(third.read_response(200ms));
  CHECK(s.server.rejected_connections() == 1);
  a.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(a.read_response());
}

TEST_CASE("a malformed request gets 400 and the connection closes") {
  server_t s{basic_routes()};
  test::raw_connection c{s.port};
  c.send("GET /echo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->result() == status::bad_request);
  CHECK(c.closed_by_peer());
}

TEST_CASE("a request with Expect: 100-continue gets an interim 100 before its body is read") {
  server_t s{basic_routes()};
  test::raw_connection c{s.port};
  c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read_response();
  REQUIRE(interim);
  CHECK(interim->result() == status::continue_);
  c.send("abcd");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->result() == status::ok);
  CHECK(r->body() == "4");
}

TEST_CASE("a handler that answers Connection: close closes the connection after its response") {
  router r = basic_routes();
  r.get("/bye", [](const request& req) {
    auto res = make_response(req, status::ok, "bye");
    res.keep_alive(false);
    return res;
  });
  server_t s{std::move(r)};
  test::raw_connection c{s.port};
  c.send("GET /bye HTTP/1.1\r\nHost: x\r\n\r\n");
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->body() == "bye");
  CHECK_FALSE(res->keep_alive());
  CHECK(c.closed_by_peer());
}

TEST_CASE("a throwing handler gets 500 and the connection keeps serving") {
  server_t s{basic_routes()};
  http_client client;
  CHECK(client.get(s.url("/boom")).result() == status::internal_server_error);
  CHECK(client.get(s.url("/echo")).result() == status::ok);
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("access log has one line per request with method, path and status and no secrets") {
  server_t s{basic_routes()};
  {
    http_client client;
    request req{verb::post, "/", 11};
    req.set(bhttp::field::cookie, "session=COOKIEVALUE");
    req.set(bhttp::field::authorization, "Bearer TOKENVALUE");
    req.body() = "password=BODYVALUE";
    client.send(std::move(req), s.url("/upload?code=QUERYVALUE"));
    client.get(s.url("/missing"));
  }
  // The line is written when the server's write completes, which may be after the client read.
  REQUIRE(test::eventually([&] { return s.log.snapshot().size() == 2; }));
  auto lines = s.log.snapshot();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("\"POST /upload\" 200 2 ") != std::string::npos);
  CHECK(lines[0].rfind("127.0.0.1:", 0) == 0);
  CHECK(lines[0].find("us id=") != std::string::npos);
  CHECK(lines[1].find("\"GET /missing\" 404") != std::string::npos);
  for (const auto& l : lines)
    for (const char* secret : {"COOKIE", "TOKEN", "BODY", "QUERY", "code="}) CHECK(l.find(secret) == std::string::npos);
}

TEST_CASE("every response carries X-Request-Id: a safe client id is echoed, anything else replaced by a made one") {
  router r;
  r.get("/id", [](const request& req, const request_context& ctx) { return make_response(req, status::ok, ctx.request_id); });
  server_t s{std::move(r)};
  test::raw_connection c{s.port};
  auto ask = [&](std::string extra) {
    REQUIRE(c.send("GET /id HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n"));
    auto res = c.read_response();
    REQUIRE(res);
    return *res;
  };
  auto echoed = ask("X-Request-Id: 0f8fad5b-d9cb-469f-a165-70867728950e\r\n");
  CHECK(echoed["X-Request-Id"] == "0f8fad5b-d9cb-469f-a165-70867728950e");
  CHECK(echoed.body() == "0f8fad5b-d9cb-469f-a165-70867728950e");  // the handler saw it too
  auto replaced = ask("X-Request-Id: " + std::string(100, 'a') + "\r\n");
  CHECK(replaced["X-Request-Id"].size() == 32);
  CHECK(replaced.body() == replaced["X-Request-Id"]);
  auto hostile = ask("X-Request-Id: a\"b c;d\r\n");
  CHECK(hostile["X-Request-Id"].size() == 32);
  CHECK(hostile["X-Request-Id"].find('"') == std::string_view::npos);
  auto made = ask("");
  auto made_again = ask("");
  CHECK(made["X-Request-Id"].size() == 32);
  CHECK(made["X-Request-Id"] != made_again["X-Request-Id"]);  // one per request, not per connection
  // The router's and the transport's own answers carry one too.
  REQUIRE(c.send("GET /missing HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-404\r\n\r\n"));
  auto not_found = c.read_response();
  REQUIRE(not_found);
  CHECK(not_found->result() == status::not_found);
  CHECK((*not_found)["X-Request-Id"] == "req-404");
  test::raw_connection bad{s.port};
  REQUIRE(bad.send("GET /id HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-400\r\nBad Header\r\n\r\n"));
  auto malformed = bad.read_response();
  REQUIRE(malformed);
  CHECK(malformed->result() == status::bad_request);
  CHECK((*malformed)["X-Request-Id"].size() == 32);  // the header was never parsed: a made id
  REQUIRE(test::eventually([&] { return s.log.snapshot().size() == 7; }));
  auto lines = s.log.snapshot();
  CHECK(lines[0].ends_with(" id=0f8fad5b-d9cb-469f-a165-70867728950e"));
  CHECK(lines[2].find("a\"b") == std::string::npos);
}

TEST_CASE("JSON access log over the server: each line parses and holds the request id; the observer sees the route") {
  router r = basic_routes();
  std::mutex m;
  std::vector<std::pair<std::string, unsigned>> seen;  // route, status
  server_t s{std::move(r), opts([&](auto& o) {
               o.log_format = access_log_format::json;
               o.observer = [&](const access_log_entry& e) {
                 std::lock_guard lk(m);
                 seen.emplace_back(std::string(e.route.empty() ? "none" : e.route), e.status);
               };
             })};
  {
    http_client client;
    request req{verb::get, "/echo?code=SECRET", 11};
    req.set("X-Request-Id", "trace-1");
    client.send(std::move(req), s.url("/echo?code=SECRET"));
    client.get(s.url("/missing?token=SECRET"));
  }
  REQUIRE(test::eventually([&] { return s.log.snapshot().size() == 2; }));
  auto lines = s.log.snapshot();
  std::error_code ec;
  auto first = boost::json::parse(lines[0], ec);
  REQUIRE_FALSE(ec);
  CHECK(first.at("event") == "http_request");
  CHECK(first.at("request_id") == "trace-1");
  CHECK(first.at("method") == "GET");
  CHECK(first.at("path") == "/echo");
  CHECK(first.at("status") == 200);
  CHECK(first.at("tls") == false);
  CHECK(first.at("peer").as_string().starts_with("127.0.0.1:"));
  auto second = boost::json::parse(lines[1], ec);
  REQUIRE_FALSE(ec);
  CHECK(second.at("status") == 404);
  CHECK(second.at("request_id").as_string().size() == 32);
  for (const auto& l : lines) CHECK(l.find("SECRET") == std::string::npos);
  std::lock_guard lk(m);
  CHECK(seen == std::vector<std::pair<std::string, unsigned>>{{"/echo", 200}, {"none", 404}});
}

TEST_CASE("a throwing observer changes nothing: the answer and the log line still go out") {
  server_t s{basic_routes(), opts([](auto& o) { o.observer = [](const access_log_entry&) { throw std::runtime_error("x"); }; })};
  http_client client;
  CHECK(client.get(s.url("/echo")).result() == status::ok);
  CHECK(client.get(s.url("/echo")).result() == status::ok);  // the connection survived
  REQUIRE(test::eventually([&] { return s.log.snapshot().size() == 2; }));
}

TEST_CASE("limit violations are logged with their status") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.header_limit = 512; })};
  test::raw_connection c{s.port};
  c.send("GET /echo?token=SECRET HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(1000, 'a') + "\r\n\r\n");
  REQUIRE(c.read_response());
  REQUIRE(test::eventually([&] { return s.log.snapshot().size() == 1; }));
  CHECK(s.log.snapshot()[0].find("431") != std::string::npos);
  CHECK(s.log.snapshot()[0].find("SECRET") == std::string::npos);
}

TEST_CASE("stop lets an in-flight request finish and refuses new connections") {
  std::promise<void> entered, release;
  auto release_future = release.get_future().share();
  router r = basic_routes();
  r.get("/slow", [&, release_future](const request& req) {
    entered.set_value();
    release_future.wait();
    return make_response(req, status::ok, "finished");
  });
  server_t s{std::move(r)};
  auto port = s.port;

  test::raw_connection c{port};
  c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  entered.get_future().wait();

  std::thread stopper([&] { s.server.stop(); });
  REQUIRE(test::eventually([&] { return !s.server.accepting(); }));
  test::raw_connection late{port};
  CHECK_FALSE(late.connected());

  release.set_value();
  auto res = c.read_response();
  REQUIRE(res);
  CHECK(res->result() == status::ok);
  CHECK(res->body() == "finished");
  CHECK_FALSE(res->keep_alive());  // Connection: close while stopping
  CHECK(c.closed_by_peer());
  stopper.join();
  CHECK(s.server.active_connections() == 0);
}

TEST_CASE("stop closes idle keep-alive connections at once") {
  server_t s{basic_routes(), opts([](auto& o) { o.drain_timeout = 30s; })};
  test::raw_connection c{s.port};
  c.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(c.read_response());
  auto t0 = std::chrono::steady_clock::now();
  s.server.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 20s);  // did not wait for the drain timeout
  CHECK(c.closed_by_peer());
}

TEST_CASE("stop closes a connection still mid-request when the drain timeout passes") {
  server_t s{basic_routes(), opts([](auto& o) { o.drain_timeout = 200ms; })};
  test::raw_connection c{s.port};
  c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part");
  REQUIRE(test::eventually([&] { return s.server.active_connections() == 1; }));
  s.server.stop();
  CHECK(c.closed_by_peer());
  CHECK(s.server.active_connections() == 0);
}

TEST_CASE("SIGTERM makes a server waiting for signals stop gracefully") {
  server_t s{basic_routes()};
  s.server.stop_on_signals({SIGTERM});
  std::thread waiter([&] { s.server.wait(); });
  CHECK(http_client{}.get(s.url("/echo")).result() == status::ok);
  std::raise(SIGTERM);
  waiter.join();
  CHECK_FALSE(s.server.accepting());
  test::raw_connection late{s.port};
  CHECK_FALSE(late.connected());
}

TEST_CASE("on_signal runs its action on the waiting thread while requests are served; SIGTERM still stops") {
  server_t s{basic_routes()};
  std::atomic<int> reloads{0};
  std::atomic<bool> on_io_thread{false};
  std::thread::id waiting_thread;
  std::promise<void> in_action;
  std::promise<void> release;
  auto released = release.get_future().share();
  s.server.on_signal(SIGUSR1, [&] {
    if (std::this_thread::get_id() != waiting_thread) on_io_thread = true;
    if (reloads++ == 0) {
      in_action.set_value();
      released.wait();  // a slow reload: requests must still be answered meanwhile
    }
  });
  s.server.stop_on_signals({SIGTERM});
  std::promise<std::thread::id> started;
  std::thread waiter([&] {
    started.set_value(std::this_thread::get_id());
    s.server.wait();
  });
  waiting_thread = started.get_future().get();
  std::raise(SIGUSR1);
  in_action.get_future().wait();
  CHECK(http_client{}.get(s.url("/echo")).result() == status::ok);  // served during the action
  std::raise(SIGUSR1);  // arrives while the action runs: at least one more call afterwards
  std::raise(SIGUSR1);
  release.set_value();
  REQUIRE(test::eventually([&] { return reloads.load() >= 2; }));
  std::this_thread::sleep_for(50ms);
  const int before = reloads.load();
  std::raise(SIGUSR1);
  REQUIRE(test::eventually([&] { return reloads.load() > before; }));
  CHECK_FALSE(on_io_thread);
  CHECK(s.server.accepting());
  std::raise(SIGTERM);
  waiter.join();
  CHECK_FALSE(s.server.accepting());
}

TEST_CASE("listen rejects an address that is not an IP literal") {
  plain_server server{router{}, server_t::with_threads(1)};
  std::error_code ec;
  server.listen("not-an-ip", 0, ec);
  CHECK(ec == tessera::error::url_invalid);
  CHECK_THROWS_AS(server.listen("localhost", 0), tessera::system_error);
}

// --- docs/security.md row 40: the transport's own errors are JSON -------------------------------

TEST_CASE("the server's own 400, 404, 408, 413 and 431 answers are JSON errors that are not cached") {
  server_t s{basic_routes(), opts([](auto& o) {
               o.limits.header_limit = 1024;
               o.limits.body_limit = 100;
               o.limits.header_timeout = 300ms;
             })};
  struct probe {
    const char* what;
    std::string bytes;
    status code;
    const char* body;
  };
  for (const auto& p : {
           probe{"malformed", "GET /echo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", status::bad_request,
                 R"({"error":"invalid_request","error_description":"malformed HTTP request"})"},
           probe{"unknown path", "GET /nope?token=SECRET HTTP/1.1\r\nHost: x\r\n\r\n", status::not_found,
                 R"({"error":"not_found","error_description":"no endpoint at this path"})"},
           probe{"slow header", "GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ", status::request_timeout,
                 R"({"error":"invalid_request","error_description":"request not received in time"})"},
           probe{"big body", "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", status::payload_too_large,
                 R"({"error":"invalid_request","error_description":"request body too large"})"},
           probe{"big header", "GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'a') + "\r\n\r\n",
                 status::request_header_fields_too_large,
                 R"({"error":"invalid_request","error_description":"request header too large"})"},
       }) {
    INFO(p.what);
    test::raw_connection c{s.port};
    c.send(p.bytes);
    auto r = c.read_response(10s);
    REQUIRE(r);
    CHECK(r->result() == p.code);
    CHECK((*r)[bhttp::field::content_type] == "application/json");
    CHECK((*r)[bhttp::field::cache_control] == "no-store");
    CHECK(r->body() == p.body);
    CHECK((*r)[bhttp::field::strict_transport_security].empty());  // plain HTTP (row 39)
  }
}

// --- docs/security.md row 38: connection slots per address and the first-byte timeout ---------

namespace {
router routes_with_healthz() {
  router r = basic_routes();
  r.get("/healthz", [](const request& req) { return make_response(req, status::ok, "ok\n"); });
  return r;
}

std::optional<bhttp::response<bhttp::string_body>> healthz(test::raw_connection& c) {
  if (!c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) return std::nullopt;
  return c.read_response();
}
}  // namespace

TEST_CASE("idle connections from one address past the default per-address cap are closed, and another address is served") {
  // The finding: 1,030 idle connections from one address took all 1,024 slots. Idle here means
  // "sent nothing": both timeouts are long so that only the cap can close them.
  server_t s{routes_with_healthz(), opts([](auto& o) {
               o.limits.first_byte_timeout = 60s;
               o.limits.header_timeout = 60s;
             })};
  const std::size_t cap = server_limits::default_max_connections_per_address;
  REQUIRE(cap < server_limits::default_max_connections);
  std::vector<std::unique_ptr<test::raw_connection>> idle;
  for (std::size_t i = 0; i < cap; ++i) {
    idle.push_back(std::make_unique<test::raw_connection>(s.port));
    REQUIRE(idle.back()->connected());
  }
  REQUIRE(test::eventually([&] { return s.server.active_connections() == cap; }));

  // Over the cap: accepted, then closed before anything is read; counted.
  test::raw_connection silent{s.port}, asking{s.port};
  asking.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(silent.closed_by_peer());
  CHECK(asking.closed_by_peer());
  CHECK(asking.pending().empty());
  CHECK(test::eventually([&] { return s.server.rejected_per_address_connections() == 2; }));
  CHECK(s.server.rejected_connections() == 0);

  {
    // 127.0.0.2 is another address on Linux loopback: served while 127.0.0.1 is at its cap.
    test::raw_connection other{s.port, "127.0.0.2"};
    REQUIRE(other.connected());
    auto res = healthz(other);
    REQUIRE(res);
    CHECK(res->result() == status::ok);
    CHECK(res->body() == "ok\n");
    CHECK(s.server.connected_addresses() == 2);
  }

  // A slot that 127.0.0.1 frees serves it again.
  idle.pop_back();
  REQUIRE(test::eventually([&] { return s.server.active_connections() == cap - 1; }));
  {
    test::raw_connection again{s.port};
    auto res = healthz(again);
    REQUIRE(res);
    CHECK(res->result() == status::ok);
  }

  // Entries go with their last connection: the table is bounded by the open connections.
  idle.clear();
  CHECK(test::eventually([&] { return s.server.active_connections() == 0; }));
  CHECK(s.server.connected_addresses() == 0);
  CHECK(s.server.rejected_per_address_connections() == 2);
}

TEST_CASE("a configured per-address cap counts a dual-stack listener's IPv4-mapped peers as their IPv4 address") {
  server_t s{basic_routes(), opts([](auto& o) { o.limits.max_connections_per_address = 2; })};
  std::error_code ec;
  auto mapped = s.server.listen("::ffff:127.0.0.1", 0, ec);  // an IPv6 socket that IPv4 peers reach
  if (ec) {
    WARN("this host cannot bind ::ffff:127.0.0.1 (" << ec.message() << "); only the IPv4 half runs");
  }
  test::raw_connection first{s.port};
  test::raw_connection second{ec ? s.port : mapped.port()};  // seen as ::ffff:127.0.0.1
  for (auto* c : {&first, &second}) {
    REQUIRE(c->connected());
    c->send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(c->read_response());
  }
  CHECK(s.server.connected_addresses() == 1);
  test::raw_connection third{s.port};
  CHECK(third.closed_by_peer());
  test::raw_connection fourth{ec ? s.port : mapped.port()};
  CHECK(fourth.closed_by_peer());
  CHECK(s.server.rejected_per_address_connections() == 2);
  CHECK(test::eventually([&] { return s.server.active_connections() == 2; }));
}

TEST_CASE("per-address counting: IPv4-mapped IPv6 is its IPv4 address, a full address refuses, a freed slot is reused") {
  using boost::asio::ip::make_address;
  CHECK(detail::connection_key(make_address("::ffff:192.0.2.7")) == make_address("192.0.2.7"));
  CHECK(detail::connection_key(make_address("192.0.2.7")) == make_address("192.0.2.7"));
  CHECK(detail::connection_key(make_address("2001:db8::1")) == make_address("2001:db8::1"));
  CHECK(detail::connection_key(make_address("::1")) == make_address("::1"));

  detail::address_counts counts;
  auto a = counts.try_acquire(make_address("192.0.2.7"), 2);
  auto b = counts.try_acquire(make_address("::ffff:192.0.2.7"), 2);
  CHECK(a);
  CHECK(b);
  CHECK_FALSE(counts.try_acquire(make_address("192.0.2.7"), 2));
  CHECK_FALSE(counts.try_acquire(make_address("::ffff:192.0.2.7"), 2));
  CHECK(counts.size() == 1);
  {
    auto other = counts.try_acquire(make_address("192.0.2.8"), 2);
    CHECK(other);
    CHECK(counts.size() == 2);
  }
  CHECK(counts.size() == 1);  // released with its last slot
  b = {};
  auto c = counts.try_acquire(make_address("192.0.2.7"), 2);
  CHECK(c);
  auto moved = std::move(c);
  CHECK_FALSE(c);
  CHECK(moved);
  a = {};
  moved = {};
  CHECK(counts.size() == 0);
  CHECK_FALSE(counts.try_acquire(make_address("192.0.2.9"), 0));
  CHECK(counts.size() == 0);
}

TEST_CASE("a new connection that sends nothing is closed at the first-byte timeout, a prompt or trickling one is served") {
  // header_timeout stays at its default (10 s): a close within 5 s is the first-byte timeout's.
  server_t s{basic_routes(), opts([](auto& o) { o.limits.first_byte_timeout = 200ms; })};
  REQUIRE(s.server.active_connections() == 0);
  test::raw_connection silent{s.port};
  test::raw_connection prompt{s.port};
  test::raw_connection trickling{s.port};
  prompt.send("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  trickling.send("GET /echo?n=2 HTTP/1.1\r\n");  // a first byte in time, the rest later
  auto r = prompt.read_response();
  REQUIRE(r);
  CHECK(r->result() == status::ok);
  CHECK(silent.closed_by_peer(5s));
  CHECK(silent.pending().empty());  // closed silently, no 408
  // Past the first-byte timeout, the connections that spoke are kept: the header timeout and
  // the idle timeout govern them now.
  trickling.send("Host: x\r\n\r\n");
  auto t = trickling.read_response();
  REQUIRE(t);
  CHECK(t->body() == "/echo?n=2");
  prompt.send("GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto again = prompt.read_response();
  REQUIRE(again);
  CHECK(again->body() == "/echo?n=3");
}

namespace {
// /thread answers the id of the thread that ran the handler; /block waits until /release.
struct scheduling_routes {
  std::mutex m;
  std::condition_variable cv;
  bool released = false;
  bool blocking = false;  // a /block handler has started
  router routes() {
    router r;
    r.get("/thread", [](const request& req) {
      std::ostringstream id;
      id << std::this_thread::get_id();
      return make_response(req, status::ok, id.str());
    });
    r.get("/block", [this](const request& req) {
      std::unique_lock lk(m);
      blocking = true;
      cv.notify_all();
      cv.wait_for(lk, 10s, [&] { return released; });
      return make_response(req, status::ok, released ? "released" : "timed out");
    });
    r.get("/release", [this](const request& req) {
      {
        std::lock_guard lk(m);
        released = true;
      }
      cv.notify_all();
      return make_response(req, status::ok, "ok");
    });
    return r;
  }
  bool wait_blocking() {
    std::unique_lock lk(m);
    return cv.wait_for(lk, 5s, [&] { return blocking; });
  }
};

std::string thread_of(test::raw_connection& c) {
  c.send("GET /thread HTTP/1.1\r\nHost: x\r\n\r\n");
  auto res = c.read_response();
  REQUIRE(res);
  return res->body();
}
}  // namespace

TEST_CASE("per-thread scheduling: connections are dealt to the threads in turn and stay on theirs") {
  scheduling_routes sr;
  server_t s{sr.routes(), opts([](auto& o) {
               o.threads = 3;
               o.scheduling = thread_scheduling::per_thread;
             })};
  std::vector<std::unique_ptr<test::raw_connection>> cs;
  for (int i = 0; i < 6; ++i) cs.push_back(std::make_unique<test::raw_connection>(s.port));
  std::vector<std::string> first;
  for (auto& c : cs) first.push_back(thread_of(*c));
  // Six connections, three threads, dealt in accept order: 0 1 2 0 1 2.
  CHECK(std::set<std::string>(first.begin(), first.end()).size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(first[i] == first[i + 3]);
  for (int round = 0; round < 5; ++round)
    for (std::size_t i = 0; i < cs.size(); ++i) CHECK(thread_of(*cs[i]) == first[i]);
}

TEST_CASE("per-thread scheduling: a blocked handler holds up its thread's connections, not the others, nor accept or stop") {
  scheduling_routes sr;
  server_t s{sr.routes(), opts([](auto& o) {
               o.threads = 2;
               o.scheduling = thread_scheduling::per_thread;
             })};
  test::raw_connection a{s.port}, b{s.port}, c{s.port};  // threads: a and c share one, b has the other
  const auto ta = thread_of(a), tb = thread_of(b), tc = thread_of(c);
  REQUIRE(ta == tc);
  REQUIRE(ta != tb);
  a.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(sr.wait_blocking());
  c.send("GET /thread HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_FALSE(c.read_response(300ms));  // a's handler holds c's thread
  CHECK(thread_of(b) == tb);            // the other thread serves on
  test::raw_connection d{s.port};       // accepting goes on (d lands on b's thread)
  CHECK(thread_of(d) == tb);
  d.send("GET /release HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(d.read_response());
  auto ra = a.read_response();
  REQUIRE(ra);
  CHECK(ra->body() == "released");
  auto rc = c.read_response();
  REQUIRE(rc);
  CHECK(rc->body() == tc);
}

TEST_CASE("per-thread scheduling: stop closes listeners at once while a handler blocks, then drains") {
  scheduling_routes sr;
  server_t s{sr.routes(), opts([](auto& o) {
               o.threads = 1;
               o.scheduling = thread_scheduling::per_thread;
             })};
  test::raw_connection a{s.port};
  a.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(sr.wait_blocking());
  std::thread stopper([&] { s.server.stop(); });
  // The only connection thread is blocked; the listener is not on it.
  CHECK(test::eventually([&] { return !s.server.accepting(); }, 2000ms));
  {
    std::lock_guard lk(sr.m);
    sr.released = true;
  }
  sr.cv.notify_all();
  auto ra = a.read_response();
  REQUIRE(ra);
  CHECK(ra->body() == "released");
  CHECK_FALSE(ra->keep_alive());
  stopper.join();
  CHECK(s.server.active_connections() == 0);
}

TEST_CASE("shared scheduling: a blocked handler holds one thread and the others serve every other connection") {
  scheduling_routes sr;
  server_t s{sr.routes(), opts([](auto& o) {
               o.threads = 2;
               o.scheduling = thread_scheduling::shared;
             })};
  test::raw_connection a{s.port}, b{s.port}, c{s.port};
  a.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(sr.wait_blocking());
  for (int i = 0; i < 5; ++i) {
    thread_of(b);
    thread_of(c);
  }
  c.send("GET /release HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(c.read_response());
  auto ra = a.read_response();
  REQUIRE(ra);
  CHECK(ra->body() == "released");
}
