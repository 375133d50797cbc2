// tessera — transport/plain.hpp: the `plain` server transport, HTTP over TCP without TLS.
//
// Use it behind a TLS-terminating proxy or on loopback only: OAuth 2.0 (RFC 6749 §1.6, §10.9)
// requires TLS for every endpoint that carries credentials or tokens.
#ifndef TESSERA_TRANSPORT_PLAIN_HPP
#define TESSERA_TRANSPORT_PLAIN_HPP

#include <tessera/transport/message.hpp>
#include <tessera/transport/server_transport.hpp>

#include <boost/asio/post.hpp>

#include <utility>

namespace tessera::transport {

struct plain {
  static constexpr bool is_tls = false;
  /// Nothing to configure.
  struct options {};
  struct context_type {};
  using stream_type = boost::beast::tcp_stream;

  static context_type make_context(const options&, std::error_code& ec) {
    ec.clear();
    return {};
  }
  static stream_type make_stream(boost::asio::ip::tcp::socket&& s, context_type&) {
    return stream_type{std::move(s)};
  }
  static boost::beast::tcp_stream& tcp_layer(stream_type& s) noexcept { return s; }

  /// Adds nothing: `Strict-Transport-Security` must not be sent over plain HTTP (RFC 6797
  /// §7.2; docs/security.md row 39).
  static void decorate_response(const context_type&, response&) noexcept {}

  /// No handshake: completes (through the executor, never inline) with success.
  template <class Handler>
  static void async_handshake(stream_type& s, Handler&& h) {
    boost::asio::post(s.get_executor(),
                      [h = std::forward<Handler>(h)]() mutable { std::move(h)(boost::system::error_code{}); });
  }
  /// Sends FIN (shutdown of the sending side); the caller still drains and closes.
  template <class Handler>
  static void async_shutdown(stream_type& s, Handler&& h) {
    boost::system::error_code ec;
    s.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    boost::asio::post(s.get_executor(), [h = std::forward<Handler>(h), ec]() mutable { std::move(h)(ec); });
  }
};
static_assert(server_transport<plain>);

/// The name DESIGN.md uses in traits (`using transport = tessera::transport::beast_plain;`).
using beast_plain = plain;

}  // namespace tessera::transport

#endif
