// tessera — identity/html.hpp
//
// The HTML every browser-facing page of a deployment is built from: the login form, the
// identity layer's error pages, and the authorization server's device, consent and error
// pages. One page shell, one fixed stylesheet, so every page looks the same and one
// Content-Security-Policy (`page_csp`) covers them all. No JavaScript anywhere.
//
// Escaping: every interpolated value goes through `html_escape` (text and double-quoted
// attribute values alike), so a user name, a client id or a redirect URL can never close an
// attribute or open a tag. `render_page` takes its body as HTML the caller built that way.
//
// Styles: the only style is one inline `<style>` block (`page_style`); `page_style_hash()`
// is its CSP hash source (`'sha256-…'`, computed once), so the CSP needs no 'unsafe-inline'.
// Pages never contain a password, a session id or a store error; a CSRF token appears only in
// its hidden field, where the double-submit check needs it.
#ifndef TESSERA_IDENTITY_HTML_HPP
#define TESSERA_IDENTITY_HTML_HPP

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

/// The pages' one inline style block (its exact text is hashed into the CSP). `.actions`
/// lays out several buttons side by side (Approve / Deny); `.code` shows a user code.
inline constexpr std::string_view page_style =
    "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}"
    "main{max-width:22rem;margin:10vh auto;background:#fff;padding:2rem;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
    "h1{font-size:1.4rem;margin:0 0 1rem}"
    "label{display:block;margin:.8rem 0 .3rem}"
    "input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}"
    "input[type=checkbox]{width:auto;margin-right:.4rem}"
    "button{margin-top:1.2rem;width:100%;padding:.6rem;font-size:1rem}"
    ".actions{display:flex;gap:.6rem}"
    ".code{font-family:ui-monospace,monospace;font-size:1.2rem;letter-spacing:.1em}"
    ".error{color:#a00;background:#fdecea;padding:.6rem;border-radius:4px}";

/// `'sha256-<base64>'`: the CSP source that allows exactly `page_style`.
inline const std::string& page_style_hash() {
  static const std::string h = [] {
    auto d = crypto::sha256(page_style);
    return "'sha256-" + crypto::base64_encode(std::span<const unsigned char>(d.data(), d.size())) + "'";
  }();
  return h;
}

/// The Content-Security-Policy of every page: nothing loads or runs but the one style block;
/// forms may post only to this origin and to `form_action_sources` (a space-separated list —
/// browsers apply `form-action` to the redirects after a POST, so where a login or consent
/// ends must be there); no framing; no `<base>`.
inline std::string page_csp(std::string_view form_action_sources = {}) {
  std::string csp = "default-src 'none'; style-src ";
  csp.append(page_style_hash());
  csp.append("; form-action 'self'");
  if (!form_action_sources.empty()) csp.append(" ").append(form_action_sources);
  csp.append("; frame-ancestors 'none'; base-uri 'none'");
  return csp;
}

/// A whole page: `title` (escaped) as `<title>` and heading, then `body_html` as given.
inline std::string render_page(std::string_view title, std::string_view body_html) {
  std::string out;
  out.reserve(1024 + page_style.size() + body_html.size());
  out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
  html_escape_append(out, title);
  out.append("</title>\n<style>").append(page_style).append("</style>\n</head>\n<body>\n<main>\n<h1>");
  html_escape_append(out, title);
  out.append("</h1>\n").append(body_html).append("</main>\n</body>\n</html>\n");
  return out;
}

/// `<p>text</p>` (escaped); with `alert`, the notice style and `role="alert"`.
inline void paragraph_append(std::string& out, std::string_view text, bool alert = false) {
  out.append(alert ? "<p class=\"error\" role=\"alert\">" : "<p>");
  html_escape_append(out, text);
  out.append("</p>\n");
}

/// A page that explains a refused request in fixed words (never echoing the input).
inline std::string render_error_page(std::string_view title, std::string_view text) {
  std::string body;
  paragraph_append(body, text);
  return render_page(title, body);
}

}  // namespace tessera::identity

#endif
