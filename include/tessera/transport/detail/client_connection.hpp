// tessera — transport/detail/client_connection.hpp: one HTTP client connection (TCP, maybe TLS):
// HTTP/1.1 exchanges, with their size limits and reuse rules, over a sync_stream
// (detail/sync_stream.hpp), which connects and bounds every step by a deadline.
#ifndef TESSERA_TRANSPORT_DETAIL_CLIENT_CONNECTION_HPP
#define TESSERA_TRANSPORT_DETAIL_CLIENT_CONNECTION_HPP

#include <tessera/error.hpp>
#include <tessera/transport/detail/sync_stream.hpp>
#include <tessera/transport/detail/url.hpp>
#include <tessera/transport/message.hpp>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

namespace tessera::transport::detail {

class client_connection {
  using error_code = boost::system::error_code;

 public:
  explicit client_connection(std::string origin) : origin_(std::move(origin)) {}

  const std::string& origin() const noexcept { return origin_; }
  std::chrono::steady_clock::time_point idle_since{};

  /// Resolves, connects and (for https) runs the TLS handshake with certificate and host-name
  /// checks unless `verify` is false, each step bounded by `timeout`. Errors are tessera
  /// causes: connection_failed, timeout, certificate_invalid, host_name_mismatch, tls_failure.
  std::error_code connect(const http_url& u, std::chrono::milliseconds timeout, boost::asio::ssl::context* tls_ctx,
                          bool verify) {
    return stream_.connect(u.host, u.port, timeout, {.tls = tls_ctx, .verify = verify});
  }

  /// Writes `req` and reads one response into `res`, its body at most `max_bytes`. On success
  /// `reusable()` tells whether the connection may carry another request.
  std::error_code exchange(const request& req, response& res, std::chrono::milliseconds timeout,
                           std::size_t max_bytes) {
    stream_.expires_after(timeout);
    error_code ec = stream_.perform([&](auto& s, auto done) { http::async_write(s, req, std::move(done)); });
    if (ec) {
      reusable_ = false;
      return map(ec);
    }
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_bytes, 64 * 1024)));
    parser.body_limit(max_bytes);
    if (req.method() == http::verb::head) parser.skip(true);
    stream_.expires_after(timeout);
    ec = stream_.perform([&](auto& s, auto done) { http::async_read(s, buffer_, parser, std::move(done)); });
    stream_.expires_never();
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
  /// unasked (a close_notify, an error page).
  bool still_open() { return reusable_ && stream_.still_open(); }

  void close() noexcept {
    stream_.close();
    reusable_ = false;
  }

 private:
  static std::error_code map(error_code ec) {
    if (ec == boost::beast::error::timeout) return tessera::error::timeout;
    if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return tessera::error::response_too_large;
    return ec;
  }

  std::string origin_;
  sync_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool reusable_ = false;
};

}  // namespace tessera::transport::detail

#endif
