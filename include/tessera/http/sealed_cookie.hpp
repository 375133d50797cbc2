// tessera — http/sealed_cookie.hpp
//
// Cookies whose value the browser can carry but neither read nor change (docs/security.md row 16):
// the value is sealed with AES-256-GCM (`crypto::sealer`) and base64url-encoded.
//
//     associated data = "tessera.cookie.v1:" ‖ cookie name
//     plaintext       = expiry (8 bytes, big-endian Unix seconds) ‖ value
//
// * Binding the name as associated data means a value sealed for `flyte_idt` does not open
//   as `flyte_at_1`: a swapped cookie is rejected.
// * The expiry travels inside the sealed payload, so a browser (or an attacker replaying an
//   old cookie) cannot extend it; the `Max-Age` attribute only tells the browser when to drop
//   it. Opening at or after the expiry fails.
// * Opening reports every failure — not base64url, tampered, wrong key, swapped name,
//   expired — as the one `cookie_invalid`, so a probe learns nothing about which check failed.
// * Browsers ignore cookies over 4096 bytes (RFC 6265 §6.1 minimum): `seal_cookie` refuses
//   with `input_too_large` rather than let the cookie vanish silently; split larger values
//   over several cookies (as Flyte does with `flyte_at_1`/`flyte_at_2`).
#ifndef TESSERA_HTTP_SEALED_COOKIE_HPP
#define TESSERA_HTTP_SEALED_COOKIE_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/aead.hpp>
#include <tessera/error.hpp>
#include <tessera/http/cookie.hpp>

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::http {

/// Largest `name=value` a browser is required to keep (RFC 6265 §6.1).
inline constexpr std::size_t max_cookie_size = 4096;

namespace detail {
inline std::string sealed_cookie_context(std::string_view name) {
  std::string ad = "tessera.cookie.v1:";
  ad.append(name);
  return ad;
}
}  // namespace detail

/// Seals `value` as the value of cookie `name`, valid until `expires`. Fails with
/// `input_too_large` when `name=<sealed>` would exceed 4096 bytes, or as `sealer::seal` does.
inline std::string seal_cookie(const crypto::sealer& sealer, std::string_view name, std::string_view value,
                               time_point expires, std::error_code& ec) {
  ec = {};
  if (name.size() + 1 + crypto::base64url_encoded_size(crypto::aead_overhead + 8 + value.size()) > max_cookie_size)
    return ec = error::input_too_large, std::string{};
  std::string payload(8, '\0');
  auto t = static_cast<std::uint64_t>(to_unix_seconds(expires));
  for (int i = 7; i >= 0; --i, t >>= 8) payload[static_cast<std::size_t>(i)] = static_cast<char>(t & 0xff);
  payload.append(value);
  auto sealed = sealer.seal_base64url(payload, detail::sealed_cookie_context(name), ec);
  OPENSSL_cleanse(payload.data(), payload.size());
  return sealed;
}
inline std::string seal_cookie(const crypto::sealer& sealer, std::string_view name, std::string_view value,
                               time_point expires) {
  std::error_code ec;
  auto s = seal_cookie(sealer, name, value, expires, ec);
  tessera::detail::throw_if(ec);
  return s;
}

/// Opens the value of cookie `name` sealed by `seal_cookie`, checking its expiry against
/// `now`. Any failure is `cookie_invalid` with an empty result. Never throws.
inline std::string open_cookie(const crypto::sealer& sealer, std::string_view name, std::string_view sealed,
                               time_point now, std::error_code& ec) noexcept try {
  if (sealed.size() > max_cookie_size) return ec = error::cookie_invalid, std::string{};
  auto payload = sealer.open_base64url(sealed, detail::sealed_cookie_context(name), ec);
  if (ec || payload.size() < 8) return ec = error::cookie_invalid, std::string{};
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < 8; ++i) t = (t << 8) | static_cast<unsigned char>(payload[i]);
  if (to_unix_seconds(now) >= static_cast<std::int64_t>(t)) {
    OPENSSL_cleanse(payload.data(), payload.size());
    return ec = error::cookie_invalid, std::string{};
  }
  payload.erase(0, 8);
  return payload;
} catch (...) {  // allocation failure
  ec = error::cookie_invalid;
  return {};
}
inline std::string open_cookie(const crypto::sealer& sealer, std::string_view name, std::string_view sealed,
                               time_point now) {
  std::error_code ec;
  auto s = open_cookie(sealer, name, sealed, now, ec);
  tessera::detail::throw_if(ec);
  return s;
}

/// Finds cookie `name` in a request and opens it: nullopt without error when the request
/// has no such cookie (not logged in); nullopt with `cookie_malformed` when it was sent more
/// than once (cookie tossing); nullopt with `cookie_invalid` when it does not open.
inline std::optional<std::string> open_cookie(const crypto::sealer& sealer, const request_cookies& cookies,
                                              std::string_view name, time_point now, std::error_code& ec) {
  auto raw = cookies.unique(name, ec);
  if (ec || !raw) return std::nullopt;
  auto value = open_cookie(sealer, name, *raw, now, ec);
  if (ec) return std::nullopt;
  return value;
}

}  // namespace tessera::http

#endif
