// tessera — transport/in_memory.hpp: the in-memory transport. It hands requests straight to a
// `router`, the same table the Beast server serves, with no sockets, threads or Asio I/O, so
// an endpoint's tests run in microseconds and code written against `sync_client` can be
// tested against a server in the same process.
//
//     tessera::transport::router routes;
//     routes.post("/token", token_endpoint);
//     tessera::transport::in_memory wire{routes};
//     auto res = wire.post_form("https://as.example/token", {{"grant_type", "client_credentials"}});
//
// Contract:
//  * `url` is an absolute http(s) URL (its scheme sets `request_context::tls`, its host the
//    `Host` field) or an origin-form target starting with '/'; anything else fails with
//    `error::url_invalid`. The target sent to the router is the path and query.
//  * The request is given the shape the server would give it: HTTP/1.1, payload prepared,
//    and `server_limits::body_limit` enforced (413 without calling a handler, the server's
//    JSON error body). No size limit
//    applies to responses, and redirects are returned as they are, without an error.
//  * The router is held by reference and must outlive the transport. Calls are as thread-safe
//    as the router's handlers.
#ifndef TESSERA_TRANSPORT_IN_MEMORY_HPP
#define TESSERA_TRANSPORT_IN_MEMORY_HPP

#include <tessera/error.hpp>
#include <tessera/transport/detail/form.hpp>
#include <tessera/transport/detail/url.hpp>
#include <tessera/transport/limits.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>
#include <tessera/transport/sync_client.hpp>

#include <string_view>
#include <system_error>

namespace tessera::transport {

class in_memory {
 public:
  /// `context` is what handlers see as the peer (its `tls` is overridden by the URL's scheme).
  explicit in_memory(const router& routes, request_context context = {.peer_address = "127.0.0.1"},
                     server_limits limits = {})
      : routes_(routes), context_(std::move(context)), limits_(limits) {}

  response send(request req, std::string_view url, std::error_code& ec) {
    ec.clear();
    request_context ctx = context_;
    if (!url.empty() && url.front() == '/') {
      req.target(url);
      if (req.find(http::field::host) == req.end()) req.set(http::field::host, "localhost");
    } else {
      auto u = detail::parse_http_url(url, ec);
      if (ec) return {};
      req.target(u.target);
      req.set(http::field::host, u.host_header);
      ctx.tls = u.https;
    }
    req.version(11);
    req.prepare_payload();
    if (req.body().size() > limits_.body_limit) {
      auto res = make_error_response(req, http::status::payload_too_large);  // docs/security.md row 40
      res.keep_alive(false);
      return res;
    }
    return routes_.route(req, ctx);
  }
  response send(request req, std::string_view url) {
    return checked([&](std::error_code& ec) { return send(std::move(req), url, ec); });
  }

  response get(std::string_view url, std::error_code& ec) { return send(request{http::verb::get, "/", 11}, url, ec); }
  response get(std::string_view url) {
    return checked([&](std::error_code& ec) { return get(url, ec); });
  }

  response post_form(std::string_view url, const form_fields& fields, const http::fields& headers,
                     std::error_code& ec) {
    request req{http::verb::post, "/", 11};
    for (const auto& f : headers) req.insert(f.name_string(), f.value());
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = detail::form_encode(fields);
    return send(std::move(req), url, ec);
  }
  response post_form(std::string_view url, const form_fields& fields, std::error_code& ec) {
    return post_form(url, fields, http::fields{}, ec);
  }
  response post_form(std::string_view url, const form_fields& fields, const http::fields& headers = {}) {
    return checked([&](std::error_code& ec) { return post_form(url, fields, headers, ec); });
  }

 private:
  template <class F>
  static response checked(F&& f) {
    std::error_code ec;
    response r = f(ec);
    tessera::detail::throw_if(ec);
    return r;
  }

  const router& routes_;
  request_context context_;
  server_limits limits_;
};
static_assert(sync_client<in_memory>);

}  // namespace tessera::transport

#endif
