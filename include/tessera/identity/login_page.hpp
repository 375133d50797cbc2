// tessera — identity/login_page.hpp
//
// The HTML of the local login form and of the identity layer's error pages. No JavaScript:
// a plain form that posts to the login path. Every interpolated value goes through
// `html_escape` (text and double-quoted attribute values alike), so a user name or a
// redirect URL can never close an attribute or open a tag.
//
// The only style is one fixed `<style>` block; `login_page_style_hash()` is its CSP hash
// source (`'sha256-…'`), so the page's Content-Security-Policy needs no 'unsafe-inline'
// (`login_page_csp`). Pages never contain a password, a session id or a store error; the
// CSRF token appears only in its hidden field, where the double-submit check needs it.
#ifndef TESSERA_IDENTITY_LOGIN_PAGE_HPP
#define TESSERA_IDENTITY_LOGIN_PAGE_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/crypto/hash.hpp>

#include <span>
#include <string>
#include <string_view>

namespace tessera::identity {

/// Escapes `& < > " '` for HTML text and quoted attribute values (HTML §13.1.2.3, §13.5).
inline void html_escape_append(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'': out.append("&#39;"); break;
      default: out.push_back(c);
    }
  }
}
inline std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  html_escape_append(out, s);
  return out;
}

/// The page's one inline style block (its exact text is hashed into the CSP).
inline constexpr std::string_view login_page_style =
    "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}"
    "main{max-width:22rem;margin:10vh auto;background:#fff;padding:2rem;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
    "h1{font-size:1.4rem;margin:0 0 1rem}"
    "label{display:block;margin:.8rem 0 .3rem}"
    "input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}"
    "button{margin-top:1.2rem;width:100%;padding:.6rem;font-size:1rem}"
    ".error{color:#a00;background:#fdecea;padding:.6rem;border-radius:4px}";

/// `'sha256-<base64>'`: the CSP source that allows exactly `login_page_style`.
inline const std::string& login_page_style_hash() {
  static const std::string h = [] {
    auto d = crypto::sha256(login_page_style);
    return "'sha256-" + crypto::base64_encode(std::span<const unsigned char>(d.data(), d.size())) + "'";
  }();
  return h;
}

/// The Content-Security-Policy of the login and error pages: nothing loads or runs but the
/// one style block; the form may post only to this origin and to `form_action_origins`
/// (a space-separated list — browsers apply `form-action` to the redirect after the POST,
/// so the origins of `authorized_uris` must be there); no framing; no `<base>`.
inline std::string login_page_csp(std::string_view form_action_origins = {}) {
  std::string csp = "default-src 'none'; style-src ";
  csp.append(login_page_style_hash());
  csp.append("; form-action 'self'");
  if (!form_action_origins.empty()) csp.append(" ").append(form_action_origins);
  csp.append("; frame-ancestors 'none'; base-uri 'none'");
  return csp;
}

/// What the login form shows.
struct login_form {
  std::string_view action;        // the login path the form posts to
  std::string_view csrf_token;    // double-submit token (also in the sealed login cookie)
  std::string_view redirect_url;  // validated; empty: the server's default
  std::string_view user_name;     // pre-filled after a failed attempt; never the password
  std::string_view message;       // a fixed, generic notice; empty: none
};

namespace detail {
inline void page_head(std::string& out, std::string_view title) {
  out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
  html_escape_append(out, title);
  out.append("</title>\n<style>").append(login_page_style).append("</style>\n</head>\n<body>\n<main>\n<h1>");
  html_escape_append(out, title);
  out.append("</h1>\n");
}
inline void page_tail(std::string& out) { out.append("</main>\n</body>\n</html>\n"); }
}  // namespace detail

/// The login form page.
inline std::string render_login_page(const login_form& f) {
  std::string out;
  out.reserve(2048);
  detail::page_head(out, "Sign in");
  if (!f.message.empty()) {
    out.append("<p class=\"error\" role=\"alert\">");
    html_escape_append(out, f.message);
    out.append("</p>\n");
  }
  out.append("<form method=\"post\" action=\"");
  html_escape_append(out, f.action);
  out.append("\">\n<input type=\"hidden\" name=\"csrf_token\" value=\"");
  html_escape_append(out, f.csrf_token);
  out.append("\">\n");
  if (!f.redirect_url.empty()) {
    out.append("<input type=\"hidden\" name=\"redirect_url\" value=\"");
    html_escape_append(out, f.redirect_url);
    out.append("\">\n");
  }
  out.append("<label for=\"username\">User name</label>\n"
             "<input id=\"username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" "
             "spellcheck=\"false\" required");
  if (f.user_name.empty()) {
    out.append(" autofocus>\n");
  } else {
    out.append(" value=\"");
    html_escape_append(out, f.user_name);
    out.append("\">\n");
  }
  out.append("<label for=\"password\">Password</label>\n"
             "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required");
  if (!f.user_name.empty()) out.append(" autofocus");
  out.append(">\n<button type=\"submit\">Sign in</button>\n</form>\n");
  detail::page_tail(out);
  return out;
}

/// A page that explains a refused request in fixed words (never echoing the input).
inline std::string render_error_page(std::string_view title, std::string_view text) {
  std::string out;
  detail::page_head(out, title);
  out.append("<p>");
  html_escape_append(out, text);
  out.append("</p>\n");
  detail::page_tail(out);
  return out;
}

}  // namespace tessera::identity

#endif
