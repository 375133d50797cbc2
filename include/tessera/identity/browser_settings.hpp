// tessera — identity/browser_settings.hpp
//
// The run-time values of the browser layer (`browser.hpp`): one set per deployment, shared by
// every page a browser sees — the identity's login, logout and /me, and the authorization
// server's authorization, device, consent and error pages — so all of them seal cookies with
// the same keys, name them by the same rule and send the same Content-Security-Policy.
//
// Validated once, when the `browser` is built (`check_browser_settings`); a bad value throws
// `tessera::system_error` whose code says what kind of problem it is and whose message names
// the setting (never a key):
//   aead_key_invalid    no cookie key, or one that is not exactly 32 bytes
//   url_invalid         `public_url` not an absolute http(s) URL with a host (no userinfo,
//                       query or fragment); an `authorized_uris` entry not an absolute URI
//                       with a host and without userinfo
//   parameter_invalid   a `form_action_sources` entry that is empty or could split or end the
//                       policy (space, tab, ';', ',', quotes, control characters); a
//                       non-positive `form_lifetime`
#ifndef TESSERA_IDENTITY_BROWSER_SETTINGS_HPP
#define TESSERA_IDENTITY_BROWSER_SETTINGS_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/aead.hpp>
#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tessera::identity {

struct browser_settings {
  /// Keys of every sealed browser cookie (sessions, CSRF, the server's pending authorization):
  /// 32 bytes each; the first seals, all open (rotation: put the new key first, keep the old
  /// one until the longest-lived cookie sealed under it has expired).
  std::vector<std::string> cookie_keys;

  /// The deployment's public base URL, as browsers reach it ("https://flyte.example.com":
  /// the issuer). Only its scheme is used here: it decides `secure_cookies` when that is unset.
  std::string public_url;

  /// Cookies get the `__Host-` name and `Secure`. Unset: true, unless `public_url` is http.
  /// A request that arrived over TLS always gets them. Set true when TLS ends at a proxy in
  /// front of tessera; false only for plain-HTTP loopback development (browsers drop Secure
  /// and `__Host-` cookies on http).
  std::optional<bool> secure_cookies;

  /// Flyte `authorizedUris`: origins besides this server's own paths that a `redirect_url`
  /// may lead to after login or logout (`http::is_safe_local_redirect`); also form-action
  /// sources of the CSP.
  std::vector<std::string> authorized_uris;

  /// CSP `form-action` sources beyond 'self' and the origins of `authorized_uris`: a login or
  /// consent inside an authorization request ends in a redirect to the client, and browsers
  /// apply `form-action` to it. Give `server::client_registry::redirect_csp_sources()`.
  std::vector<std::string> form_action_sources;

  /// How long a rendered form (its CSRF token) stays usable.
  seconds form_lifetime{std::chrono::minutes(30)};

  /// The configured Secure-cookie rule before a request's TLS is known (see `secure_cookies`).
  bool cookies_secure() const noexcept {
    return secure_cookies.value_or(!tessera::detail::istarts_with_ascii(public_url, "http://"));
  }
};

namespace detail {

// One CSP source: nothing that splits a source list, ends a directive or quotes.
inline bool is_single_csp_source(std::string_view src) noexcept {
  return !src.empty() && std::none_of(src.begin(), src.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f || c == ' ' || c == ';' || c == ',' || c == '\'' || c == '"';
  });
}

}  // namespace detail

/// Checks `s` (rules in the header comment). Returns the problem, with `why` naming the
/// setting; a clear error_code when the settings are usable.
inline std::error_code check_browser_settings(const browser_settings& s, std::string& why) {
  const std::string where = "tessera::identity::browser_settings: ";
  auto fail = [&](error e, std::string text) {
    why = where + text;
    return std::error_code(e);
  };
  why.clear();
  if (s.cookie_keys.empty()) return fail(error::aead_key_invalid, "cookie_keys is empty; give at least one 32-byte key");
  for (std::size_t i = 0; i < s.cookie_keys.size(); ++i)
    if (s.cookie_keys[i].size() != crypto::aead_key_size)
      return fail(error::aead_key_invalid, "cookie_keys[" + std::to_string(i) + "] is " + std::to_string(s.cookie_keys[i].size()) +
                                               " bytes; every key must be exactly 32");
  if (!s.public_url.empty()) {
    auto u = boost::urls::parse_absolute_uri(s.public_url);
    const auto scheme = u ? tessera::detail::to_lower_ascii(u->scheme()) : std::string();
    if (!u || (scheme != "http" && scheme != "https") || !u->has_authority() || u->encoded_host().empty() ||
        u->has_userinfo() || u->has_query() || u->has_fragment())
      return fail(error::url_invalid, "public_url is not an absolute http(s) URL with a host and without userinfo, query or fragment");
  }
  for (std::size_t i = 0; i < s.authorized_uris.size(); ++i) {
    auto u = boost::urls::parse_absolute_uri(s.authorized_uris[i]);
    if (!u || !u->has_authority() || u->encoded_host().empty() || u->has_userinfo())
      return fail(error::url_invalid, "authorized_uris[" + std::to_string(i) + "] is not an absolute URI with a host and without userinfo");
  }
  for (std::size_t i = 0; i < s.form_action_sources.size(); ++i)
    if (!detail::is_single_csp_source(s.form_action_sources[i]))
      return fail(error::parameter_invalid, "form_action_sources[" + std::to_string(i) +
                                                "] is empty or holds a space, ';', ',', a quote or a control character");
  if (s.form_lifetime.count() <= 0) return fail(error::parameter_invalid, "form_lifetime must be positive");
  return {};
}

/// Throws `tessera::system_error` (code and message as above) unless `s` is usable.
inline void check_browser_settings(const browser_settings& s) {
  std::string why;
  if (auto ec = check_browser_settings(s, why)) throw tessera::system_error(ec, why);
}

}  // namespace tessera::identity

#endif
