// tessera — http/form.hpp
//
// `application/x-www-form-urlencoded` bodies and query strings (RFC 6749 Appendix B; WHATWG
// URL §5), parsed strictly into an ordered parameter list; the one encoder for building
// redirects, form bodies and client requests (the transport client uses it too); and the one
// check of a request's `Content-Type` (`is_form_content_type`).
//
// Parsing (`parse_form` for bodies, `parse_query` for the query of a request target, without
// its '?'):
//  * pairs are separated by '&'; empty pairs ("a=1&&b=2") are skipped; a pair without '='
//    is a name with an empty value; an empty name ("=x") is malformed.
//  * '+' is a space; '%' must be followed by two hex digits.
//  * RFC 6749 Appendix A allows no control characters in any OAuth parameter (only HTAB, in
//    passwords): a raw or decoded %x00-08 / %x0A-1F / %x7F is malformed — this keeps NUL, CR
//    and LF away from C APIs, headers and logs downstream.
//  * RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted"
//    — by default empty values are dropped; "parameters MUST NOT be included more than once"
//    — by default a repeated name fails with `parameter_duplicated`.
//  * limits: input over `max_size` bytes or more than `max_parameters` pairs fail with
//    `input_too_large` before any decoding work.
// Errors: `form_malformed` (bodies) or `query_malformed` (queries), `parameter_duplicated`,
// `input_too_large`. Error messages never contain parameter names or values.
#ifndef TESSERA_HTTP_FORM_HPP
#define TESSERA_HTTP_FORM_HPP

#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::http {

struct form_options {
  std::size_t max_size = 32 * 1024;  // token requests with client assertions stay far below
  std::size_t max_parameters = 64;
  bool reject_duplicates = true;     // RFC 6749 §3.1
  bool drop_empty_values = true;     // RFC 6749 §3.1
};

struct parameter {
  std::string name;
  std::string value;
};

/// An ordered list of decoded parameters. Lookup is by exact (case-sensitive) name and
/// returns the first match; after a parse with the default options names are unique.
class parameters {
 public:
  parameters() = default;
  parameters(std::initializer_list<std::pair<std::string_view, std::string_view>> items) {
    for (auto& [n, v] : items) add(n, v);
  }

  /// Appends a parameter (for building requests); no duplicate check.
  void add(std::string_view name, std::string_view value) { items_.push_back({std::string(name), std::string(value)}); }

  /// The value, or nullopt when absent.
  std::optional<std::string_view> optional(std::string_view name) const noexcept {
    for (const auto& p : items_)
      if (p.name == name) return std::string_view(p.value);
    return std::nullopt;
  }
  /// The value, or "" when absent — RFC 6749 §3.1 makes empty and absent the same.
  std::string_view get(std::string_view name) const noexcept { return optional(name).value_or(std::string_view{}); }
  bool contains(std::string_view name) const noexcept { return optional(name).has_value(); }

  /// The value of a parameter the request must carry; `parameter_missing` when it is absent
  /// or empty (then returns "").
  std::string_view required(std::string_view name, std::error_code& ec) const noexcept {
    auto v = get(name);
    ec = v.empty() ? std::error_code(error::parameter_missing) : std::error_code{};
    return v;
  }
  std::string_view required(std::string_view name) const {
    std::error_code ec;
    auto v = required(name, ec);
    tessera::detail::throw_if(ec);
    return v;
  }

  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }

 private:
  std::vector<parameter> items_;
};

namespace detail {

constexpr int hex_value(char c) noexcept {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}
constexpr bool is_forbidden_control(unsigned char c) noexcept { return (c < 0x20 && c != '\t') || c == 0x7f; }

}  // namespace detail

/// Decodes one form component ('+' → space, %XX → byte) into `out`. False when a '%' is not
/// followed by two hex digits or a control character (other than HTAB) appears raw or decoded.
inline bool form_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (in.size() - i < 3) return false;
      int hi = detail::hex_value(in[i + 1]), lo = detail::hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (detail::is_forbidden_control(static_cast<unsigned char>(c))) return false;
    out.push_back(c);
  }
  return true;
}

namespace detail {

inline parameters parse_pairs(std::string_view in, const form_options& opts, error malformed, std::error_code& ec) {
  ec = {};
  parameters result;
  if (in.size() > opts.max_size) return ec = error::input_too_large, parameters{};
  std::size_t pairs = 0;
  for (std::size_t pos = 0; pos <= in.size();) {
    std::size_t amp = in.find('&', pos);
    if (amp == std::string_view::npos) amp = in.size();
    std::string_view pair = in.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    if (++pairs > opts.max_parameters) return ec = error::input_too_large, parameters{};
    std::size_t eq = pair.find('=');
    std::string name, value;
    if (eq == 0 || !form_decode(pair.substr(0, eq), name) ||
        (eq != std::string_view::npos && !form_decode(pair.substr(eq + 1), value)))
      return ec = malformed, parameters{};
    if (opts.drop_empty_values && value.empty()) continue;
    if (opts.reject_duplicates && result.contains(name)) return ec = error::parameter_duplicated, parameters{};
    result.add(name, value);
  }
  return result;
}

}  // namespace detail

/// Parses an `application/x-www-form-urlencoded` request body.
inline parameters parse_form(std::string_view body, std::error_code& ec, const form_options& opts = {}) {
  return detail::parse_pairs(body, opts, error::form_malformed, ec);
}
inline parameters parse_form(std::string_view body, const form_options& opts = {}) {
  std::error_code ec;
  auto p = parse_form(body, ec, opts);
  tessera::detail::throw_if(ec);
  return p;
}

/// Parses a query string (the part after '?', without it; stop at '#' before calling).
inline parameters parse_query(std::string_view query, std::error_code& ec, const form_options& opts = {}) {
  return detail::parse_pairs(query, opts, error::query_malformed, ec);
}
inline parameters parse_query(std::string_view query, const form_options& opts = {}) {
  std::error_code ec;
  auto p = parse_query(query, ec, opts);
  tessera::detail::throw_if(ec);
  return p;
}

/// Appends `s` form-encoded: ALPHA / DIGIT / "-" / "." / "_" / "~" kept, space as '+',
/// every other byte as %XX (upper-case hex).
///
/// The kept set is RFC 3986's unreserved set (§2.3), not the WHATWG urlencoded set (which
/// keeps '*' and encodes '~'). Every form decoder reads both the same (a decoder passes
/// unencoded bytes through and decodes every %XX), so the choice only decides what goes on the
/// wire; unreserved is the set that is plain data in every URI component — the query of a
/// redirect, a form body and an HTTP Basic credential (RFC 6749 §2.3.1) alike — and it is what
/// Flyte's side produces: Go's `url.QueryEscape` / `url.Values.Encode` (FlyteAdmin, flytectl,
/// golang/oauth2) and Python's `urllib.parse.quote` (flytekit's client secret) keep '~' and
/// encode '*'. So: `~` stays `~`, `*` becomes `%2A`.
inline void form_encode_append(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0f]);
    }
  }
}
inline std::string form_encode_component(std::string_view s) {
  std::string out;
  form_encode_append(out, s);
  return out;
}

/// Serializes parameters as `name=value&...` in order.
inline std::string form_encode(const parameters& params) {
  std::string out;
  for (const auto& p : params) {
    if (!out.empty()) out.push_back('&');
    form_encode_append(out, p.name);
    out.push_back('=');
    form_encode_append(out, p.value);
  }
  return out;
}

/// Whether a `Content-Type` value is `application/x-www-form-urlencoded`: the media type
/// compared case-insensitively (RFC 9110 §8.3.1), optional whitespace around it, any
/// parameters after ';' ignored (`; charset=UTF-8`). The one check for form bodies, of the
/// token endpoint and of browser forms alike.
constexpr bool is_form_content_type(std::string_view content_type) noexcept {
  auto media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  return tessera::detail::iequals_ascii(media, "application/x-www-form-urlencoded");
}

}  // namespace tessera::http

#endif
