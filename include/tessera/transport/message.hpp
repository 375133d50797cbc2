// tessera — transport/message.hpp: the HTTP message types every layer speaks, and the
// per-request facts a transport knows that the message does not (who the peer is, whether
// the bytes came over TLS).
//
// Handlers in server/, identity/ and resource/ are functions of these types; they never see a
// socket. Only the Beast *message* headers are included here (no Asio I/O, no OpenSSL), so a
// layer that includes this header stays socket-free.
#ifndef TESSERA_TRANSPORT_MESSAGE_HPP
#define TESSERA_TRANSPORT_MESSAGE_HPP

#include <tessera/config.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::transport {

namespace http = boost::beast::http;

/// An HTTP/1.1 request with its whole body in memory (bounded by `server_limits::body_limit`).
using request = http::request<http::string_body>;

/// An HTTP/1.1 response with its whole body in memory.
using response = http::response<http::string_body>;

/// What the transport knows about the request beyond its bytes. Passed to handlers that ask
/// for it (see `router`); the in-memory transport fills it from its own configuration.
struct request_context {
  /// Peer IP address in text form ("127.0.0.1", "::1"); empty when unknown.
  std::string peer_address{};
  /// Peer TCP port; 0 when unknown.
  std::uint16_t peer_port = 0;
  /// True when the request arrived over TLS. Handlers use it to refuse plain-text token
  /// requests or to set the `Secure` cookie attribute; never trust `X-Forwarded-Proto` here.
  bool tls = false;
};

/// The path of a request target: everything before the first '?' or '#'. Routing and the
/// access log use this, so a query string (which may carry codes or tokens) is never matched
/// against or logged.
inline std::string_view target_path(std::string_view target) noexcept {
  auto end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

/// A response with `status`, the request's HTTP version and keep-alive, a
/// `Content-Type` and a body; the payload size is prepared.
inline response make_response(const request& req, http::status status, std::string body = {},
                              std::string_view content_type = "text/plain; charset=utf-8") {
  response res{status, req.version()};
  res.keep_alive(req.keep_alive());
  if (!body.empty() || status != http::status::no_content) {
    res.set(http::field::content_type, content_type);
    res.body() = std::move(body);
  }
  res.prepare_payload();
  return res;
}

}  // namespace tessera::transport

#endif
