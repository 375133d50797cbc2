// tessera — http/redirect_uri.hpp
//
// Where the server may send a browser (docs/security.md row 8: redirect-URI manipulation and open
// redirects, RFC 9700 §4.1 and §4.11).
//
// OAuth redirect URIs: one validator, `check_redirect_uri`, used at client registration
// (`server::client_registry::add`) and on every requested URI before it is matched, so what
// may be registered and what may match are the same set:
//  * an absolute URI (RFC 6749 §3.1.2) without fragment or userinfo, with a port in range;
//  * `https` with a host;
//  * `http` only on a loopback host — `127.0.0.1`, `[::1]` or `localhost` (RFC 8252 §7.3,
//    §8.3; RFC 9700 §2.1 forbids plain http elsewhere: the code would cross the network in
//    clear). Flyte's `http://localhost:53593/callback` is one;
//  * any other scheme is a private-use scheme of a native app (RFC 8252 §7.1), which "MUST"
//    be a reversed domain name — so it must contain a '.' (`com.example.app:/callback`).
//    That also keeps out `javascript:`, `data:`, `file:` and the like.
// Matching (`match_redirect_uri`):
//  * exact string comparison with a registered URI (RFC 9700 §4.1.3) — no case folding, no
//    normalisation, no prefix or wildcard matching;
//  * one exception, RFC 8252 §7.3: when the requested URI is `http` with the loopback IP
//    literal `127.0.0.1` or `[::1]`, the port is ignored — scheme, host, path and query must
//    still equal a registered loopback URI's (a native app gets an ephemeral port from the OS);
//  * `localhost` is not an IP literal (RFC 8252 §8.3: it may resolve elsewhere), so it matches
//    exactly only — Flyte's `http://localhost:53593/callback` works as registered;
//  * a URI with a fragment (RFC 6749 §3.1.2), userinfo, or that is not absolute never matches.
//
// Local redirects after login and logout (`is_safe_local_redirect`, Flyte's
// `/login?redirect_url=` and `/logout?redirect_url=` — unvalidated in Flyte's logout):
//  * a path on this server: starts with exactly one '/' (not "//" nor "/\", which browsers
//    read as another host) and is a valid relative reference;
//  * or an absolute http(s) URL whose origin (scheme, host, port) is the origin of one of
//    `authorizedUris`, compared case-insensitively with default ports filled in;
//  * never: backslashes, control characters, spaces or non-ASCII bytes anywhere (browsers
//    strip or reinterpret them), userinfo, other schemes (`javascript:`, `data:`), or
//    scheme-relative forms like `https:evil.com`.
#ifndef TESSERA_HTTP_REDIRECT_URI_HPP
#define TESSERA_HTTP_REDIRECT_URI_HPP

#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>
#include <tessera/http/form.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace tessera::http {

namespace detail {

inline bool is_loopback_literal(const boost::urls::url_view& u) noexcept {
  auto host = u.encoded_host();
  return host == "127.0.0.1" || host == "[::1]";
}
// A port is absent, or 1-5 digits that fit 16 bits (Boost.URL's port_number() wraps).
inline bool port_in_range(const boost::urls::url_view& u) noexcept {
  if (!u.has_port()) return true;
  auto p = u.port();
  if (p.empty() || p.size() > 5) return false;
  unsigned long n = 0;
  for (char c : p) n = n * 10 + static_cast<unsigned long>(c - '0');
  return n <= 65535;
}
inline bool well_formed_redirect(const boost::urls::url_view& u) noexcept {
  return !u.has_userinfo() && !u.has_fragment() && port_in_range(u);
}
inline bool is_loopback_host(const boost::urls::url_view& u) {
  return is_loopback_literal(u) || tessera::detail::iequals_ascii(u.encoded_host(), "localhost");
}
using tessera::detail::to_lower_ascii;

}  // namespace detail

/// Whether `uri` leads to a native application on the user's device — a loopback `http` URI
/// or a private-use scheme (RFC 8252 §7.1, §7.3) — where any local program can listen and so
/// claim to be the client (RFC 8252 §8.6). False for anything that does not parse.
inline bool is_native_app_redirect(std::string_view uri) {
  auto u = boost::urls::parse_absolute_uri(uri);
  if (!u) return false;
  const auto scheme = u->scheme_id();
  if (scheme == boost::urls::scheme::https) return false;
  if (scheme == boost::urls::scheme::http) return detail::is_loopback_host(*u);
  return true;
}

/// Whether `uri` may be registered as, or requested as, a redirect URI (rules above):
/// `url_invalid` when not.
inline void check_redirect_uri(std::string_view uri, std::error_code& ec) noexcept {
  ec = error::url_invalid;
  auto u = boost::urls::parse_absolute_uri(uri);
  if (!u || !detail::well_formed_redirect(*u)) return;
  const std::string_view scheme = u->scheme();
  if (tessera::detail::iequals_ascii(scheme, "https")) {
    if (!u->has_authority() || u->encoded_host().empty()) return;
  } else if (tessera::detail::iequals_ascii(scheme, "http")) {
    if (!u->has_authority() || !detail::is_loopback_host(*u)) return;
  } else if (scheme.find('.') == std::string_view::npos) {
    return;
  }
  ec = {};
}
inline void check_redirect_uri(std::string_view uri) {
  std::error_code ec;
  check_redirect_uri(uri, ec);
  tessera::detail::throw_if(ec);
}

/// Whether `requested` may be used where `registered` was registered (rules above).
inline bool redirect_uri_matches(std::string_view requested, std::string_view registered) noexcept {
  std::error_code ec;
  check_redirect_uri(requested, ec);
  if (ec) return false;
  if (requested == registered) return true;
  auto req = boost::urls::parse_absolute_uri(requested);
  if (req->scheme() != "http" || !detail::is_loopback_literal(*req)) return false;
  auto reg = boost::urls::parse_absolute_uri(registered);
  if (!reg || !detail::well_formed_redirect(*reg) || reg->scheme() != "http" || !detail::is_loopback_literal(*reg))
    return false;
  return req->encoded_host() == reg->encoded_host() && req->encoded_path() == reg->encoded_path() &&
         req->has_query() == reg->has_query() && req->encoded_query() == reg->encoded_query();
}

/// The Content-Security-Policy source (CSP3 §2.3.1) that allows navigating to every URI
/// `registered` matches under the rules above: `http://127.0.0.1:*` for a loopback literal
/// (any port), `scheme://host[:port]` for other http(s) URIs, `scheme:` for a private-use
/// scheme (RFC 8252 §7.1). Empty for a URI that is not a valid redirect URI. A login form's
/// `form-action` needs these: browsers apply it to the redirects that follow the POST, and an
/// authorization request ends in one to the client.
inline std::string redirect_csp_source(std::string_view registered) {
  std::error_code ec;
  check_redirect_uri(registered, ec);
  if (ec) return {};
  auto u = boost::urls::parse_absolute_uri(registered);
  const std::string scheme = detail::to_lower_ascii(u->scheme());
  if (scheme != "http" && scheme != "https") return scheme + ":";
  if (!u->has_authority() || u->encoded_host().empty()) return {};
  std::string source = scheme + "://" + detail::to_lower_ascii(u->encoded_host());
  if (scheme == "http" && detail::is_loopback_literal(*u)) return source + ":*";
  if (u->has_port()) source.append(":").append(u->port());
  // A host may hold sub-delims; a source that could split or end the policy is not one.
  if (source.find_first_of(" \t;,'\"") != std::string::npos) return {};
  return source;
}

/// The registered URI `requested` matches (the server redirects to `requested` itself, which
/// differs only in a loopback port). `redirect_uri_mismatch` when none does.
inline std::string_view match_redirect_uri(std::string_view requested, std::span<const std::string> registered,
                                           std::error_code& ec) noexcept {
  for (const auto& r : registered)
    if (redirect_uri_matches(requested, r)) {
      ec = {};
      return r;
    }
  ec = error::redirect_uri_mismatch;
  return {};
}
inline std::string_view match_redirect_uri(std::string_view requested, std::span<const std::string> registered) {
  std::error_code ec;
  auto r = match_redirect_uri(requested, registered, ec);
  tessera::detail::throw_if(ec);
  return r;
}

/// True when the browser may be sent to `target` after login or logout (rules above).
inline bool is_safe_local_redirect(std::string_view target, std::span<const std::string> authorized_uris) {
  if (target.empty()) return false;
  for (char ch : target) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '\\') return false;
  }
  if (target.front() == '/') {
    if (target.size() > 1 && target[1] == '/') return false;
    return static_cast<bool>(boost::urls::parse_relative_ref(target));
  }
  auto t = boost::urls::parse_uri(target);
  if (!t || !t->has_authority() || t->has_userinfo() || t->encoded_host().empty() || !detail::port_in_range(*t))
    return false;
  auto scheme = detail::to_lower_ascii(t->scheme());
  if (scheme != "http" && scheme != "https") return false;
  auto effective_port = [](const boost::urls::url_view& u, std::string_view s) -> std::string {
    if (u.has_port() && !u.port().empty()) return std::string(u.port());
    return s == "https" ? "443" : "80";
  };
  auto host = detail::to_lower_ascii(t->encoded_host());
  auto port = effective_port(*t, scheme);
  for (const auto& a : authorized_uris) {
    auto au = boost::urls::parse_uri(a);
    if (!au || !au->has_authority() || au->has_userinfo()) continue;
    auto as = detail::to_lower_ascii(au->scheme());
    if (as == scheme && detail::to_lower_ascii(au->encoded_host()) == host && effective_port(*au, as) == port) return true;
  }
  return false;
}

/// `uri` with `params` added to its query, keeping any query it has (RFC 6749 §3.1.2: it
/// "MUST be retained"). `uri` must have no fragment (a matched redirect URI never has one).
inline std::string append_query_parameters(std::string_view uri, const parameters& params) {
  TESSERA_ASSERT(uri.find('#') == std::string_view::npos);
  std::string out(uri);
  if (params.empty()) return out;
  auto q = out.find('?');
  if (q == std::string::npos)
    out.push_back('?');
  else if (out.back() != '?' && out.back() != '&')
    out.push_back('&');
  out.append(form_encode(params));
  return out;
}

}  // namespace tessera::http

#endif
