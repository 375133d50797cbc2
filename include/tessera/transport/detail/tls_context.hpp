// tessera — transport/detail/tls_context.hpp: the TLS settings server and client share.
#ifndef TESSERA_TRANSPORT_DETAIL_TLS_CONTEXT_HPP
#define TESSERA_TRANSPORT_DETAIL_TLS_CONTEXT_HPP

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <system_error>

namespace tessera::transport::detail {

/// TLS 1.2 and 1.3 only; no compression, no renegotiation; for TLS 1.2, forward-secret AEAD
/// suites only (Mozilla "intermediate"); TLS 1.3 keeps OpenSSL's defaults, which are all AEAD.
inline void harden_tls_context(boost::asio::ssl::context& ctx, std::error_code& ec) {
  namespace ssl = boost::asio::ssl;
  ec.clear();
  boost::system::error_code bec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression,
                  bec);
  if (bec) {
    ec = bec;
    return;
  }
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    ec = std::make_error_code(std::errc::protocol_not_supported);
  }
}

}  // namespace tessera::transport::detail

#endif
