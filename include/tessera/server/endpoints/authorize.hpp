// tessera — server/endpoints/authorize.hpp
//
// The browser side of the authorization-code grant (RFC 6749 §4.1.1–4.1.2):
//   GET|POST /oauth2/authorize           validate, then issue a code — or, without a session,
//                                        keep the request in a sealed cookie and send the
//                                        browser to `/login?redirect_url=/oauth2/authorize_callback`
//   GET      /oauth2/authorize_callback  finish a kept request once the user has logged in
//
// Errors about the client or the redirect URI are shown as a page and never redirected
// (§4.1.2.1: the URI cannot be trusted); every other error goes back to the client's
// redirect URI with `error`, `state` and RFC 9207 `iss`. Redirect URIs match exactly, loopback
// IP literals on any port (RFC 8252 §7.3). PKCE: S256 only; required as the grant's policy says.
#ifndef TESSERA_SERVER_ENDPOINTS_AUTHORIZE_HPP
#define TESSERA_SERVER_ENDPOINTS_AUTHORIZE_HPP

#include <tessera/crypto/pkce.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/redirect_uri.hpp>
#include <tessera/http/sealed_cookie.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/server/endpoints/token.hpp>
#include <tessera/server/grant_context.hpp>

#include <boost/json/serialize.hpp>

#include <charconv>

namespace tessera::server {

/// An authorization request that passed every check.
struct authorization_request {
  const client* who = nullptr;
  std::string redirect_uri;       // where to send the browser
  bool redirect_uri_sent = false; // the token request must then repeat it (§4.1.3)
  std::string scope;
  std::string state;
  std::string code_challenge;
  std::string nonce;
  std::string prompt;
};

namespace detail {

inline constexpr std::string_view authorize_callback_path = "/oauth2/authorize_callback";
// In the kept request of a `prompt=login` authorization: the unix time the login must follow.
inline constexpr std::string_view login_after_param = "tessera_login_after";

// The kept request while the user logs in (named by mode: `__Host-tessera_authz` over TLS).
inline constexpr std::string_view pending_cookie = "tessera_authz";
inline constexpr seconds pending_lifetime{15 * 60};

/// Validates an authorization request. `page` is set when the error must be shown rather
/// than redirected. `Pkce::applies_to(client)` says whether a challenge is required.
template <class Pkce, class Server>
authorization_request check_authorization(const Server& s, const http::parameters& p, std::error_code& ec, bool& page) {
  authorization_request out;
  page = true;
  std::string_view client_id = p.required("client_id", ec);
  if (ec) return out;
  out.who = s.clients().find(client_id);
  if (!out.who) {
    ec = error::client_unknown;
    return out;
  }
  if (auto requested = p.get("redirect_uri"); !requested.empty()) {
    http::match_redirect_uri(requested, out.who->redirect_uris, ec);
    if (ec) return out;
    out.redirect_uri = std::string(requested);
    out.redirect_uri_sent = true;
  } else if (out.who->redirect_uris.size() == 1) {
    out.redirect_uri = out.who->redirect_uris.front();
  } else {
    ec = error::redirect_uri_missing;
    return out;
  }
  page = false;  // from here on, errors go back to the client
  // docs/security.md row 21: what is kept (sealed cookie, code record) has a bounded size. A
  // `state` too long is not echoed in the error redirect either.
  if (p.get("state").size() > store::limits::state || p.get("nonce").size() > store::limits::nonce) {
    ec = error::parameter_too_long;
    return out;
  }
  out.state = std::string(p.get("state"));
  out.nonce = std::string(p.get("nonce"));
  out.prompt = std::string(p.get("prompt"));
  if (p.get("response_type") != "code" || !out.who->allows_response_type("code")) {
    ec = error::response_type_unsupported;
    return out;
  }
  if (!out.who->allows_grant("authorization_code")) {
    ec = error::client_grant_not_allowed;
    return out;
  }
  if (p.contains("request") || p.contains("request_uri")) {
    ec = error::parameter_invalid;  // request objects are not supported
    return out;
  }
  std::string_view challenge = p.get("code_challenge");
  std::string_view method = p.get("code_challenge_method");
  if (!challenge.empty()) {
    // RFC 7636 §4.3 makes an absent method mean `plain`, which is refused (docs/security.md row 6).
    crypto::pkce::parse_method(method.empty() ? std::string_view("plain") : method, ec);
    if (ec) return out;
    crypto::pkce::check_s256_challenge(challenge, ec);
    if (ec) return out;
    out.code_challenge = std::string(challenge);
  } else if (!method.empty()) {
    ec = error::pkce_missing;
    return out;
  } else if (Pkce::applies_to(*out.who)) {
    ec = error::pkce_missing;
    return out;
  }
  out.scope = s.granted_scope(*out.who, p.get("scope"), ec);
  return out;
}

/// The redirect back to the client with an error (§4.1.2.1, RFC 9207 `iss`).
template <class Server>
response error_redirect(const Server& s, const request& req, const authorization_request& a, std::error_code ec) {
  http::parameters q;
  q.add("error", wire_name(condition_of(ec)));
  if (ec.category() == error_category()) q.add("error_description", description(static_cast<error>(ec.value())));
  if (!a.state.empty()) q.add("state", a.state);
  q.add("iss", s.settings().issuer);
  return identity::browser::see_other(req, http::append_query_parameters(a.redirect_uri, q));
}

/// Issues a code for `user` and redirects to the client.
template <class Server>
response issue_code(const Server& s, const request& req, const authorization_request& a, const identity::user& u) {
  // RFC 9068 §5: a person named like a client would get tokens a resource server takes for
  // that client's own.
  if (s.clients().find(u.subject)) return error_redirect(s, req, a, error::subject_is_client_id);
  const time_point now = s.now();
  store::code_record rec;
  rec.grant.client_id = a.who->id;
  rec.grant.subject = u.subject;
  rec.grant.scope = a.scope;
  rec.grant.family_id = s.new_family_id();
  rec.grant.user_claims = boost::json::serialize(u.claims);
  rec.grant.auth_time = u.auth_time;
  rec.redirect_uri = a.redirect_uri_sent ? a.redirect_uri : std::string();
  rec.code_challenge = a.code_challenge;
  rec.nonce = a.nonce;
  rec.expires_at = now + s.settings().authorization_code_lifespan;
  const std::string code = crypto::random_token<32>();
  std::error_code ec;
  s.store().put_code(store::token_hash(code), rec, ec);
  if (ec) return error_redirect(s, req, a, ec);
  http::parameters q;
  q.add("code", code);
  if (!a.state.empty()) q.add("state", a.state);
  q.add("iss", s.settings().issuer);
  return identity::browser::see_other(req, http::append_query_parameters(a.redirect_uri, q));
}

}  // namespace detail

/// GET|POST /oauth2/authorize, for the code grant with PKCE policy `Pkce`.
template <class Pkce, grant_context Server>
response authorize_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  const identity::browser& b = s.identity().browser();
  std::error_code ec;
  http::parameters params;
  if (req.method() == transport::http::verb::post) {
    params = detail::client_form(req, ec);
  } else {
    params = identity::browser::query(req, ec);
  }
  if (ec) return b.error_page(req, ec);
  bool page = true;
  auto a = detail::check_authorization<Pkce>(s, params, ec, page);
  if (ec) return page ? b.error_page(req, ec) : detail::error_redirect(s, req, a, ec);

  auto user = s.identity().current_user(req, ctx, ec);
  if (ec) return detail::error_redirect(s, req, a, ec);
  if (user && a.prompt != "login") return detail::issue_code(s, req, a, *user);
  if (a.prompt == "none") return detail::error_redirect(s, req, a, error::login_required);

  // Keep the request (sealed: the browser can neither read nor change it) while the user
  // logs in. Only the validated parameters are kept.
  http::parameters kept;
  for (auto name : {"client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
                    "code_challenge_method", "nonce"})
    if (auto v = params.get(name); !v.empty()) kept.add(name, v);
  // prompt=login: the user must authenticate after this moment, even with a session; the
  // callback checks the login's auth_time against it.
  const bool reauthenticate = a.prompt == "login";
  if (reauthenticate) kept.add(detail::login_after_param, std::to_string(to_unix_seconds(s.now())));
  auto pending = b.seal_cookie(ctx, detail::pending_cookie, http::form_encode(kept), detail::pending_lifetime, s.now(), ec);
  if (ec) return detail::error_redirect(s, req, a, ec);
  auto res = identity::browser::see_other(req, std::string(s.identity().login_path()) + "?redirect_url=" +
                                                   http::form_encode_component(detail::authorize_callback_path) +
                                                   (reauthenticate ? "&prompt=login" : ""));
  res.insert(transport::http::field::set_cookie, pending);
  return res;
}

/// GET /oauth2/authorize_callback.
template <class Pkce, grant_context Server>
response authorize_callback_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  const identity::browser& b = s.identity().browser();
  std::error_code ec;
  auto kept = b.open_cookie(req, ctx, detail::pending_cookie, s.now(), ec);
  if (ec && ec != error::cookie_malformed) return b.error_page(req, ec);
  if (ec || !kept) return b.error_page(req, error::cookie_invalid);
  auto params = http::parse_form(*kept, ec);
  if (ec) return b.error_page(req, error::cookie_invalid);

  bool page = true;
  auto a = detail::check_authorization<Pkce>(s, params, ec, page);  // clients may have changed
  if (ec) return page ? b.error_page(req, ec) : detail::error_redirect(s, req, a, ec);
  auto user = s.identity().current_user(req, ctx, ec);
  if (ec) return detail::error_redirect(s, req, a, ec);
  if (!user) return detail::error_redirect(s, req, a, error::login_required);
  if (auto after = params.get(detail::login_after_param); !after.empty()) {
    // prompt=login: a session older than the authorization request does not count.
    std::int64_t t = 0;
    auto [end, err] = std::from_chars(after.data(), after.data() + after.size(), t);
    if (err != std::errc{} || end != after.data() + after.size() || user->auth_time == time_point{} ||
        to_unix_seconds(user->auth_time) < t)
      return detail::error_redirect(s, req, a, error::login_required);
  }
  auto res = detail::issue_code(s, req, a, *user);
  auto spent = b.expire_cookie(ctx, detail::pending_cookie, ec);
  if (!ec) res.insert(transport::http::field::set_cookie, spent);
  return res;
}

}  // namespace tessera::server

#endif
