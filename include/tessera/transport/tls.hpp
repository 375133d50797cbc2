// tessera — transport/tls.hpp: the `tls` server transport, HTTP over TLS 1.2+ (OpenSSL 3 through
// Boost.Asio ssl).
//
// The certificate chain and private key come from PEM files (or PEM text) named in
// `tls::options`; they are read once, when the server is built. A file that is missing or
// unreadable, a key that does not match the certificate, or a chain that does not parse
// fails the server's construction with the OpenSSL/Asio error code.
//
// The handshake is bounded by `server_limits::header_timeout` (and its first byte by
// `first_byte_timeout`); a failed handshake (a plain-text client, an unknown TLS version, a
// client that rejects our certificate) closes that connection only.
//
// HSTS (RFC 6797; docs/security.md row 39): every response the server writes over TLS —
// handlers' answers, the router's 404/405, the transport's 400/408/413/431 — carries
// `Strict-Transport-Security` as `tls::options::hsts` says (default: one year, no
// includeSubDomains). It is added in one place, `decorate_response`, which the session calls
// for each response just before writing it. Plain HTTP never sends it (RFC 6797 §7.2).
#ifndef TESSERA_TRANSPORT_TLS_HPP
#define TESSERA_TRANSPORT_TLS_HPP

#include <tessera/transport/detail/tls_context.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/server_transport.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace tessera::transport {

/// What `Strict-Transport-Security` a TLS server sends (RFC 6797 §6.1; docs/security.md row 39).
struct hsts_policy {
  static constexpr std::chrono::seconds default_max_age{31536000};  // one year

  /// false: send no `Strict-Transport-Security` at all (e.g. a TLS proxy in front sets its own).
  bool enabled = true;
  /// How long a browser keeps to HTTPS for this host. 0 is allowed: it tells browsers to
  /// forget an earlier policy (RFC 6797 §6.1.1), the way to switch HSTS off once it was on.
  /// Negative values are sent as 0.
  std::chrono::seconds max_age = default_max_age;
  /// Adds `includeSubDomains`: every subdomain of the host must be HTTPS too. Off by default;
  /// only turn it on when that holds for the whole domain.
  bool include_subdomains = false;
};

/// The header value for `p` ("max-age=31536000; includeSubDomains"); empty when disabled.
inline std::string strict_transport_security_value(const hsts_policy& p) {
  if (!p.enabled) return {};
  auto seconds = p.max_age.count() < 0 ? 0 : p.max_age.count();
  std::string out = "max-age=" + std::to_string(seconds);
  if (p.include_subdomains) out += "; includeSubDomains";
  return out;
}

struct tls {
  static constexpr bool is_tls = true;

  struct options {
    /// PEM file: the server certificate first, then any intermediates (not the root).
    std::string certificate_chain_file{};
    /// PEM file: the private key of the certificate (PKCS#8 or traditional, unencrypted).
    std::string private_key_file{};
    /// Alternatives to the files, as PEM text; used when the matching file name is empty.
    std::string certificate_chain_pem{};
    std::string private_key_pem{};
    /// `Strict-Transport-Security` on every response (see the header comment).
    hsts_policy hsts{};
  };

  /// Owns the OpenSSL context; shared by every connection of one server.
  struct context_type {
    boost::asio::ssl::context ssl{boost::asio::ssl::context::tls_server};
    std::string strict_transport_security{};  // the header value; empty: none
  };

  using stream_type = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  static context_type make_context(const options& o, std::error_code& ec) {
    context_type c;
    c.strict_transport_security = strict_transport_security_value(o.hsts);
    detail::harden_tls_context(c.ssl, ec);
    if (ec) return c;
    boost::system::error_code bec;
    if (!o.certificate_chain_file.empty())
      c.ssl.use_certificate_chain_file(o.certificate_chain_file, bec);
    else if (!o.certificate_chain_pem.empty())
      c.ssl.use_certificate_chain(boost::asio::buffer(o.certificate_chain_pem), bec);
    else
      bec = boost::asio::error::invalid_argument;
    if (!bec) {
      if (!o.private_key_file.empty())
        c.ssl.use_private_key_file(o.private_key_file, boost::asio::ssl::context::pem, bec);
      else if (!o.private_key_pem.empty())
        c.ssl.use_private_key(boost::asio::buffer(o.private_key_pem), boost::asio::ssl::context::pem, bec);
      else
        bec = boost::asio::error::invalid_argument;
    }
    if (!bec && SSL_CTX_check_private_key(c.ssl.native_handle()) != 1)
      bec = boost::asio::error::invalid_argument;
    ERR_clear_error();
    ec = bec;
    return c;
  }

  static stream_type make_stream(boost::asio::ip::tcp::socket&& s, context_type& c) {
    return stream_type{boost::beast::tcp_stream{std::move(s)}, c.ssl};
  }
  static boost::beast::tcp_stream& tcp_layer(stream_type& s) noexcept { return s.next_layer(); }

  /// Adds `Strict-Transport-Security` to a response about to be written (docs/security.md row 39).
  static void decorate_response(const context_type& c, response& res) {
    if (!c.strict_transport_security.empty())
      res.set(http::field::strict_transport_security, c.strict_transport_security);
  }

  template <class Handler>
  static void async_handshake(stream_type& s, Handler&& h) {
    s.async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(h));
  }
  /// Sends close_notify without waiting for the peer's (as most servers do: the session then
  /// drains the TCP connection and closes it), so shutdown costs one write, not a round trip.
  template <class Handler>
  static void async_shutdown(stream_type& s, Handler&& h) {
    SSL* native = s.native_handle();
    SSL_set_shutdown(native, SSL_get_shutdown(native) | SSL_RECEIVED_SHUTDOWN);
    s.async_shutdown(std::forward<Handler>(h));
  }
};
static_assert(server_transport<tls>);

/// The name DESIGN.md uses in traits (`using transport = tessera::transport::beast_tls;`).
using beast_tls = tls;

}  // namespace tessera::transport

#endif
