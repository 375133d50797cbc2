// tessera — http/basic_auth.hpp
//
// HTTP Basic client authentication as OAuth defines it (RFC 6749 §2.3.1): the client id and
// secret are each form-urlencoded (Appendix B), joined with ':' and base64-encoded (RFC 7617):
//
//     Authorization: Basic base64( urlencode(client_id) ":" urlencode(client_secret) )
//
// Parsing is strict: the scheme is "Basic" (case-insensitive, RFC 9110 §11.1) followed by
// one or more spaces and a padded standard base64 token68 that `crypto::base64_decode`
// accepts; the decoded text is split on its *first* ':' (an encoded id cannot contain a raw
// ':'), and both halves are form-decoded (so "%3A" in a secret is a ':' and '+' a space).
// Everything else — other schemes, missing ':', an empty client id, bad base64 or bad
// percent-encoding, control characters — fails with `authorization_header_malformed`
// (→ invalid_client, 401: RFC 6749 §5.2). A header over `max_basic_header_size` fails with
// `input_too_large`. Error messages never contain the credentials.
//
// Flyte's flytekit encodes only the secret (`quote(secret)`); ids are plain tokens in
// practice, where encoding is the identity, so both forms decode the same.
#ifndef TESSERA_HTTP_BASIC_AUTH_HPP
#define TESSERA_HTTP_BASIC_AUTH_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>
#include <tessera/http/form.hpp>

#include <openssl/crypto.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::http {

/// Generous for any real id and secret; bounds the work done for a hostile header.
inline constexpr std::size_t max_basic_header_size = 4096;

/// Decoded client credentials. Move-only; the secret is wiped from memory on destruction.
struct basic_credentials {
  std::string client_id;
  std::string client_secret;

  basic_credentials() = default;
  basic_credentials(std::string id, std::string secret) : client_id(std::move(id)), client_secret(std::move(secret)) {}
  basic_credentials(basic_credentials&&) noexcept = default;
  basic_credentials& operator=(basic_credentials&& o) noexcept {
    wipe();
    client_id = std::move(o.client_id);
    client_secret = std::move(o.client_secret);
    return *this;
  }
  basic_credentials(const basic_credentials&) = delete;  // secrets are not copied around
  basic_credentials& operator=(const basic_credentials&) = delete;
  ~basic_credentials() { wipe(); }

 private:
  void wipe() noexcept {
    if (!client_secret.empty()) OPENSSL_cleanse(client_secret.data(), client_secret.size());
  }
};

/// True when the header value uses the Basic scheme (so a server can tell "malformed Basic"
/// from "another scheme, e.g. Bearer, which is not client authentication").
inline bool is_basic_authorization(std::string_view header_value) noexcept {
  return header_value.size() > 6 && tessera::detail::iequals_ascii(header_value.substr(0, 5), "Basic") && header_value[5] == ' ';
}

/// Parses an `Authorization` header value carrying Basic client credentials.
inline basic_credentials parse_basic_authorization(std::string_view header_value, std::error_code& ec) {
  ec = {};
  if (header_value.size() > max_basic_header_size) return ec = error::input_too_large, basic_credentials{};
  if (!is_basic_authorization(header_value)) return ec = error::authorization_header_malformed, basic_credentials{};
  std::string_view token = header_value.substr(6);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);

  std::string decoded = crypto::base64_decode(token, ec);
  basic_credentials creds;
  std::size_t colon = decoded.find(':');
  bool ok = !ec && colon != std::string::npos && colon != 0 &&
            form_decode(std::string_view(decoded).substr(0, colon), creds.client_id) &&
            form_decode(std::string_view(decoded).substr(colon + 1), creds.client_secret);
  if (!decoded.empty()) OPENSSL_cleanse(decoded.data(), decoded.size());
  if (!ok) {
    ec = error::authorization_header_malformed;
    return basic_credentials{};
  }
  return creds;
}
inline basic_credentials parse_basic_authorization(std::string_view header_value) {
  std::error_code ec;
  auto c = parse_basic_authorization(header_value, ec);
  tessera::detail::throw_if(ec);
  return c;
}

/// Builds the `Authorization` header value a client sends (RFC 6749 §2.3.1).
inline std::string basic_authorization(std::string_view client_id, std::string_view client_secret) {
  std::string joined;
  form_encode_append(joined, client_id);
  joined.push_back(':');
  form_encode_append(joined, client_secret);
  std::string value = "Basic " + crypto::base64_encode(joined);
  OPENSSL_cleanse(joined.data(), joined.size());
  return value;
}

}  // namespace tessera::http

#endif
