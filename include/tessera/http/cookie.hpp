// tessera — http/cookie.hpp
//
// The `Cookie` request header (RFC 6265 §4.2, §5.4) and `Set-Cookie` values (§4.1, with the
// `__Host-` / `__Secure-` prefixes of RFC 6265bis §4.1.3). Encrypted cookies are in
// `sealed_cookie.hpp`.
//
// Parsing `Cookie: a=1; b="2"; c=3`:
//  * pairs are split on ';' and trimmed of spaces and tabs; a cookie value wrapped in one pair
//    of double quotes is unwrapped (§4.1.1 allows it).
//  * a browser sends every cookie of the domain, including other applications' — so a pair
//    without '=' or with a name that is not an RFC 9110 token is skipped, not fatal: one
//    foreign cookie must not lock users out.
//  * control characters (other than HTAB) anywhere fail the whole header with
//    `cookie_malformed`: no browser sends them; they are an attack on whatever reads next.
//  * more than `max_size` bytes or `max_cookies` pairs fail with `input_too_large`.
//  * the same name may arrive twice (cookies set for different paths or by a sibling
//    subdomain: "cookie tossing", docs/security.md row 16). `find` returns the first; `unique`
//    refuses the ambiguity with `cookie_malformed`. Use `unique` for anything that decides
//    identity, and `__Host-` names, which a sibling subdomain cannot set.
//
// Building `Set-Cookie` (`set_cookie`, `expire_cookie`) checks name, value and attributes and
// enforces the prefix rules — `__Host-`: Secure, Path=/, no Domain; `__Secure-`: Secure —
// and that SameSite=None comes with Secure; anything else fails with
// `cookie_attributes_invalid`. The defaults are the safe ones: Secure, HttpOnly,
// SameSite=Lax, Path=/.
#ifndef TESSERA_HTTP_COOKIE_HPP
#define TESSERA_HTTP_COOKIE_HPP

#include <tessera/clock.hpp>
#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::http {

struct cookie_options {
  std::size_t max_size = 16 * 1024;  // two 4 KiB token cookies (Flyte splits access tokens) and more
  std::size_t max_cookies = 100;
};

/// The cookies of one request, in header order. Values are raw (RFC 6265 defines no decoding).
class request_cookies {
 public:
  struct cookie {
    std::string name;
    std::string value;
  };

  /// The first value for `name`, or nullopt.
  std::optional<std::string_view> find(std::string_view name) const noexcept {
    for (const auto& c : items_)
      if (c.name == name) return std::string_view(c.value);
    return std::nullopt;
  }
  std::size_t count(std::string_view name) const noexcept {
    std::size_t n = 0;
    for (const auto& c : items_) n += c.name == name;
    return n;
  }
  /// The value for `name` when it was sent exactly once; nullopt when absent; nullopt with
  /// `cookie_malformed` when sent more than once.
  std::optional<std::string_view> unique(std::string_view name, std::error_code& ec) const noexcept {
    ec = {};
    if (count(name) > 1) {
      ec = error::cookie_malformed;
      return std::nullopt;
    }
    return find(name);
  }

  void add(std::string_view name, std::string_view value) { items_.push_back({std::string(name), std::string(value)}); }
  std::size_t size() const noexcept { return items_.size(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }

 private:
  std::vector<cookie> items_;
};

namespace detail {

// RFC 9110 §5.6.2 tchar.
constexpr bool is_tchar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}
// RFC 6265 §4.1.1 cookie-octet.
constexpr bool is_cookie_octet(char ch) noexcept {
  auto c = static_cast<unsigned char>(ch);
  return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e);
}
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace detail

/// Parses a `Cookie` header value.
inline request_cookies parse_cookie_header(std::string_view header, std::error_code& ec, const cookie_options& opts = {}) {
  ec = {};
  if (header.size() > opts.max_size) return ec = error::input_too_large, request_cookies{};
  for (char ch : header) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return ec = error::cookie_malformed, request_cookies{};
  }
  request_cookies result;
  std::size_t pairs = 0;
  for (std::size_t pos = 0; pos <= header.size();) {
    std::size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos) semi = header.size();
    std::string_view pair = detail::trim_ows(header.substr(pos, semi - pos));
    pos = semi + 1;
    if (pair.empty()) continue;
    if (++pairs > opts.max_cookies) return ec = error::input_too_large, request_cookies{};
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = detail::trim_ows(pair.substr(0, eq));
    std::string_view value = detail::trim_ows(pair.substr(eq + 1));
    if (!detail::is_token(name)) continue;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    result.add(name, value);
  }
  return result;
}
inline request_cookies parse_cookie_header(std::string_view header, const cookie_options& opts = {}) {
  std::error_code ec;
  auto r = parse_cookie_header(header, ec, opts);
  tessera::detail::throw_if(ec);
  return r;
}

enum class same_site_policy { unset, lax, strict, none };

/// Attributes of a `Set-Cookie`. Defaults: Path=/, Secure, HttpOnly, SameSite=Lax, session
/// cookie (no Max-Age). Flyte's `insecureCookieHeader` is `secure = false` (plain-HTTP dev).
struct cookie_attributes {
  std::string path = "/";
  std::string domain;                       // empty: host-only cookie
  std::optional<std::chrono::seconds> max_age;
  std::optional<time_point> expires;        // for old clients; Max-Age wins where both exist
  bool secure = true;
  bool http_only = true;
  same_site_policy same_site = same_site_policy::lax;
};

namespace detail {

inline bool valid_attribute_value(std::string_view v) noexcept {
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == ';') return false;
  }
  return true;
}
inline bool valid_domain(std::string_view d) noexcept {
  for (char c : d)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  return true;
}
// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
inline std::string imf_fixdate(time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  // Names spelled out: strftime's %a and %b follow the process locale.
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                        months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace detail

/// Builds a `Set-Cookie` header value.
inline std::string set_cookie(std::string_view name, std::string_view value, const cookie_attributes& a, std::error_code& ec) {
  ec = error::cookie_attributes_invalid;
  if (!detail::is_token(name)) return {};
  for (char c : value)
    if (!detail::is_cookie_octet(c)) return {};
  if (a.path.empty() || a.path.front() != '/' || !detail::valid_attribute_value(a.path)) return {};
  if (!detail::valid_domain(a.domain)) return {};
  if (tessera::detail::istarts_with_ascii(name, "__Host-") && (!a.secure || a.path != "/" || !a.domain.empty())) return {};
  if (tessera::detail::istarts_with_ascii(name, "__Secure-") && !a.secure) return {};
  if (a.same_site == same_site_policy::none && !a.secure) return {};  // browsers drop it
  ec = {};

  std::string s;
  s.reserve(name.size() + value.size() + 96);
  s.append(name).append("=").append(value);
  s.append("; Path=").append(a.path);
  if (!a.domain.empty()) s.append("; Domain=").append(a.domain);
  if (a.max_age) s.append("; Max-Age=").append(std::to_string(a.max_age->count() < 0 ? 0 : a.max_age->count()));
  if (a.expires) s.append("; Expires=").append(detail::imf_fixdate(*a.expires));
  if (a.secure) s.append("; Secure");
  if (a.http_only) s.append("; HttpOnly");
  switch (a.same_site) {
    case same_site_policy::lax: s.append("; SameSite=Lax"); break;
    case same_site_policy::strict: s.append("; SameSite=Strict"); break;
    case same_site_policy::none: s.append("; SameSite=None"); break;
    case same_site_policy::unset: break;
  }
  return s;
}
inline std::string set_cookie(std::string_view name, std::string_view value, const cookie_attributes& a = {}) {
  std::error_code ec;
  auto s = set_cookie(name, value, a, ec);
  tessera::detail::throw_if(ec);
  return s;
}

/// A `Set-Cookie` that deletes `name`: empty value, Max-Age=0 and an Expires in 1970. Path
/// and Domain must equal those the cookie was set with, or the browser keeps it.
inline std::string expire_cookie(std::string_view name, cookie_attributes a, std::error_code& ec) {
  a.max_age = std::chrono::seconds{0};
  a.expires = time_point{};
  return set_cookie(name, "", a, ec);
}
inline std::string expire_cookie(std::string_view name, const cookie_attributes& a = {}) {
  std::error_code ec;
  auto s = expire_cookie(name, a, ec);
  tessera::detail::throw_if(ec);
  return s;
}

}  // namespace tessera::http

#endif
