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
  /// This request's id (transport/request_id.hpp): the client's `X-Request-Id` when it is a
  /// short safe token, else one the server made; the response echoes it. Empty when the
  /// transport assigns none (the in-memory transport, unless its test sets one).
  std::string request_id{};
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

/// The transport's own error answers (docs/security.md row 40): unknown path, wrong method,
/// limits crossed, malformed HTTP, a throwing handler. Every one is JSON in the shape of
/// RFC 6749 §5.2 (`{"error":"...","error_description":"..."}`) with `Cache-Control: no-store`,
/// so a client of an OAuth endpoint parses every failure the same way. The words are fixed per
/// status and never echo the request:
///
///   400 invalid_request      "malformed HTTP request"
///   404 not_found            "no endpoint at this path"
///   405 method_not_allowed   "method not allowed at this path" (the router adds `Allow`)
///   408 invalid_request      "request not received in time"
///   413 invalid_request      "request body too large"
///   431 invalid_request      "request header too large"
///   500 server_error         "internal error"
///
/// Any other status gets `server_error` and "internal error". Browsers that hit a wrong page
/// see JSON too: this is an authorization server, its pages are few and its APIs many.
inline response make_error_response(const request& req, http::status status) {
  std::string_view error = "server_error", description = "internal error";
  switch (status) {
    case http::status::bad_request: error = "invalid_request", description = "malformed HTTP request"; break;
    case http::status::not_found: error = "not_found", description = "no endpoint at this path"; break;
    case http::status::method_not_allowed:
      error = "method_not_allowed", description = "method not allowed at this path";
      break;
    case http::status::request_timeout: error = "invalid_request", description = "request not received in time"; break;
    case http::status::payload_too_large: error = "invalid_request", description = "request body too large"; break;
    case http::status::request_header_fields_too_large:
      error = "invalid_request", description = "request header too large";
      break;
    default: break;
  }
  // Fixed ASCII words without quotes or backslashes: no JSON escaping is needed.
  std::string body;
  body.reserve(48 + error.size() + description.size());
  body.append(R"({"error":")").append(error).append(R"(","error_description":")").append(description).append("\"}");
  auto res = make_response(req, status, std::move(body), "application/json");
  res.set(http::field::cache_control, "no-store");
  return res;
}

}  // namespace tessera::transport

#endif
