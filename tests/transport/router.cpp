#include <tessera/transport/router.hpp>

#include <tessera/transport/access_log.hpp>
#include <tessera/transport/in_memory.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace tessera::transport;
using boost::beast::http::status;
using boost::beast::http::verb;
namespace bhttp = boost::beast::http;

namespace {
request make(verb v, std::string target, std::string body = {}) {
  request r{v, target, 11};
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}
response echo_path(const request& req) { return make_response(req, status::ok, std::string(req.target())); }
}  // namespace

TEST_CASE("router matches the exact path and ignores the query string") {
  router r;
  r.get("/token", echo_path);
  CHECK(r.route(make(verb::get, "/token")).result() == status::ok);
  auto res = r.route(make(verb::get, "/token?code=abc&state=x"));
  CHECK(res.result() == status::ok);
  CHECK(res.body() == "/token?code=abc&state=x");  // handler still sees the whole target
  CHECK(r.route(make(verb::get, "/token#frag")).result() == status::ok);
  CHECK(r.route(make(verb::get, "/token/")).result() == status::not_found);
  CHECK(r.route(make(verb::get, "/TOKEN")).result() == status::not_found);
  CHECK(r.route(make(verb::get, "/tok")).result() == status::not_found);
}

TEST_CASE("router answers 405 with an Allow header listing the registered methods") {
  router r;
  r.add({verb::post, verb::put}, "/things", echo_path);
  r.get("/things", echo_path);
  auto res = r.route(make(verb::delete_, "/things"));
  CHECK(res.result() == status::method_not_allowed);
  CHECK(res[bhttp::field::allow] == "GET, HEAD, POST, PUT");
  CHECK(r.allowed_methods("/things") == "GET, HEAD, POST, PUT");
  CHECK(r.allowed_methods("/nothing").empty());
}

TEST_CASE("router answers an unknown path with a JSON not_found error that is not cached") {
  router r;
  r.get("/token", echo_path);
  auto res = r.route(make(verb::get, "/nothing?code=SECRET"));
  CHECK(res.result() == status::not_found);
  CHECK(res[bhttp::field::content_type] == "application/json");
  CHECK(res[bhttp::field::cache_control] == "no-store");
  CHECK(res.body() == R"({"error":"not_found","error_description":"no endpoint at this path"})");
  CHECK(res[bhttp::field::content_length] == std::to_string(res.body().size()));
  // HEAD gets the length and no body.
  auto head = r.route(make(verb::head, "/nothing"));
  CHECK(head.result() == status::not_found);
  CHECK(head.body().empty());
  CHECK(head[bhttp::field::content_length] == std::to_string(res.body().size()));
}

TEST_CASE("router answers a wrong method with a JSON method_not_allowed error and the Allow header") {
  router r;
  r.post("/token", echo_path);
  auto res = r.route(make(verb::get, "/token"));
  CHECK(res.result() == status::method_not_allowed);
  CHECK(res[bhttp::field::allow] == "POST");
  CHECK(res[bhttp::field::content_type] == "application/json");
  CHECK(res[bhttp::field::cache_control] == "no-store");
  CHECK(res.body() == R"({"error":"method_not_allowed","error_description":"method not allowed at this path"})");
}

TEST_CASE("make_error_response gives each transport status its fixed JSON error words") {
  const request req = make(verb::post, "/x?secret=1", "body");
  struct expected {
    status code;
    const char* body;
  };
  for (auto [code, body] : {
           expected{status::bad_request, R"({"error":"invalid_request","error_description":"malformed HTTP request"})"},
           expected{status::request_timeout,
                    R"({"error":"invalid_request","error_description":"request not received in time"})"},
           expected{status::payload_too_large,
                    R"({"error":"invalid_request","error_description":"request body too large"})"},
           expected{status::request_header_fields_too_large,
                    R"({"error":"invalid_request","error_description":"request header too large"})"},
           expected{status::internal_server_error, R"({"error":"server_error","error_description":"internal error"})"},
           expected{status::service_unavailable, R"({"error":"server_error","error_description":"internal error"})"},
       }) {
    INFO(static_cast<int>(code));
    auto res = make_error_response(req, code);
    CHECK(res.result() == code);
    CHECK(res.body() == body);
    CHECK(res[bhttp::field::content_type] == "application/json");
    CHECK(res[bhttp::field::cache_control] == "no-store");
    CHECK(res[bhttp::field::content_length] == std::to_string(res.body().size()));
  }
}

TEST_CASE("router answers HEAD with the GET handler's length and no body") {
  router r;
  r.get("/doc", [](const request& req) { return make_response(req, status::ok, "twelve bytes"); });
  auto res = r.route(make(verb::head, "/doc"));
  CHECK(res.result() == status::ok);
  CHECK(res.body().empty());
  CHECK(res[bhttp::field::content_length] == "12");
}

TEST_CASE("router accepts handlers with and without the request context") {
  router r;
  r.get("/plain", [](const request& req) { return make_response(req, status::ok, "plain"); });
  r.get("/ctx", [](const request& req, const request_context& ctx) {
    return make_response(req, status::ok, ctx.peer_address + " " + (ctx.tls ? "tls" : "clear"));
  });
  request_context ctx{.peer_address = "10.0.0.7", .peer_port = 4242, .tls = true};
  CHECK(r.route(make(verb::get, "/plain"), ctx).body() == "plain");
  CHECK(r.route(make(verb::get, "/ctx"), ctx).body() == "10.0.0.7 tls");
}

TEST_CASE("router turns a throwing handler into a 500 that does not leak the exception text") {
  router r;
  r.get("/boom", [](const request&) -> response { throw std::runtime_error("secret-token-value"); });
  auto res = r.route(make(verb::get, "/boom"));
  CHECK(res.result() == status::internal_server_error);
  CHECK(res.body().find("secret") == std::string::npos);
  CHECK(res.body() == R"({"error":"server_error","error_description":"internal error"})");
  CHECK(res[bhttp::field::content_type] == "application/json");
  CHECK(res.has_content_length());
}

TEST_CASE("router recomputes Content-Length from the body a handler returned") {
  router r;
  r.get("/lie", [](const request& req) {
    auto res = make_response(req, status::ok, "abc");
    res.content_length(1000);
    return res;
  });
  CHECK(r.route(make(verb::get, "/lie"))[bhttp::field::content_length] == "3");
}

TEST_CASE("registering a path and method again replaces the handler") {
  router r;
  r.get("/x", [](const request& req) { return make_response(req, status::ok, "first"); });
  r.get("/x", [](const request& req) { return make_response(req, status::ok, "second"); });
  CHECK(r.route(make(verb::get, "/x")).body() == "second");
}

TEST_CASE("in_memory sends form posts to the router with the URL's target, host and scheme") {
  router r;
  r.post("/token", [](const request& req, const request_context& ctx) {
    std::string out = std::string(req.target()) + "|" + std::string(req[bhttp::field::host]) + "|" +
                      std::string(req[bhttp::field::content_type]) + "|" + req.body() + "|" +
                      (ctx.tls ? "tls" : "clear") + "|" + std::string(req["X-Extra"]);
    return make_response(req, status::ok, out);
  });
  in_memory wire{r};
  bhttp::fields extra;
  extra.set("X-Extra", "1");
  auto res = wire.post_form("https://as.example:8443/token?a=b", {{"grant_type", "client_credentials"}, {"scope", "a b&c"}},
                            extra);
  CHECK(res.body() ==
        "/token?a=b|as.example:8443|application/x-www-form-urlencoded|grant_type=client_credentials&scope=a+b%26c|tls|1");
  CHECK(wire.get("/token").result() == status::method_not_allowed);
  CHECK(wire.get("http://as.example/missing").result() == status::not_found);
}

TEST_CASE("in_memory rejects URLs that are not absolute http(s) or origin-form") {
  router r;
  in_memory wire{r};
  for (const char* bad : {"ftp://x/", "token", "https://user:pw@host/", "https:///path", ""}) {
    INFO(bad);
    std::error_code ec;
    wire.get(bad, ec);
    CHECK(ec == tessera::error::url_invalid);
    CHECK_THROWS_AS(wire.get(bad), tessera::system_error);
  }
}

TEST_CASE("in_memory enforces the body limit without calling the handler") {
  router r;
  bool called = false;
  r.post("/upload", [&](const request& req) {
    called = true;
    return make_response(req, status::ok);
  });
  server_limits limits;
  limits.body_limit = 10;
  in_memory wire{r, {}, limits};
  auto big = wire.post_form("/upload", {{"k", "0123456789"}});
  CHECK(big.result() == status::payload_too_large);
  CHECK(big[bhttp::field::content_type] == "application/json");
  CHECK(big.body() == R"({"error":"invalid_request","error_description":"request body too large"})");
  CHECK_FALSE(big.keep_alive());
  CHECK_FALSE(called);
  CHECK(wire.post_form("/upload", {{"k", "0"}}).result() == status::ok);
  CHECK(called);
}

TEST_CASE("access log line holds peer, method, path, status, bytes and time and never the query") {
  access_log_entry e{.peer_address = "127.0.0.1", .peer_port = 5555, .method = "POST",
                     .target = "/oauth2/token?code=SECRET#frag", .status = 200, .bytes = 612,
                     .duration = std::chrono::microseconds{183}, .tls = true};
  CHECK(format_access_log(e) == "127.0.0.1:5555 \"POST /oauth2/token\" 200 612 183us tls");
}

TEST_CASE("access log escapes control characters and quotes so a path cannot forge a line") {
  access_log_entry e{.peer_address = "::1", .peer_port = 1, .method = "GET",
                     .target = "/a\r\n127.0.0.1 \"GET /admin\" 200", .status = 404};
  auto line = format_access_log(e);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  CHECK(line == "::1:1 \"GET /a%0D%0A127.0.0.1%20%22GET%20/admin%22%20200\" 404 0 0us");
}

TEST_CASE("access log cuts very long paths") {
  std::string target(1000, 'a');
  access_log_entry e{.peer_address = "", .method = "GET", .target = target, .status = 200};
  auto line = format_access_log(e);
  CHECK(line.size() < 320);
  CHECK(line.find("...") != std::string::npos);
}
