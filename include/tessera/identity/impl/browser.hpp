// tessera — identity/impl/browser.hpp: definitions of `identity::browser` (browser.hpp).
#ifndef TESSERA_IDENTITY_IMPL_BROWSER_HPP
#define TESSERA_IDENTITY_IMPL_BROWSER_HPP

#include <boost/url/parse.hpp>

namespace tessera::identity {

inline browser::browser(browser_settings settings)
    : settings_(checked(std::move(settings))),
      sealer_(std::span<const std::string>(settings_.cookie_keys)),
      secure_(settings_.cookies_secure()),
      csp_(page_csp(form_action_sources(settings_))) {}

inline browser_settings browser::checked(browser_settings s) {
  check_browser_settings(s);
  return s;
}

// The CSP form-action sources: the configured ones, then the origins of the authorized URIs.
inline std::string browser::form_action_sources(const browser_settings& s) {
  std::string out;
  auto add = [&](std::string_view src) {
    if (!out.empty()) out.push_back(' ');
    out.append(src);
  };
  for (const auto& src : s.form_action_sources) add(src);
  for (const auto& a : s.authorized_uris) {
    auto u = boost::urls::parse_absolute_uri(a);
    if (!u) continue;
    std::string origin = std::string(u->scheme()) + "://" + std::string(u->encoded_host());
    if (u->has_port()) origin += ":" + std::string(u->port());
    if (detail::is_single_csp_source(origin)) add(origin);
  }
  return out;
}

// --- cookies ---------------------------------------------------------------------------

inline std::string browser::cookie_name(const transport::request_context& ctx, std::string_view name) const {
  return secure(ctx) ? std::string(secure_prefix).append(name) : std::string(name);
}

inline http::cookie_attributes browser::cookie_attributes(const transport::request_context& ctx, seconds max_age,
                                                          http::same_site_policy same_site) const {
  http::cookie_attributes a;
  a.secure = secure(ctx);
  a.http_only = true;
  a.same_site = same_site;
  a.path = "/";
  a.max_age = max_age;
  return a;
}

inline http::request_cookies browser::read_cookies(const transport::request& req, std::error_code& ec) {
  std::string joined;
  for (auto it = req.find(transport::http::field::cookie); it != req.end() && it->name() == transport::http::field::cookie;
       ++it) {
    if (!joined.empty()) joined.append("; ");
    joined.append(it->value());
  }
  // Room for a stateless session's chunks (session.hpp: 8 of under 4 KiB) beside the rest; the
  // server's header limit bounds the request first.
  http::cookie_options opts;
  opts.max_size = 40 * 1024;
  return http::parse_cookie_header(joined, ec, opts);
}

inline std::string browser::seal_cookie(const transport::request_context& ctx, std::string_view name, std::string_view value,
                                        seconds lifetime, time_point now, std::error_code& ec,
                                        http::same_site_policy same_site) const {
  const std::string full = cookie_name(ctx, name);
  const time_point expires = std::chrono::floor<seconds>(now) + lifetime;
  auto sealed = http::seal_cookie(sealer_, full, value, expires, ec);
  if (ec) return {};
  return http::set_cookie(full, sealed, cookie_attributes(ctx, lifetime, same_site), ec);
}

inline std::optional<std::string> browser::open_cookie(const transport::request& req, const transport::request_context& ctx,
                                                       std::string_view name, time_point now, std::error_code& ec) const {
  auto cookies = read_cookies(req, ec);
  if (ec) return std::nullopt;
  return http::open_cookie(sealer_, cookies, cookie_name(ctx, name), now, ec);
}

inline std::string browser::expire_cookie(const transport::request_context& ctx, std::string_view name, std::error_code& ec,
                                          http::same_site_policy same_site) const {
  return http::expire_cookie(cookie_name(ctx, name), cookie_attributes(ctx, seconds{0}, same_site), ec);
}

// --- CSRF ------------------------------------------------------------------------------

inline browser::csrf_form_token browser::csrf_token(const transport::request& req, const transport::request_context& ctx,
                                                    std::string_view name, time_point now, std::error_code& ec) const {
  ec = {};
  std::error_code cookie_ec;
  auto current = open_cookie(req, ctx, name, now, cookie_ec);
  if (current && !current->empty()) return {std::move(*current), {}};
  csrf_form_token out{crypto::random_token(), {}};
  out.set_cookie = seal_cookie(ctx, name, out.token, settings_.form_lifetime, now, ec, http::same_site_policy::strict);
  if (ec) return {};
  return out;
}

inline bool browser::csrf_valid(const transport::request& req, const transport::request_context& ctx, std::string_view name,
                                std::string_view form_token, time_point now) const {
  std::error_code ec;
  auto cookie_token = open_cookie(req, ctx, name, now, ec);
  return cookie_token && !cookie_token->empty() && !form_token.empty() && crypto::constant_time_equal(*cookie_token, form_token);
}

// --- pages and redirects ---------------------------------------------------------------

inline transport::response browser::page(const transport::request& req, transport::http::status status, std::string html) const {
  auto res = transport::make_response(req, status, std::move(html), "text/html; charset=utf-8");
  for (auto [name, value] : http::interactive_page_headers) res.set(name, value);
  res.set("Content-Security-Policy", csp_);
  return res;
}

inline transport::response browser::error_page(const transport::request& req, const std::error_code& ec) const {
  TESSERA_ASSERT(ec);
  const condition c = condition_of(ec);
  const unsigned status = http_status(c) == 401 ? 400 : http_status(c);
  return error_page(req, static_cast<transport::http::status>(status), wire_name(c),
                    ec.category() == error_category() ? description(static_cast<error>(ec.value())) : "server error");
}

inline transport::response browser::see_other(const transport::request& req, std::string_view location) {
  auto res = transport::make_response(req, transport::http::status::see_other, {});
  res.set(transport::http::field::location, location);
  for (auto [name, value] : http::callback_response_headers) res.set(name, value);
  return res;
}

// --- forms, queries and redirect targets -------------------------------------------------

inline http::parameters browser::query(const transport::request& req, std::error_code& ec) {
  const std::string_view target = req.target();
  const auto q = target.find('?');
  if (q == std::string_view::npos) return ec = {}, http::parameters{};
  const std::string_view text = target.substr(q + 1);
  return http::parse_query(text.substr(0, text.find('#')), ec);
}

inline std::optional<std::string> browser::query_parameter(const transport::request& req, std::string_view name) {
  std::error_code ec;
  auto params = query(req, ec);
  if (ec) return std::nullopt;
  return std::string(params.get(name));
}

inline std::optional<std::string> browser::redirect_target(const transport::request& req, std::string_view fallback) const {
  auto raw = query_parameter(req, "redirect_url");
  if (!raw) return std::nullopt;
  if (raw->empty()) return std::string(fallback);
  if (!is_safe_redirect(*raw)) return std::nullopt;
  return raw;
}

}  // namespace tessera::identity

#endif
