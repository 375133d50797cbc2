// tessera — server/endpoints/end_session.hpp
//
// tessera as an OpenID provider ends what it started: the `end_session_endpoint` of its
// discovery document (OpenID Connect RP-Initiated Logout 1.0), served when the identity can end
// sessions (`identity::ends_sessions`).
//
//   GET|POST /oauth2/logout   id_token_hint, client_id, post_logout_redirect_uri, state
//       (a POST as a form, §2). Checked before anything happens, each refusal a 400 page with
//       no redirect:
//         id_token_hint  an ID token this server signed (current or old key), `typ` JWT (an
//                        access token is no hint), `iss` this issuer, a `sub`; its `aud` names
//                        the client, and `client_id`, when also given, must be among them.
//                        Expired hints are accepted (§2: the RP's copy is usually old).
//                        `id_token_hint_invalid` otherwise.
//         post_logout_redirect_uri   only for a known client (`client_id` or the hint's) and
//                        only when registered for it, exactly (`post_logout_redirect_uris`);
//                        `post_logout_redirect_uri_unregistered` otherwise.
//       Then: when the hint names the person of the browser's session and was issued since
//       that person authenticated (an old ID token, perhaps leaked through a URL or a history,
//       does not), the session ends at once; otherwise (no hint, another person, an older
//       hint) a confirmation page asks
//       "Sign out?" — a GET from any site must not log anyone out (docs/security.md row 36).
//       Without a session nothing ends, and the browser goes on at once.
//       Ended: 303 to the post_logout_redirect_uri with `state` echoed, or a "Signed out" page.
//   POST /oauth2/logout with `csrf_token` (the confirmation form): the same parameters again,
//       checked again; CSRF by the browser layer's double submit (cookie `tessera_end_session`);
//       a wrong token shows the page again and ends nothing.
//
// Only tessera's own session ends here; a person who logged in through an external IdP is
// still logged in there (its own logout does that: identity/oidc.hpp).
#ifndef TESSERA_SERVER_ENDPOINTS_END_SESSION_HPP
#define TESSERA_SERVER_ENDPOINTS_END_SESSION_HPP

#include <tessera/error.hpp>
#include <tessera/http/form.hpp>
#include <tessera/http/redirect_uri.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/identity/html.hpp>
#include <tessera/jose/jws.hpp>
#include <tessera/server/client.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::server {

namespace detail {

inline constexpr std::string_view end_session_csrf_cookie = "tessera_end_session";

/// A checked end-session request.
struct end_session_request {
  const client* who = nullptr;       // from client_id or the hint; null: unknown
  std::string hint_subject;          // the hint's `sub`; empty without a hint
  std::optional<time_point> hint_issued_at;  // the hint's `iat`
  std::string post_logout_redirect_uri;
  std::string state;
  std::string id_token_hint;         // as given, for the confirmation form
};

/// Checks the parameters (header comment); on failure `ec` and an empty request.
template <class Server>
end_session_request check_end_session(const Server& s, const http::parameters& p, std::error_code& ec) {
  ec = {};
  end_session_request r;
  const std::string_view client_id = p.get("client_id");
  if (!client_id.empty()) {
    r.who = s.clients().find(client_id);
    if (!r.who) {
      ec = error::client_unknown;
      return {};
    }
  }
  r.id_token_hint = std::string(p.get("id_token_hint"));
  if (!r.id_token_hint.empty()) {
    jose::jws_verify_options opt;
    opt.required_typ = "JWT";
    std::error_code vec;
    const auto keys = s.keys();  // the result points into the set
    auto jws = jose::verify_jws(r.id_token_hint, keys->verification_keys(), opt, vec);
    boost::json::object claims;
    if (!vec) {
      std::error_code pec;
      auto v = boost::json::parse(jws.payload, pec);
      if (!pec && v.is_object()) claims = std::move(v.get_object());
    }
    const auto* iss = claims.if_contains("iss");
    const auto* sub = claims.if_contains("sub");
    const auto* aud = claims.if_contains("aud");
    std::vector<std::string_view> audiences;
    if (aud && aud->is_string()) audiences.push_back(aud->get_string());
    if (aud && aud->is_array())
      for (const auto& a : aud->get_array())
        if (a.is_string()) audiences.push_back(a.get_string());
    if (vec || !iss || !iss->is_string() || iss->get_string() != s.settings().issuer || !sub || !sub->is_string() ||
        sub->get_string().empty() || audiences.empty()) {
      ec = error::id_token_hint_invalid;
      return {};
    }
    if (r.who) {
      if (std::find(audiences.begin(), audiences.end(), std::string_view(r.who->id)) == audiences.end()) {
        ec = error::id_token_hint_invalid;
        return {};
      }
    } else {
      r.who = s.clients().find(audiences.front());  // tessera's ID tokens name one client
    }
    r.hint_subject = std::string(sub->get_string());
    if (const auto* iat = claims.if_contains("iat"); iat && iat->is_int64()) r.hint_issued_at = from_unix_seconds(iat->get_int64());
  }
  const std::string_view redirect = p.get("post_logout_redirect_uri");
  if (!redirect.empty()) {
    const auto& allowed = r.who ? r.who->post_logout_redirect_uris : std::vector<std::string>{};
    if (std::find(allowed.begin(), allowed.end(), redirect) == allowed.end()) {
      ec = error::post_logout_redirect_uri_unregistered;
      return {};
    }
    r.post_logout_redirect_uri = std::string(redirect);
  }
  const std::string_view state = p.get("state");
  if (state.size() > 2048) {
    ec = error::parameter_too_long;
    return {};
  }
  r.state = std::string(state);
  return r;
}

inline std::string render_end_session_page(std::string_view action, std::string_view csrf, const end_session_request& r,
                                           std::string_view issuer, std::string_view notice) {
  std::string body;
  if (!notice.empty()) identity::paragraph_append(body, notice, true);
  identity::paragraph_append(body, "Sign out of " + std::string(issuer) + "?");
  body.append("<form method=\"post\" action=\"");
  identity::html_escape_append(body, action);
  body.append("\">\n");
  auto hidden = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    body.append("<input type=\"hidden\" name=\"");
    identity::html_escape_append(body, name);
    body.append("\" value=\"");
    identity::html_escape_append(body, value);
    body.append("\">\n");
  };
  hidden("csrf_token", csrf);
  hidden("id_token_hint", r.id_token_hint);
  if (r.who) hidden("client_id", r.who->id);
  hidden("post_logout_redirect_uri", r.post_logout_redirect_uri);
  hidden("state", r.state);
  body.append("<div class=\"actions\"><button type=\"submit\" name=\"confirm\" value=\"yes\">Sign out</button></div>\n</form>\n");
  return identity::render_page("Sign out", body);
}

template <class Server>
transport::response end_session_confirm_page(const Server& s, const transport::request& req, const transport::request_context& ctx,
                                             const end_session_request& r, transport::http::status status,
                                             std::string_view notice) {
  const identity::browser& b = s.identity().browser();
  std::error_code ec;
  auto csrf = b.csrf_token(req, ctx, end_session_csrf_cookie, s.now(), ec);
  if (ec) return b.error_page(req, ec);
  auto res = b.page(req, status, render_end_session_page("/oauth2/logout", csrf.token, r, s.settings().issuer, notice));
  if (!csrf.set_cookie.empty()) res.insert(transport::http::field::set_cookie, csrf.set_cookie);
  return res;
}

template <class Server>
transport::response end_session_now(const Server& s, const transport::request& req, const transport::request_context& ctx,
                                    const end_session_request& r) {
  const identity::browser& b = s.identity().browser();
  std::error_code ec;
  identity::set_cookie_lines expired = s.identity().end_session(req, ctx, ec);
  if (ec) return b.error_page(req, ec);
  transport::response res;
  if (!r.post_logout_redirect_uri.empty()) {
    http::parameters extra;
    if (!r.state.empty()) extra.add("state", r.state);
    res = identity::browser::see_other(req, http::append_query_parameters(r.post_logout_redirect_uri, extra));
  } else {
    std::string body;
    identity::paragraph_append(body, "You are signed out.");
    res = b.page(req, transport::http::status::ok, identity::render_page("Signed out", body));
  }
  expired.add_to(res);
  return res;
}

}  // namespace detail

/// GET|POST /oauth2/logout (header comment).
template <class Server>
transport::response end_session_endpoint(const Server& s, const transport::request& req, const transport::request_context& ctx) {
  const identity::browser& b = s.identity().browser();
  std::error_code ec;
  http::parameters params;
  const bool post = req.method() == transport::http::verb::post;
  if (post) {
    if (!identity::browser::is_form(req)) return b.error_page(req, error::form_malformed);
    params = http::parse_form(req.body(), ec);
  } else {
    params = identity::browser::query(req, ec);
  }
  if (ec) return b.error_page(req, ec);
  auto r = detail::check_end_session(s, params, ec);
  if (ec) return b.error_page(req, ec);
  if (post && params.contains("csrf_token")) {
    if (!b.csrf_valid(req, ctx, detail::end_session_csrf_cookie, params.get("csrf_token"), s.now()))
      return detail::end_session_confirm_page(s, req, ctx, r, transport::http::status::forbidden,
                                              "This sign-out form has expired or did not come from this site. Sign out again?");
    auto res = detail::end_session_now(s, req, ctx, r);
    auto spent = b.csrf_spent(ctx, detail::end_session_csrf_cookie, ec);
    if (!ec) res.insert(transport::http::field::set_cookie, spent);
    return res;
  }
  auto u = s.identity().current_user(req, ctx, ec);
  if (ec) return b.error_page(req, ec);
  // At once only for a hint of this person issued during this session: an old ID token (they
  // travel in URLs and histories) only gets the confirmation page.
  if (u && !r.hint_subject.empty() && u->subject == r.hint_subject && r.hint_issued_at &&
      *r.hint_issued_at + seconds(60) >= u->auth_time)
    return detail::end_session_now(s, req, ctx, r);
  if (!u) return detail::end_session_now(s, req, ctx, r);  // nobody to sign out: on to the RP
  return detail::end_session_confirm_page(s, req, ctx, r, transport::http::status::ok, {});
}

}  // namespace tessera::server

#endif
