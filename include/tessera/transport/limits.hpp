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
//   header_timeout    408 Request Timeout if part of a request arrived; closed silently if
//                     nothing did
//   read_timeout      408 while reading a body; the connection is closed on a slow write
//   idle_timeout      keep-alive connection closed silently
//   max_connections   the connection is accepted and closed at once, before any read
#ifndef TESSERA_TRANSPORT_LIMITS_HPP
#define TESSERA_TRANSPORT_LIMITS_HPP

#include <chrono>
#include <cstddef>

namespace tessera::transport {

struct server_limits {
  static constexpr std::size_t default_header_limit = 8 * 1024;
  static constexpr std::size_t default_body_limit = 1024 * 1024;
  static constexpr std::size_t default_max_connections = 1024;
  static constexpr std::chrono::milliseconds default_header_timeout{std::chrono::seconds{10}};
  static constexpr std::chrono::milliseconds default_read_timeout{std::chrono::seconds{30}};
  static constexpr std::chrono::milliseconds default_idle_timeout{std::chrono::seconds{60}};

  /// Bytes of request line + header fields (Beast's parser `header_limit`).
  std::size_t header_limit = default_header_limit;
  /// Bytes of request body after transfer decoding.
  std::size_t body_limit = default_body_limit;
  /// Open connections across all I/O threads; one more is accepted and closed.
  std::size_t max_connections = default_max_connections;
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
