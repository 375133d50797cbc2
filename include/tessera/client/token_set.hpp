// tessera — client/token_set.hpp
//
// What a client holds after a flow: the tokens a token endpoint issued (RFC 6749 §5.1) and when
// they stop being usable. `read_token_response` reads an answer, bounded and checked:
//  * 200 with a JSON object: `access_token` (at most 16 KiB of RFC 6749's VSCHAR, as the
//    refresh and ID tokens; `scope` of scope-token characters), `token_type`
//    `Bearer` in any case (RFC 6749 §7.1; Flyte's own server says `bearer`) — anything else is
//    `token_type_not_bearer`, as this client cannot use a DPoP or MAC token —, `expires_in`
//    as a non-negative number or a numeric string (Azure AD's v1 endpoint sends strings),
//    optional `refresh_token`, `id_token`, `scope`;
//  * an error status with an RFC 6749 §5.2 body: the peer's condition (oauth/peer_error.hpp);
//  * anything else: `token_response_invalid` (also for a body over 256 KiB).
// Without `expires_in`, the expiry is read from the access token's `exp` when it is a JWT
// (unverified: the client only schedules its refresh with it; the server still decides), and
// is otherwise unknown: the token is used until the server refuses it.
//
// The JSON form (`to_json` / `token_set_from_json`) is what the token caches store.
#ifndef TESSERA_CLIENT_TOKEN_SET_HPP
#define TESSERA_CLIENT_TOKEN_SET_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/base64.hpp>
#include <tessera/detail/ascii.hpp>
#include <tessera/detail/json.hpp>
#include <tessera/error.hpp>
#include <tessera/oauth/peer_error.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera::client {

struct token_set {
  std::string access_token;
  std::string token_type = "Bearer";
  std::string refresh_token;
  std::string id_token;
  /// As granted (`scope` of the answer); empty when the server did not say.
  std::string scope;
  /// When the access token expires; `time_point{}` when unknown.
  time_point expires_at{};
  time_point obtained_at{};

  bool expiry_known() const noexcept { return expires_at != time_point{}; }
  /// Whether the access token may still be sent at `now` with `margin` of its life left.
  bool usable(time_point now, std::chrono::seconds margin) const noexcept {
    return !access_token.empty() && (!expiry_known() || expires_at - margin > now);
  }
};

inline constexpr std::size_t max_token_size = 16 * 1024;
inline constexpr std::size_t max_token_response_size = 256 * 1024;

namespace detail {

inline bool read_seconds(const boost::json::value& v, std::int64_t& out) {
  if (v.is_int64()) out = v.get_int64();
  else if (v.is_uint64()) out = v.get_uint64() > INT64_MAX ? INT64_MAX : static_cast<std::int64_t>(v.get_uint64());
  else if (v.is_double()) {
    const double d = v.get_double();
    if (!(d >= 0 && d < 9.0e15)) return false;
    out = static_cast<std::int64_t>(d);
  } else if (v.is_string()) {
    const auto s = v.get_string();
    auto [p, e] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (e != std::errc{} || p != s.data() + s.size()) return false;
  } else return false;
  return out >= 0;
}

/// `exp` of a JWT, read without verifying anything; 0 when it is not a JWT with a numeric exp.
inline std::int64_t unverified_exp(std::string_view jwt) {
  const auto a = jwt.find('.');
  if (a == std::string_view::npos) return 0;
  const auto b = jwt.find('.', a + 1);
  if (b == std::string_view::npos) return 0;
  std::error_code ec;
  const std::string payload = crypto::base64url_decode(jwt.substr(a + 1, b - a - 1), ec);
  if (ec) return 0;
  boost::json::value doc;
  const auto* o = tessera::detail::parse_bounded_object(payload, max_token_size, 16, doc);
  const auto* e = o ? o->if_contains("exp") : nullptr;
  std::int64_t s = 0;
  if (!e || e->is_string() || !read_seconds(*e, s)) return 0;
  return s;
}

/// RFC 6749 Appendix A: tokens are VSCHAR (%x20-7E) — and so is what this client prints or
/// sends back. Anything else (a control character, an escape sequence for the terminal `token`
/// prints to) makes the answer invalid.
inline bool vschar(std::string_view s) noexcept {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

/// A `scope` value (§3.3): scope tokens of NQCHAR (%x21 / %x23-5B / %x5D-7E) separated by spaces.
inline bool scope_chars(std::string_view s) noexcept {
  for (char c : s)
    if (c != ' ' && (c < 0x21 || c > 0x7e || c == '"' || c == '\\')) return false;
  return true;
}

inline bool optional_string(const boost::json::object& o, std::string_view name, std::string& out) {
  const auto* v = o.if_contains(name);
  if (!v || v->is_null()) return true;
  if (!v->is_string() || v->get_string().size() > max_token_size) return false;
  const std::string_view text(v->get_string());
  if (name == "scope" ? !scope_chars(text) : !vschar(text)) return false;
  out = std::string(text);
  return true;
}

}  // namespace detail

/// Reads a token endpoint's answer (see the header comment); `now` dates it. `description`,
/// when given, receives the peer's safe error description.
inline token_set read_token_response(const transport::response& res, time_point now, std::error_code& ec,
                                     std::string* description = nullptr) {
  ec = {};
  if (description) description->clear();
  if (res.result() != transport::http::status::ok) {
    ec = oauth::read_error_response(res, description);
    if (ec == error::peer_error_unrecognized && res.result_int() >= 500) ec = error::http_status_unexpected;
    return {};
  }
  boost::json::value doc;
  const auto* o = tessera::detail::parse_bounded_object(res.body(), max_token_response_size, 16, doc);
  token_set t;
  t.obtained_at = now;
  const auto* at = o ? o->if_contains("access_token") : nullptr;
  const auto* tt = o ? o->if_contains("token_type") : nullptr;
  if (!at || !at->is_string() || at->get_string().empty() || at->get_string().size() > max_token_size ||
      !detail::vschar(at->get_string()) || !tt ||
      !tt->is_string() || !detail::optional_string(*o, "refresh_token", t.refresh_token) ||
      !detail::optional_string(*o, "id_token", t.id_token) || !detail::optional_string(*o, "scope", t.scope)) {
    ec = error::token_response_invalid;
    return {};
  }
  if (!tessera::detail::iequals_ascii(tt->get_string(), "bearer")) {
    ec = error::token_type_not_bearer;
    return {};
  }
  t.access_token = std::string(at->get_string());
  if (const auto* e = o->if_contains("expires_in"); e && !e->is_null()) {
    std::int64_t s = 0;
    if (!detail::read_seconds(*e, s)) {
      ec = error::token_response_invalid;
      return {};
    }
    t.expires_at = from_unix_seconds(to_unix_seconds(now) + std::min<std::int64_t>(s, 100LL * 365 * 86400));
  } else if (const auto exp = detail::unverified_exp(t.access_token); exp > 0) {
    t.expires_at = from_unix_seconds(exp);
  }
  return t;
}

/// The form the caches store.
inline boost::json::object to_json(const token_set& t) {
  boost::json::object o;
  o["access_token"] = t.access_token;
  o["token_type"] = t.token_type;
  if (!t.refresh_token.empty()) o["refresh_token"] = t.refresh_token;
  if (!t.id_token.empty()) o["id_token"] = t.id_token;
  if (!t.scope.empty()) o["scope"] = t.scope;
  if (t.expiry_known()) o["expires_at"] = to_unix_seconds(t.expires_at);
  o["obtained_at"] = to_unix_seconds(t.obtained_at);
  return o;
}

/// Reads what `to_json` wrote. `ec`: `token_cache_failure` for anything else.
inline token_set token_set_from_json(const boost::json::value& v, std::error_code& ec) {
  ec = {};
  token_set t;
  const auto* o = v.if_object();
  const auto* at = o ? o->if_contains("access_token") : nullptr;
  if (!at || !at->is_string() || at->get_string().empty() || at->get_string().size() > max_token_size ||
      !detail::vschar(at->get_string()) || !detail::optional_string(*o, "token_type", t.token_type) ||
      !detail::optional_string(*o, "refresh_token", t.refresh_token) ||
      !detail::optional_string(*o, "id_token", t.id_token) || !detail::optional_string(*o, "scope", t.scope)) {
    ec = error::token_cache_failure;
    return {};
  }
  t.access_token = std::string(at->get_string());
  std::int64_t s = 0;
  if (const auto* e = o->if_contains("expires_at"); e && !e->is_string() && detail::read_seconds(*e, s))
    t.expires_at = from_unix_seconds(s);
  if (const auto* e = o->if_contains("obtained_at"); e && !e->is_string() && detail::read_seconds(*e, s))
    t.obtained_at = from_unix_seconds(s);
  return t;
}

}  // namespace tessera::client

#endif
