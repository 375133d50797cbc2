// Fuzz target: bytes as they would arrive on a server connection → Beast's request parser with
// the server's default limits → the router (exact match, 404/405, HEAD) → a serialized response.
// Pipelined input is parsed request after request, as the server does. Nothing here may crash,
// read out of bounds, or grow past the limits. Each request's access-log lines (text and JSON)
// are made as the server makes them: one line each, the JSON one valid JSON whose path holds no
// query or fragment, and the request id (from X-Request-Id or made) always safe.
#include <tessera/transport/access_log.hpp>
#include <tessera/transport/limits.hpp>
#include <tessera/transport/request_id.hpp>
#include <tessera/transport/router.hpp>

#include <boost/json/parse.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string_view>

namespace {
using namespace tessera::transport;

const router& routes() {
  static const router r = [] {
    router r;
    r.get("/echo", [](const request& req) { return make_response(req, http::status::ok, std::string(req.target())); });
    r.add({http::verb::post, http::verb::put}, "/upload",
          [](const request& req, const request_context& ctx) {
            return make_response(req, http::status::ok, std::to_string(req.body().size()) + ctx.peer_address);
          });
    return r;
  }();
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const server_limits limits;
  for (int requests = 0; requests < 16 && !input.empty(); ++requests) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
    parser.body_limit(limits.body_limit);
    parser.eager(true);
    boost::system::error_code ec;
    std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    if (ec == http::error::need_more) {
      // The rest of a body that would arrive later: the server would wait, then time out.
      if (parser.is_header_done() && !parser.chunked() && !parser.content_length()) {
        parser.put_eof(ec);
        if (ec) return 0;
      } else {
        return 0;
      }
    } else if (ec) {
      return 0;  // the server answers 400/413/431 and closes
    }
    if (used > input.size()) __builtin_trap();
    input.remove_prefix(used);
    if (!parser.is_done()) return 0;
    request req = parser.release();
    request_context ctx{.peer_address = "fuzz", .peer_port = 1, .tls = false};
    response res = routes().route(req, ctx);
    if (!res.chunked() && res.has_content_length() && req.method() != http::verb::head &&
        res[http::field::content_length] != std::to_string(res.body().size()))
      __builtin_trap();  // the router promised a Content-Length that matches the body
    std::ostringstream os;
    os << res;
    if (os.str().empty()) __builtin_trap();

    static request_id_generator ids(tessera::crypto::siphash_key{1, 2});
    std::string id;
    assign_request_id(id, req[request_id_header], ids);
    if (!is_safe_request_id(id)) __builtin_trap();
    const auto match = routes().match(req.target());
    access_log_entry e{.peer_address = ctx.peer_address, .peer_port = ctx.peer_port, .method = req.method_string(),
                       .target = req.target(), .status = res.result_int(), .bytes = res.body().size(),
                       .request_id = id, .route = match.path, .route_index = match.index};
    const std::string text = format_access_log(e, access_log_format::text);
    const std::string json = format_access_log(e, access_log_format::json);
    for (const auto* line : {&text, &json})
      if (line->find_first_of("\r\n") != std::string::npos) __builtin_trap();
    boost::system::error_code jec;
    auto v = boost::json::parse(json, jec);
    if (jec || !v.is_object()) __builtin_trap();
    const auto* path = v.as_object().if_contains("path");
    if (!path || !path->is_string() || path->as_string().find_first_of("?#") != boost::json::string::npos) __builtin_trap();
    if (used == 0) break;
  }
  return 0;
}
