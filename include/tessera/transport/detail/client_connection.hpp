// tessera — transport/detail/client_connection.hpp: one client connection (TCP, maybe TLS) with
// its own single-threaded io_context, driven synchronously: each step starts an asynchronous
// operation and runs the context until it completes, so every step can time out.
#ifndef TESSERA_TRANSPORT_DETAIL_CLIENT_CONNECTION_HPP
#define TESSERA_TRANSPORT_DETAIL_CLIENT_CONNECTION_HPP

#include <tessera/error.hpp>
#include <tessera/transport/detail/url.hpp>
#include <tessera/transport/message.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/x509_vfy.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace tessera::transport::detail {

class client_connection {
  using error_code = boost::system::error_code;
  using tcp = boost::asio::ip::tcp;

 public:
  explicit client_connection(std::string origin) : origin_(std::move(origin)) {}

  const std::string& origin() const noexcept { return origin_; }
  std::chrono::steady_clock::time_point idle_since{};

  /// Resolves, connects and (for https) runs the TLS handshake with certificate and host-name
  /// checks unless `verify` is false. Errors are tessera causes: connection_failed, timeout,
  /// certificate_invalid, host_name_mismatch, tls_failure.
  std::error_code connect(const http_url& u, std::chrono::milliseconds timeout, boost::asio::ssl::context* tls_ctx,
                          bool verify) {
    // Resolve, bounded by a timer (the resolver has no timeout of its own).
    tcp::resolver resolver(ioc_);
    boost::asio::steady_timer timer(ioc_);
    bool resolve_timed_out = false;
    error_code ec;
    tcp::resolver::results_type endpoints;
    timer.expires_after(timeout);
    timer.async_wait([&](error_code e) {
      if (!e) {
        resolve_timed_out = true;
        resolver.cancel();
      }
    });
    auto flags = u.host_is_ip ? tcp::resolver::numeric_host | tcp::resolver::numeric_service
                              : tcp::resolver::numeric_service;
    resolver.async_resolve(u.host, std::to_string(u.port), flags, [&](error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
      timer.cancel();
    });
    run();
    if (resolve_timed_out) return tessera::error::timeout;
    if (ec) return tessera::error::connection_failed;

    if (tls_ctx) tls_.emplace(ioc_, *tls_ctx);
    else plain_.emplace(ioc_);
    auto& t = tcp_layer();
    t.expires_after(timeout);
    t.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec == boost::beast::error::timeout) return tessera::error::timeout;
    if (ec) return tessera::error::connection_failed;
    error_code ignored;
    t.socket().set_option(tcp::no_delay(true), ignored);

    if (!tls_) return {};
    SSL* ssl = tls_->native_handle();
    // SNI for names only: RFC 6066 §3 forbids IP literals in server_name.
    if (!u.host_is_ip) SSL_set_tlsext_host_name(ssl, u.host.c_str());
    if (verify) {
      tls_->set_verify_mode(boost::asio::ssl::verify_peer);
      tls_->set_verify_callback(
          [this, check = boost::asio::ssl::host_name_verification(u.host)](bool preverified,
                                                                           boost::asio::ssl::verify_context& vc) {
            if (!preverified) {
              verify_error_ = X509_STORE_CTX_get_error(vc.native_handle());
              return false;
            }
            if (!check(preverified, vc)) {
              host_mismatch_ = true;
              return false;
            }
            return true;
          });
    } else {
      tls_->set_verify_mode(boost::asio::ssl::verify_none);
    }
    t.expires_after(timeout);
    tls_->async_handshake(boost::asio::ssl::stream_base::client, [&](error_code e) { ec = e; });
    run();
    ERR_clear_error();
    t.expires_never();
    if (!ec) return {};
    if (host_mismatch_) return tessera::error::host_name_mismatch;
    if (verify_error_ != X509_V_OK) return tessera::error::certificate_invalid;
    if (ec == boost::beast::error::timeout) return tessera::error::timeout;
    return tessera::error::tls_failure;
  }

  /// Writes `req` and reads one response into `res`, its body at most `max_bytes`. On success
  /// `reusable()` tells whether the connection may carry another request.
  std::error_code exchange(const request& req, response& res, std::chrono::milliseconds timeout,
                           std::size_t max_bytes) {
    error_code ec;
    auto& t = tcp_layer();
    t.expires_after(timeout);
    with_stream([&](auto& s) { http::async_write(s, req, [&](error_code e, std::size_t) { ec = e; }); });
    run();
    if (ec) {
      reusable_ = false;
      return map(ec);
    }
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_bytes, 64 * 1024)));
    parser.body_limit(max_bytes);
    if (req.method() == http::verb::head) parser.skip(true);
    t.expires_after(timeout);
    with_stream([&](auto& s) { http::async_read(s, buffer_, parser, [&](error_code e, std::size_t) { ec = e; }); });
    run();
    t.expires_never();
    if (ec) {
      reusable_ = false;
      return map(ec);
    }
    res = parser.release();
    reusable_ = res.keep_alive() && buffer_.size() == 0;
    return {};
  }

  bool reusable() const noexcept { return reusable_; }

  /// A pooled connection is reused only if the peer has neither closed it nor sent anything
  /// unasked (a close_notify, an error page): a non-blocking peek must find nothing to read.
  bool still_open() {
    if (!reusable_) return false;
    auto& s = tcp_layer().socket();
    if (!s.is_open()) return false;
    error_code ec;
    s.non_blocking(true, ec);
    if (ec) return false;
    char c;
    s.receive(boost::asio::buffer(&c, 1), tcp::socket::message_peek, ec);
    error_code ignored;
    s.non_blocking(false, ignored);
    return ec == boost::asio::error::would_block;
  }

  void close() noexcept {
    error_code ignored;
    if (plain_ || tls_) {
      tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp_layer().close();
    }
    reusable_ = false;
  }

  ~client_connection() { close(); }

 private:
  boost::beast::tcp_stream& tcp_layer() { return tls_ ? tls_->next_layer() : *plain_; }

  template <class F>
  void with_stream(F&& f) {
    if (tls_) f(*tls_);
    else f(*plain_);
  }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

  static std::error_code map(error_code ec) {
    if (ec == boost::beast::error::timeout) return tessera::error::timeout;
    if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return tessera::error::response_too_large;
    return ec;
  }

  std::string origin_;
  boost::asio::io_context ioc_{1};
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  boost::beast::flat_buffer buffer_;
  int verify_error_ = X509_V_OK;
  bool host_mismatch_ = false;
  bool reusable_ = false;
};

}  // namespace tessera::transport::detail

#endif
