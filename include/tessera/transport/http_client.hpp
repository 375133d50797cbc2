// tessera — transport/http_client.hpp: a synchronous HTTP/1.1 client for the few calls an
// OAuth deployment makes outward: IdP discovery, JWKS, token requests, the CLI.
//
//     tessera::transport::http_client client;                      // system trust store
//     auto res = client.get("https://idp.example.com/.well-known/openid-configuration");
//     if (res.result() != boost::beast::http::status::ok) ...
//
// Contract:
//  * https verifies the peer's certificate chain against the system CA bundle (OpenSSL's default
//    paths and `/etc/ssl/certs/ca-certificates.crt`) or against `client_options::ca_file` /
//    `ca_pem` only, and the host name against the certificate (RFC 6125, through
//    `boost::asio::ssl::host_name_verification`). SNI is sent for host names. TLS 1.2+ only.
//    `insecure_skip_verify` turns both checks off; it must be set by name and is for tests.
//  * Redirects are returned, with `error::redirect_not_followed`, unless `follow_redirects`
//    is on: then at most `max_redirects` hops (`error::redirect_limit_exceeded`), never from
//    https to http (`error::redirect_insecure`); `Authorization`, `Cookie` and
//    `Proxy-Authorization` are dropped when the origin changes; 303 (and 301/302 after POST)
//    become a GET without body, as user agents do (RFC 9110 §15.4).
//  * A response whose header or body exceeds `max_response_bytes` fails with
//    `error::response_too_large`; no step waits longer than its timeout (`error::timeout`).
//  * Failures to resolve or connect are `error::connection_failed`; TLS failures are
//    `certificate_invalid`, `host_name_mismatch` or `tls_failure`; a bad URL `url_invalid`.
//    Other I/O failures are passed through as Asio/Beast codes. A non-2xx status is *not* an
//    error: the caller reads `result()`.
//  * Connections are kept alive and reused per origin (scheme, host, port). A pooled
//    connection that the peer has closed is noticed before reuse; an idempotent request that
//    fails on a reused connection is retried once on a fresh one (a POST never is).
//  * Every call has an `std::error_code&` overload and a throwing one (`tessera::system_error`).
//  * An `http_client` may be used from several threads at once; each call uses its own
//    connection.
#ifndef TESSERA_TRANSPORT_HTTP_CLIENT_HPP
#define TESSERA_TRANSPORT_HTTP_CLIENT_HPP

#include <tessera/config.hpp>
#include <tessera/error.hpp>
#ifndef TESSERA_SEPARATE_COMPILATION
#include <tessera/transport/detail/client_connection.hpp>
#endif
#include <tessera/transport/detail/form.hpp>
#include <tessera/transport/detail/tls_context.hpp>
#include <tessera/transport/detail/url.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/sync_client.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::transport {

namespace detail {
class client_connection;  // detail/client_connection.hpp
}  // namespace detail

struct client_options {
  /// PEM file of trusted CAs; when set (or `ca_pem` is), the system store is not used.
  std::string ca_file{};
  /// PEM text of trusted CAs, as an alternative to `ca_file`.
  std::string ca_pem{};
  /// Skip certificate and host-name verification. Never in production.
  bool insecure_skip_verify = false;
  /// Bounds resolve + connect + TLS handshake, each.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds{10}};
  /// Bounds writing the request, and reading the response.
  std::chrono::milliseconds read_timeout{std::chrono::seconds{30}};
  /// Largest response header or body accepted.
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  bool follow_redirects = false;
  unsigned max_redirects = 5;
  std::string user_agent = "tessera/" TESSERA_VERSION_STRING;
  /// Idle connections kept per origin; 0 disables reuse.
  std::size_t max_idle_per_origin = 4;
  /// A pooled connection idle longer than this is closed instead of reused.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds{30}};
};

class http_client {
 public:
  /// Throws `tessera::system_error` when the CA material cannot be loaded.
  explicit http_client(client_options options = {}) : http_client(std::move(options), throw_tag{}) {}
  /// As above; on failure `ec` is set and every request fails with it.
  http_client(client_options options, std::error_code& ec);

  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends `req` (method, header fields, body) to `url`: the target and `Host` come from the
  /// URL; `User-Agent` is added if absent; the payload size is prepared.
  response send(request req, std::string_view url, std::error_code& ec);
  response send(request req, std::string_view url) { return checked([&](auto& ec) { return send(std::move(req), url, ec); }); }

  response get(std::string_view url, std::error_code& ec) { return send(make_request(http::verb::get), url, ec); }
  response get(std::string_view url) { return checked([&](auto& ec) { return get(url, ec); }); }

  /// POSTs `fields` as application/x-www-form-urlencoded, with any extra header fields.
  response post_form(std::string_view url, const form_fields& fields, const http::fields& headers,
                     std::error_code& ec);
  response post_form(std::string_view url, const form_fields& fields, std::error_code& ec) {
    return post_form(url, fields, http::fields{}, ec);
  }
  response post_form(std::string_view url, const form_fields& fields, const http::fields& headers = {}) {
    return checked([&](auto& ec) { return post_form(url, fields, headers, ec); });
  }

  const client_options& options() const noexcept { return options_; }
  /// TCP connections opened so far (tests use it to see reuse).
  std::size_t connections_opened() const noexcept { return opened_.load(); }
  /// Idle pooled connections now.
  std::size_t idle_connections() const {
    std::lock_guard lk(pool_mutex_);
    return pool_.size();
  }
  /// Closes every idle connection.
  void close_idle();

 private:
  struct throw_tag {};
  http_client(client_options options, throw_tag);
  void init(std::error_code& ec);

  static request make_request(http::verb v) {
    request r{v, "/", 11};
    return r;
  }

  template <class F>
  static response checked(F&& f) {
    std::error_code ec;
    response r = f(ec);
    tessera::detail::throw_if(ec);
    return r;
  }

  response send_once(request& req, const detail::http_url& u, std::error_code& ec);
  std::unique_ptr<detail::client_connection> take(const std::string& origin);
  void give_back(std::unique_ptr<detail::client_connection> c);

  client_options options_;
  boost::asio::ssl::context tls_{boost::asio::ssl::context::tls_client};
  std::error_code init_error_;
  std::atomic<std::size_t> opened_{0};
  mutable std::mutex pool_mutex_;
  std::vector<std::unique_ptr<detail::client_connection>> pool_;
};
static_assert(sync_client<http_client>);

}  // namespace tessera::transport

// With TESSERA_SEPARATE_COMPILATION the definitions are compiled once, by tessera/src.hpp.
#ifndef TESSERA_SEPARATE_COMPILATION
#include <tessera/transport/impl/http_client.hpp>
#endif

#endif
