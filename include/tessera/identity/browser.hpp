// tessera — identity/browser.hpp
//
// `identity::browser`: the one layer between tessera and a person's browser. Every
// browser-facing page of a deployment — the identity's login, logout and /me, the external
// IdP's callback, the authorization server's authorization, device, consent and error pages —
// renders, redirects, sets and reads cookies, and checks CSRF through one `browser`, owned by
// the identity policy (`identity_policy::browser()`), so all of them share its cookie keys,
// cookie-naming rule and Content-Security-Policy. Built from `browser_settings`, checked once.
// Const member functions are thread-safe; time comes from the caller (`now`), so a server and
// an identity with different clock types share one browser.
//
// Pages (`page`, `error_page`): `http::interactive_page_headers` (no-store, no-referrer,
// X-Frame-Options DENY, nosniff) and ONE strict CSP (`page_csp`): nothing loads or runs but the
// fixed stylesheet (a `'sha256-…'` source, no 'unsafe-inline'), forms post to 'self', the
// origins of `authorized_uris` and `form_action_sources`; no framing, no `<base>`.
// Redirects (`see_other`): 303, never 307, so a browser never re-POSTs a form
// (docs/security.md row 17), with no-store and no-referrer (row 14).
//
// Cookies. Names by mode, decided per request (`secure(ctx)`): `settings().cookies_secure()`
// or a request over TLS gives `__Host-<name>` with Secure (a sibling subdomain or plain HTTP
// cannot set it: cookie tossing, row 16); otherwise (plain-HTTP loopback development) the
// plain `<name>` without Secure. Always HttpOnly, Path=/, no Domain. A request reads only the
// cookie of its own mode, and the name is sealed in (`http::seal_cookie`), so a value moved
// from one name to another does not open. `read_cookies` reads ALL `Cookie` fields of a
// request (RFC 6265 §5.4 says one, HTTP/2 sends several); `open_cookie` refuses a cookie sent
// twice (`cookie_malformed`), one that does not open or has expired (`cookie_invalid`).
//
// CSRF: ONE double-submit scheme for every form (login, device, consent). The form carries
// a random 256-bit token (`csrf_token`); the same token travels in a sealed, short-lived
// (`form_lifetime`), HttpOnly, SameSite=Strict cookie named per form; `csrf_valid` accepts a
// POST only when both are present and equal (`crypto::constant_time_equal`). The token of a
// still-valid cookie is reused, so two open tabs both work. It needs no session, so it also
// protects the login form itself (login CSRF).
//
// Forms, queries, redirect targets: `is_form` (the one `application/x-www-form-urlencoded`
// check, `http::is_form_content_type`), `query` / `query_parameter`, and `redirect_target`
// (`redirect_url` must pass `http::is_safe_local_redirect` with `authorized_uris`).
#ifndef TESSERA_IDENTITY_BROWSER_HPP
#define TESSERA_IDENTITY_BROWSER_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/aead.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/error.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/form.hpp>
#include <tessera/http/headers.hpp>
#include <tessera/http/redirect_uri.hpp>
#include <tessera/http/sealed_cookie.hpp>
#include <tessera/identity/browser_settings.hpp>
#include <tessera/identity/html.hpp>
#include <tessera/transport/message.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::identity {

/// The `Set-Cookie` values one response must carry (a session may take several cookies).
struct set_cookie_lines {
  std::vector<std::string> lines;
  bool empty() const noexcept { return lines.empty(); }
  void add(std::string line) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  /// Adds every line to `res` as its own `Set-Cookie` field.
  void add_to(transport::response& res) const {
    for (const auto& l : lines) res.insert(transport::http::field::set_cookie, l);
  }
};

class browser {
 public:
  /// The name prefix of cookies in secure mode (RFC 6265bis §4.1.3.2).
  static constexpr std::string_view secure_prefix = "__Host-";

  /// Checks `settings` (`check_browser_settings`: throws `tessera::system_error`) and builds
  /// the sealer and the CSP.
  explicit browser(browser_settings settings);
  browser(const browser&) = delete;
  browser& operator=(const browser&) = delete;

  const browser_settings& settings() const noexcept { return settings_; }
  const crypto::sealer& sealer() const noexcept { return sealer_; }
  /// The Content-Security-Policy of every page.
  const std::string& csp() const noexcept { return csp_; }

  // --- cookies -------------------------------------------------------------------------

  /// Whether this request's cookies get `__Host-` and Secure.
  bool secure(const transport::request_context& ctx) const noexcept { return secure_ || ctx.tls; }
  /// The name cookie `name` has for this request: `__Host-<name>` or `<name>`.
  std::string cookie_name(const transport::request_context& ctx, std::string_view name) const;
  /// The attributes of every cookie tessera sets: host-only, Path=/, HttpOnly, Secure by mode.
  http::cookie_attributes cookie_attributes(const transport::request_context& ctx, seconds max_age,
                                            http::same_site_policy same_site = http::same_site_policy::lax) const;

  /// The cookies of ALL `Cookie` fields of `req`, joined as one header would carry them (up
  /// to 40 KiB: stateless sessions). `cookie_malformed` / `input_too_large` as
  /// `http::parse_cookie_header`, with no cookies.
  static http::request_cookies read_cookies(const transport::request& req, std::error_code& ec);

  /// The `Set-Cookie` value of cookie `name` (named by mode) holding `value` sealed until
  /// `floor(now) + lifetime`, with Max-Age `lifetime`. Fails as `http::seal_cookie` and
  /// `http::set_cookie` do; then returns "".
  std::string seal_cookie(const transport::request_context& ctx, std::string_view name, std::string_view value,
                          seconds lifetime, time_point now, std::error_code& ec,
                          http::same_site_policy same_site = http::same_site_policy::lax) const;

  /// The value of sealed cookie `name` (named by mode) of `req`: nullopt without error when
  /// absent; nullopt with `cookie_malformed` when sent twice or the header is malformed,
  /// with `cookie_invalid` when it does not open (tampered, swapped, other keys, expired).
  std::optional<std::string> open_cookie(const transport::request& req, const transport::request_context& ctx,
                                         std::string_view name, time_point now, std::error_code& ec) const;

  /// The `Set-Cookie` value that deletes cookie `name` of this request's mode.
  std::string expire_cookie(const transport::request_context& ctx, std::string_view name, std::error_code& ec,
                            http::same_site_policy same_site = http::same_site_policy::lax) const;

  // --- CSRF ----------------------------------------------------------------------------

  /// What a form needs: the token for its `csrf_token` field, and the `Set-Cookie` value to
  /// add to the response ("" when the browser's cookie is still valid and reused).
  struct csrf_form_token {
    std::string token;
    std::string set_cookie;
  };

  /// The CSRF token of a form whose cookie is `name` (e.g. "tessera_login"). Fails with
  /// `random_failure` / `crypto_failure`; then the token is "" and the form must not be shown.
  csrf_form_token csrf_token(const transport::request& req, const transport::request_context& ctx, std::string_view name,
                             time_point now, std::error_code& ec) const;
  /// True when the request carries cookie `name` holding a token equal to `form_token`.
  bool csrf_valid(const transport::request& req, const transport::request_context& ctx, std::string_view name,
                  std::string_view form_token, time_point now) const;
  /// The `Set-Cookie` value that spends the CSRF cookie `name` (after the form succeeded).
  std::string csrf_spent(const transport::request_context& ctx, std::string_view name, std::error_code& ec) const {
    return expire_cookie(ctx, name, ec, http::same_site_policy::strict);
  }

  // --- pages and redirects -------------------------------------------------------------

  /// An HTML page (`render_page` builds one) with the security headers and the CSP.
  transport::response page(const transport::request& req, transport::http::status status, std::string html) const;
  /// A page that explains a refused request in fixed words (never echoing the input).
  transport::response error_page(const transport::request& req, transport::http::status status, std::string_view title,
                                 std::string_view text) const {
    return page(req, status, render_error_page(title, text));
  }
  /// The page for a failure that must not be redirected: the wire condition as title, the
  /// cause's fixed description (tessera's own only) as text, the condition's status (401 as
  /// 400: a page asks for no HTTP authentication).
  transport::response error_page(const transport::request& req, const std::error_code& ec) const;
  /// 400 for a `redirect_url` that `is_safe_redirect` refuses (no Location: docs/security.md row 8).
  transport::response redirect_refused(const transport::request& req) const {
    return error_page(req, transport::http::status::bad_request, "Bad request",
                      "The redirect_url is not a page of this site or of an authorized URI.");
  }
  /// 303 See Other to `location`, with no-store and no-referrer.
  static transport::response see_other(const transport::request& req, std::string_view location);

  // --- forms, queries and redirect targets ----------------------------------------------

  /// Whether the body is declared `application/x-www-form-urlencoded`.
  static bool is_form(const transport::request& req) noexcept {
    return http::is_form_content_type(req[transport::http::field::content_type]);
  }
  /// The parameters of the request target's query (none without one); `query_malformed`,
  /// `parameter_duplicated`, `input_too_large` as `http::parse_query`.
  static http::parameters query(const transport::request& req, std::error_code& ec);
  /// One query parameter ("" when absent); nullopt when the query is malformed.
  static std::optional<std::string> query_parameter(const transport::request& req, std::string_view name);

  /// Whether the browser may be sent to `target` after login or logout.
  bool is_safe_redirect(std::string_view target) const {
    return http::is_safe_local_redirect(target, settings_.authorized_uris);
  }
  /// Where to send the browser: the query's `redirect_url` when safe, `fallback` when absent;
  /// nullopt when present but unsafe, or when the query is malformed.
  std::optional<std::string> redirect_target(const transport::request& req, std::string_view fallback) const;

 private:
  static browser_settings checked(browser_settings s);
  static std::string form_action_sources(const browser_settings& s);

  browser_settings settings_;
  crypto::sealer sealer_;
  bool secure_;
  std::string csp_;
};

}  // namespace tessera::identity

#include <tessera/identity/impl/browser.hpp>

#endif
