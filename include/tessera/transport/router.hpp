// tessera — transport/router.hpp: the table of path → (method set → handler) that every
// transport (the Beast server, the in-memory transport, the fuzzer) calls.
//
// Contract:
//  * Matching is on the exact path of the request target, without query or fragment
//    (`/token` matches `/token?x=1`, not `/token/` or `/TOKEN`); no patterns, no prefixes.
//  * A path that is known but not for the request's method answers 405 with an `Allow` header
//    listing the registered methods; an unknown path answers 404. Both bodies are JSON errors
//    (`make_error_response`, message.hpp; docs/security.md row 40). A HEAD request to a path
//    with a GET handler but no HEAD handler runs the GET handler and drops the body
//    (RFC 9110 §9.3.2), keeping `Content-Length`.
//  * A handler is either `response(const request&)` or
//    `response(const request&, const request_context&)`; both are stored the same way.
//  * A handler that throws produces a 500 with a fixed JSON body (`server_error`); the exception
//    text never reaches the wire (it may hold secrets). Handlers should report errors as responses, not throws.
//  * Register everything before serving: `add` is not thread-safe, `route` is (it is const
//    and handlers are called concurrently from several I/O threads — they must be thread-safe).
//  * Each registered path gets an index (0, 1, ... in the order paths were first added; a copy
//    of the router keeps them), which `route` and `match` report: what a metric is labelled by
//    (ops/http_metrics.hpp), from a set the program registered, never the raw request path.
//  * Every response leaves `route` with its payload prepared (Content-Length set from the body)
//    unless the handler chose chunked encoding. A HEAD handler returns the body it would for
//    GET; the router computes the length and then drops the body.
#ifndef TESSERA_TRANSPORT_ROUTER_HPP
#define TESSERA_TRANSPORT_ROUTER_HPP

#include <tessera/transport/message.hpp>

#include <algorithm>
#include <concepts>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera::transport {

/// A callable that answers a request from the request alone.
template <class F>
concept plain_handler = std::invocable<const F&, const request&> &&
                        std::convertible_to<std::invoke_result_t<const F&, const request&>, response>;

/// A callable that also wants the transport's facts about the request.
template <class F>
concept contextual_handler =
    std::invocable<const F&, const request&, const request_context&> &&
    std::convertible_to<std::invoke_result_t<const F&, const request&, const request_context&>, response>;

/// Either handler shape.
template <class F>
concept handler = plain_handler<F> || contextual_handler<F>;

/// The type-erased form every handler is stored as.
using handler_function = std::function<response(const request&, const request_context&)>;

/// Which registered path a request matched (`route`, `match`).
struct route_match {
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::size_t index = none;  // the path's index (see `router::paths`); `none`: no path matched
  std::string_view path{};   // the registered path, valid while the router lives; empty for none
};

class router {
 public:
  /// Registers `h` for `path` and each of `methods`. Registering a (path, method) pair twice
  /// replaces the earlier handler. `path` must start with '/' and hold no '?' or '#'.
  template <handler H>
  router& add(std::initializer_list<http::verb> methods, std::string path, H h) {
    TESSERA_ASSERT(!path.empty() && path.front() == '/' && path.find_first_of("?#") == std::string::npos);
    handler_function f = wrap(std::move(h));
    auto [it, inserted] = routes_.try_emplace(std::move(path));
    if (inserted) it->second.index = routes_.size() - 1;
    auto& entry = it->second.methods;
    for (auto m : methods) {
      auto it = std::find_if(entry.begin(), entry.end(), [m](const auto& e) { return e.first == m; });
      if (it != entry.end()) it->second = f;
      else entry.emplace_back(m, f);
    }
    return *this;
  }

  template <handler H>
  router& get(std::string path, H h) { return add({http::verb::get}, std::move(path), std::move(h)); }
  template <handler H>
  router& post(std::string path, H h) { return add({http::verb::post}, std::move(path), std::move(h)); }

  /// Answers `req`. Never throws for handler failures (see the header comment); may throw
  /// `std::bad_alloc`. `matched`, when given, is told which registered path answered.
  response route(const request& req, const request_context& ctx = {}, route_match* matched = nullptr) const {
    auto path = target_path(req.target());
    auto it = routes_.find(path);
    const bool head = req.method() == http::verb::head;
    if (it == routes_.end()) return finish_error(make_error_response(req, http::status::not_found), head);
    if (matched) *matched = {it->second.index, it->first};

    const auto& entry = it->second.methods;
    const handler_function* f = find(entry, req.method());
    if (!f && head) f = find(entry, http::verb::get);
    if (!f) {
      auto res = make_error_response(req, http::status::method_not_allowed);
      res.set(http::field::allow, allow_header(entry));
      return finish_error(std::move(res), head);
    }

    response res;
    try {
      res = (*f)(req, ctx);
    } catch (...) {
      res = make_error_response(req, http::status::internal_server_error);
    }
    res = finish(std::move(res));
    if (head) res.body().clear();  // Content-Length already describes the GET body
    return res;
  }

  /// True when no route is registered.
  bool empty() const noexcept { return routes_.empty(); }

  /// The registered path a request target's path is, without calling anything.
  route_match match(std::string_view target) const {
    auto it = routes_.find(target_path(target));
    if (it == routes_.end()) return {};
    return {it->second.index, it->first};
  }

  /// Every registered path, by index.
  std::vector<std::string_view> paths() const {
    std::vector<std::string_view> out(routes_.size());
    for (const auto& [path, e] : routes_) out[e.index] = path;
    return out;
  }

  /// The methods registered for `path`, as an `Allow` header value ("GET, POST"); empty when
  /// the path is unknown.
  std::string allowed_methods(std::string_view path) const {
    auto it = routes_.find(path);
    return it == routes_.end() ? std::string{} : allow_header(it->second.methods);
  }

 private:
  using method_table = std::vector<std::pair<http::verb, handler_function>>;

  template <class H>
  static handler_function wrap(H h) {
    if constexpr (contextual_handler<H>)
      return [h = std::move(h)](const request& r, const request_context& c) -> response { return h(r, c); };
    else
      return [h = std::move(h)](const request& r, const request_context&) -> response { return h(r); };
  }

  static const handler_function* find(const method_table& t, http::verb m) noexcept {
    for (const auto& [verb, f] : t)
      if (verb == m) return &f;
    return nullptr;
  }

  static std::string allow_header(const method_table& t) {
    std::vector<std::string_view> names;
    bool has_get = false, has_head = false;
    for (const auto& e : t) {
      names.push_back(http::to_string(e.first));
      has_get |= e.first == http::verb::get;
      has_head |= e.first == http::verb::head;
    }
    if (has_get && !has_head) names.push_back("HEAD");
    std::sort(names.begin(), names.end());
    std::string out;
    for (auto n : names) {
      if (!out.empty()) out += ", ";
      out += n;
    }
    return out;
  }

  // Content-Length always describes the body the handler returned, so a handler cannot
  // desynchronise the connection with a wrong length.
  static response finish(response res) {
    if (!res.chunked()) res.prepare_payload();
    return res;
  }
  // The router's own 404/405 (make_error_response, message.hpp); a HEAD gets their length only.
  static response finish_error(response res, bool head) {
    res = finish(std::move(res));
    if (head) res.body().clear();
    return res;
  }

  struct path_entry {
    method_table methods;
    std::size_t index = 0;
  };
  std::map<std::string, path_entry, std::less<>> routes_;
};

}  // namespace tessera::transport

#endif
