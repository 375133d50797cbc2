// tessera — transport/limits.hpp: the bounds the server puts on every connection, so that no
// peer can make it allocate without limit or hold a connection forever (slowloris).
//
// Each bound has a `static constexpr` default (`server_limits::default_header_limit`, ...) and a
// run-time member initialised from it; change the member, never the type:
//
//     tessera::transport::server_limits limits;
//     limits.body_limit = 64 * 1024;            // this deployment takes small forms only
//
// What a peer sees when it crosses a bound:
//   header_limit      431 Request Header Fields Too Large, then the connection is closed
//   body_limit        413 Content Too Large (before reading the body when Content-Length says
//                     so; as soon as the limit is crossed for chunked bodies), then closed
//   first_byte_timeout  a new connection that has sent no byte yet is closed silently
//   header_timeout    408 Request Timeout if part of a request arrived; closed silently if
//                     nothing did
//   read_timeout      408 while reading a body; the connection is closed on a slow write
//   idle_timeout      keep-alive connection closed silently
//   max_connections   the connection is accepted and closed at once, before any read
//   max_connections_per_address  likewise, when that many are open from the peer's address
//
// Error answers (400, 408, 413, 431) are JSON, as the router's 404/405 (message.hpp,
// `make_error_response`; docs/security.md row 40).
//
// Connection slots (docs/security.md row 38). `max_connections` alone let one address take
// every slot with idle connections, so `/healthz` and everyone else went unanswered; the
// per-address cap keeps one address to a small share, and `first_byte_timeout` frees a slot
// that a peer opened and never used long before `header_timeout` would. The default, 64, is
// far above what one honest client opens (a browser keeps about 6 per host, a CLI or service
// a pool of a few) and leaves room for a few dozen clients behind one NAT, while one address
// can hold at most 1/16 of the default 1,024 slots.
//
// Behind a reverse proxy every client has the proxy's address: the per-address cap then
// bounds the proxy, not a client. The proxy must apply its own per-client connection and
// request limits, and the operator should raise `max_connections_per_address` to about the
// number of connections the proxy may open (setting it to `max_connections` switches the
// per-address cap off). tessera never reads X-Forwarded-For to find "the real client"
// (docs/security.md row 18): a header anyone can send cannot key a limit.
#ifndef TESSERA_TRANSPORT_LIMITS_HPP
#define TESSERA_TRANSPORT_LIMITS_HPP

#include <chrono>
#include <cstddef>

namespace tessera::transport {

struct server_limits {
  static constexpr std::size_t default_header_limit = 8 * 1024;
  static constexpr std::size_t default_body_limit = 1024 * 1024;
  static constexpr std::size_t default_max_connections = 1024;
  static constexpr std::size_t default_max_connections_per_address = 64;
  static constexpr std::chrono::milliseconds default_first_byte_timeout{std::chrono::seconds{5}};
  static constexpr std::chrono::milliseconds default_header_timeout{std::chrono::seconds{10}};
  static constexpr std::chrono::milliseconds default_read_timeout{std::chrono::seconds{30}};
  static constexpr std::chrono::milliseconds default_idle_timeout{std::chrono::seconds{60}};

  /// Bytes of request line + header fields (Beast's parser `header_limit`).
  std::size_t header_limit = default_header_limit;
  /// Bytes of request body after transfer decoding.
  std::size_t body_limit = default_body_limit;
  /// Open connections across all I/O threads; one more is accepted and closed.
  std::size_t max_connections = default_max_connections;
  /// Open connections from one peer IP address (an IPv4-mapped IPv6 address counts as its
  /// IPv4 address); one more from that address is accepted and closed. See the comment above
  /// for proxies.
  std::size_t max_connections_per_address = default_max_connections_per_address;
  /// Time from accept until the peer's first byte (for TLS, the first byte of its hello). A
  /// connection that stays silent this long is closed without an answer. The earlier of this
  /// and `header_timeout` applies.
  std::chrono::milliseconds first_byte_timeout = default_first_byte_timeout;
  /// Time from the first byte of a request (or from accept, for the first request, including
  /// the TLS handshake and the wait for its first byte) until its header is complete: one
  /// deadline, however the bytes trickle in.
  std::chrono::milliseconds header_timeout = default_header_timeout;
  /// Time to read a body, and to write a response.
  std::chrono::milliseconds read_timeout = default_read_timeout;
  /// Time a keep-alive connection may wait for the next request.
  std::chrono::milliseconds idle_timeout = default_idle_timeout;
};

}  // namespace tessera::transport

#endif
