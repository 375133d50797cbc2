// tessera — transport/server_transport.hpp: the policy that says how a server turns an accepted
// TCP socket into a byte stream — as is (`plain`) or under TLS (`tls`).
//
// `basic_server<Transport>` is written once against this concept, and its connections once
// for every transport (the policy's stream is erased: detail/server_stream.hpp); the policy
// supplies only what differs. Run-time values (certificate paths) live in
// `Transport::options`, read once into `Transport::context_type` when the server is built.
//
// Exemplar (the minimal conforming type; see plain.hpp for a real one):
//
//     struct my_transport {
//       static constexpr bool is_tls = false;
//       struct options {};
//       struct context_type {};
//       using stream_type = boost::beast::tcp_stream;
//       static context_type make_context(const options&, std::error_code& ec);
//       static stream_type make_stream(boost::asio::ip::tcp::socket&&, context_type&);
//       static boost::beast::tcp_stream& tcp_layer(stream_type&) noexcept;
//       // Last touch on every response before it is written (tls: Strict-Transport-Security).
//       static void decorate_response(const context_type&, response&);
//       // Completes with the handshake's error; `plain` completes at once.
//       template <class Handler> static void async_handshake(stream_type&, Handler&&);
//       // Ends the session's framing (TLS close_notify); never closes the socket.
//       template <class Handler> static void async_shutdown(stream_type&, Handler&&);
//     };
//
// Models: `tessera::transport::plain` (plain.hpp), `tessera::transport::tls` (tls.hpp).
#ifndef TESSERA_TRANSPORT_SERVER_TRANSPORT_HPP
#define TESSERA_TRANSPORT_SERVER_TRANSPORT_HPP

#include <tessera/transport/message.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <concepts>
#include <utility>
#include <system_error>

namespace tessera::transport {

namespace detail {
/// A completion handler with the signature every policy hook completes with.
struct error_handler_archetype {
  void operator()(boost::system::error_code) const {}
};
}  // namespace detail

template <class T>
concept server_transport =
    requires {
      { T::is_tls } -> std::convertible_to<bool>;
      typename T::options;
      typename T::context_type;
      typename T::stream_type;
    } &&
    requires(const typename T::options& o, typename T::context_type& ctx, typename T::stream_type& s,
             boost::asio::ip::tcp::socket&& sock, std::error_code& ec, response& res) {
      { T::make_context(o, ec) } -> std::same_as<typename T::context_type>;
      { T::make_stream(std::move(sock), ctx) } -> std::same_as<typename T::stream_type>;
      { T::tcp_layer(s) } -> std::same_as<boost::beast::tcp_stream&>;
      T::decorate_response(std::as_const(ctx), res);
      T::async_handshake(s, detail::error_handler_archetype{});
      T::async_shutdown(s, detail::error_handler_archetype{});
    };

}  // namespace tessera::transport

#endif
