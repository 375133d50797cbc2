// tessera — http/headers.hpp
//
// Security response headers as plain data, so the server (and any other transport) applies
// them without this layer knowing Beast:
//
//     for (auto [name, value] : tessera::http::token_response_headers) res.set(name, value);
//
//  * `no_store_headers` — RFC 6749 §5.1: token responses "MUST" carry `Cache-Control:
//    no-store` (and `Pragma: no-cache` for HTTP/1.0 caches); also for callback pages
//    (docs/security.md row 14: tokens in caches).
//  * `no_referrer_headers` — `Referrer-Policy: no-referrer`, so codes and state in the URL of
//    a callback page do not leak to the next site through Referer (RFC 9700 §4.2.4, row 14).
//  * `anti_framing_headers` — `X-Frame-Options: DENY` (RFC 7034) and CSP
//    `frame-ancestors 'none'` (CSP Level 2) on login and consent pages (RFC 9700 §4.16, row 15).
//  * `nosniff_headers` — `X-Content-Type-Options: nosniff`, so JSON is never run as script.
//
// The combined sets name the endpoint they are for.
#ifndef TESSERA_HTTP_HEADERS_HPP
#define TESSERA_HTTP_HEADERS_HPP

#include <array>
#include <cstddef>
#include <string_view>

namespace tessera::http {

struct header_field {
  std::string_view name;
  std::string_view value;
};

inline constexpr std::array<header_field, 2> no_store_headers{{
    {"Cache-Control", "no-store"},
    {"Pragma", "no-cache"},
}};

inline constexpr std::array<header_field, 1> no_referrer_headers{{
    {"Referrer-Policy", "no-referrer"},
}};

inline constexpr std::array<header_field, 2> anti_framing_headers{{
    {"X-Frame-Options", "DENY"},
    {"Content-Security-Policy", "frame-ancestors 'none'"},
}};

inline constexpr std::array<header_field, 1> nosniff_headers{{
    {"X-Content-Type-Options", "nosniff"},
}};

namespace detail {
template <std::size_t... N>
constexpr auto join_headers(const std::array<header_field, N>&... sets) {
  std::array<header_field, (N + ...)> out{};
  std::size_t i = 0;
  ((void)[&] {
    for (const auto& h : sets) out[i++] = h;
  }(), ...);
  return out;
}
}  // namespace detail

/// Token, introspection, revocation and device-authorization responses (JSON with secrets).
inline constexpr auto token_response_headers = detail::join_headers(no_store_headers, nosniff_headers);

/// Redirects and pages that carry a code, state or token in the URL: callbacks, the
/// authorization endpoint's redirect back to the client.
inline constexpr auto callback_response_headers = detail::join_headers(no_store_headers, no_referrer_headers);

/// Login, consent, device-verification and error pages rendered to a browser.
inline constexpr auto interactive_page_headers =
    detail::join_headers(no_store_headers, no_referrer_headers, anti_framing_headers, nosniff_headers);

}  // namespace tessera::http

#endif
