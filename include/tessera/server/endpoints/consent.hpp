// tessera — server/endpoints/consent.hpp
//
// The consent page of the authorization-code grant (docs/security.md row 37; RFC 6749 §10.2,
// RFC 8252 §8.6, RFC 9700 §4.1): before a client gets a code, the person sees who asks, for
// what, and where the answer goes, and approves or denies.
//
//   GET  /oauth2/consent   the page for the kept authorization request (authorize.hpp keeps it
//                          in a sealed cookie): client, scopes in words, the redirect target
//                          (a loopback or private-use one named as "an application on this
//                          computer"), the signed-in user; Approve / Deny. No JavaScript.
//   POST /oauth2/consent   form: csrf_token, decision=approve|deny.
//                          approve: the consent is remembered (per person and client: the
//                          union of what they allowed, `consent_lifetime`) and the code issued;
//                          deny: `access_denied` to the redirect URI. Either way the kept
//                          request is spent, so the answer cannot be replayed.
//
// The request shown is the kept one, validated again on each step (the browser can neither
// read nor change it), for the user logged in now — of a new login when the request asked for
// one. CSRF: the browser layer's double submit with cookie `tessera_consent` (SameSite=Strict,
// `__Host-` over TLS); a missing or wrong token shows the page again with a fresh token and
// decides nothing. The page cannot be framed (`frame-ancestors 'none'`, X-Frame-Options), so
// a page of another site cannot trick a click on Approve.
#ifndef TESSERA_SERVER_ENDPOINTS_CONSENT_HPP
#define TESSERA_SERVER_ENDPOINTS_CONSENT_HPP

#include <tessera/http/redirect_uri.hpp>
#include <tessera/identity/html.hpp>
#include <tessera/oauth/scope.hpp>
#include <tessera/server/endpoints/authorize.hpp>
#include <tessera/server/grant_context.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace tessera::server {

namespace detail {

/// The consent form's CSRF cookie (named by mode: `__Host-tessera_consent` over TLS).
inline constexpr std::string_view consent_csrf_cookie = "tessera_consent";

/// What a scope lets the client do, in words for the consent page ("" for a scope without).
inline std::string_view scope_words(std::string_view scope) noexcept {
  if (scope == "openid") return "Know who you are";
  if (scope == "profile") return "See your name and profile";
  if (scope == "email") return "See your email address";
  if (scope == "offline" || scope == "offline_access") return "Stay connected when you are not using it";
  if (scope == "all") return "Act as you in Flyte: everything you can do";
  return {};
}

/// Where the answer goes, as the page names it.
inline std::string consent_destination(std::string_view redirect_uri) {
  if (http::is_native_app_redirect(redirect_uri)) return "an application on this computer (" + std::string(redirect_uri) + ")";
  auto u = boost::urls::parse_absolute_uri(redirect_uri);
  if (!u) return std::string(redirect_uri);
  return std::string(u->scheme()) + "://" + std::string(u->encoded_host_and_port());
}

struct consent_view {
  std::string_view client_id;
  std::string_view scope;          // granted scope, space-separated
  std::string_view redirect_uri;
  std::string_view user;           // who is signed in
  std::string_view csrf_token;
  std::string_view notice;         // a fixed notice ("" for none)
};

inline std::string render_consent_page(const consent_view& v) {
  std::string html;
  html.reserve(2048);
  if (!v.notice.empty()) identity::paragraph_append(html, v.notice, true);
  html += "<p>The application <strong>";
  identity::html_escape_append(html, v.client_id);
  html += "</strong> asks to act as <strong>";
  identity::html_escape_append(html, v.user);
  html += "</strong>.</p>\n";
  const auto scopes = oauth::split_scope(v.scope);
  if (scopes.empty()) {
    identity::paragraph_append(html, "It asks for no particular permission.");
  } else {
    html += "<p>It will be able to:</p>\n<ul>\n";
    for (auto one : scopes) {
      html += "<li>";
      auto words = scope_words(one);
      identity::html_escape_append(html, words.empty() ? one : words);
      if (!words.empty()) {
        html += " <small>(";
        identity::html_escape_append(html, one);
        html += ")</small>";
      }
      html += "</li>\n";
    }
    html += "</ul>\n";
  }
  identity::paragraph_append(html, "Your answer goes to " + consent_destination(v.redirect_uri) +
                                       ". Allow only if you started this yourself.");
  html += "<form method=\"post\" action=\"";
  identity::html_escape_append(html, consent_path);
  html += "\">\n<input type=\"hidden\" name=\"csrf_token\" value=\"";
  identity::html_escape_append(html, v.csrf_token);
  html += "\">\n<div class=\"actions\"><button name=\"decision\" value=\"approve\">Allow</button> "
          "<button name=\"decision\" value=\"deny\">Deny</button></div>\n</form>\n";
  return identity::render_page("Allow access?", html);
}

/// The consent page for `r`, with a CSRF token (the browser's still-valid one is reused).
template <class Server>
response consent_page(const Server& s, const request& req, const transport::request_context& ctx, const resumed_request& r,
                      transport::http::status status, std::string_view notice) {
  const identity::browser& b = s.identity().browser();
  std::error_code ec;
  auto csrf = b.csrf_token(req, ctx, consent_csrf_cookie, s.now(), ec);
  if (ec) return b.error_page(req, ec);
  auto name = r.user.claims.if_contains("preferred_username");
  std::string_view user = name && name->is_string() ? std::string_view(name->as_string()) : std::string_view(r.user.subject);
  auto res = b.page(req, status, render_consent_page({r.a.who->id, r.a.scope, r.a.redirect_uri, user, csrf.token, notice}));
  if (!csrf.set_cookie.empty()) res.insert(transport::http::field::set_cookie, csrf.set_cookie);
  return res;
}

/// Remembers that `u` allowed `who` `scope` (with what they allowed it before).
template <class Server>
void remember_consent(const Server& s, const identity::user& u, const client& who, std::string_view scope, time_point now,
                      std::error_code& ec) {
  const seconds lifetime = s.settings().consent_lifetime;
  if (lifetime.count() <= 0) return;
  std::vector<std::string_view> all = oauth::split_scope(scope);
  auto before = s.store().find_consent(u.subject, who.id, now, ec);
  if (ec) return;
  if (before)
    for (auto one : oauth::split_scope(before->scope))
      if (who.allows_scope(one) && std::find(all.begin(), all.end(), one) == all.end()) all.push_back(one);
  store::consent_record rec;
  rec.scope = oauth::join_scope(all);
  rec.granted_at = now;
  rec.expires_at = now + lifetime;
  s.store().put_consent(u.subject, who.id, rec, ec);
}

}  // namespace detail

/// GET /oauth2/consent.
template <class Pkce, grant_context Server>
response consent_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  detail::resumed_request r;
  if (auto refused = detail::resume_request<Pkce>(s, req, ctx, r)) return std::move(*refused);
  return detail::consent_page(s, req, ctx, r, transport::http::status::ok, {});
}

/// POST /oauth2/consent.
template <class Pkce, grant_context Server>
response consent_decision_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  const identity::browser& b = s.identity().browser();
  if (!identity::browser::is_form(req)) return b.error_page(req, error::form_malformed);
  std::error_code ec;
  auto form = http::parse_form(req.body(), ec);
  if (ec) return b.error_page(req, ec);
  detail::resumed_request r;
  if (auto refused = detail::resume_request<Pkce>(s, req, ctx, r)) return std::move(*refused);
  const time_point now = s.now();
  if (!b.csrf_valid(req, ctx, detail::consent_csrf_cookie, form.get("csrf_token"), now))  // csrf_token_invalid
    return detail::consent_page(s, req, ctx, r, transport::http::status::forbidden,
                                "This form has expired or did not come from this site. Please decide again.");
  const auto decision = form.get("decision");
  if (decision != "approve" && decision != "deny") return b.error_page(req, error::parameter_invalid);

  response res;
  if (decision == "deny") {
    res = detail::error_redirect(s, req, r.a, error::consent_denied);
  } else {
    detail::remember_consent(s, r.user, *r.a.who, r.a.scope, now, ec);
    res = ec ? detail::error_redirect(s, req, r.a, ec) : detail::issue_code(s, req, r.a, r.user);
  }
  detail::drop_kept_request(res, b, ctx);
  auto spent = b.csrf_spent(ctx, detail::consent_csrf_cookie, ec);
  if (!ec) res.insert(transport::http::field::set_cookie, spent);
  return res;
}

}  // namespace tessera::server

#endif
