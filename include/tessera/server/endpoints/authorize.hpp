// tessera — server/endpoints/authorize.hpp
//
// The browser side of the authorization-code grant (RFC 6749 §4.1.1–4.1.2):
//   GET|POST /oauth2/authorize           validate; then, as the request and the user need it:
//                                        log in (the request kept in a sealed cookie, the
//                                        browser sent to `/login?redirect_url=/oauth2/authorize_callback`),
//                                        consent (303 to /oauth2/consent, consent.hpp), or a code
//   GET      /oauth2/authorize_callback  finish a kept request once the user has logged in
//
// Errors about the client or the redirect URI are shown as a page and never redirected
// (§4.1.2.1: the URI cannot be trusted); every other error goes back to the client's
// redirect URI with `error`, `state` and RFC 9207 `iss`. Redirect URIs match exactly, loopback
// IP literals on any port (RFC 8252 §7.3). PKCE: S256 only; required as the grant's policy says.
//
// `prompt` (OIDC Core §3.1.2.1) is a space-separated list of none, login, consent and
// select_account (a repeated value counts once); `none` stands alone; an unknown value is
// refused.
// A new login is needed for `prompt=login` or `select_account`, and for `max_age` when the
// session's `auth_time` is older (`max_age=0`: always). The kept request then carries the
// session's `login_id`, and the callback accepts only a user of ANOTHER login — a new
// session, which only a login starts — whatever the clock says (docs/security.md row 35:
// comparing whole seconds let an old session pass within the same second).
// Consent (docs/security.md row 37) is asked unless the person allowed this client these
// scopes before (remembered `consent_lifetime`) or the client is first-party; `prompt=consent`
// always asks; `prompt=none` answers `login_required` / `consent_required` instead of a page.
#ifndef TESSERA_SERVER_ENDPOINTS_AUTHORIZE_HPP
#define TESSERA_SERVER_ENDPOINTS_AUTHORIZE_HPP

#include <tessera/crypto/pkce.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/redirect_uri.hpp>
#include <tessera/http/sealed_cookie.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/oauth/scope.hpp>
#include <tessera/server/endpoints/token.hpp>
#include <tessera/server/grant_context.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>

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
  struct prompt_values {
    bool none = false, login = false, consent = false, select_account = false;
  } prompt;
  std::optional<seconds> max_age;  // OIDC `max_age`, when sent
};

namespace detail {

inline constexpr std::string_view authorize_callback_path = "/oauth2/authorize_callback";
inline constexpr std::string_view consent_path = "/oauth2/consent";
// In a kept request that needs a new login: the `login_id` of the session it started with
// ("-" for a user without one); the user coming back must be of another login (row 35).
inline constexpr std::string_view reauth_param = "tessera_reauth";
// The authorization parameters kept while the user logs in or decides (validated again when
// the request resumes).
inline constexpr std::string_view kept_params[] = {"client_id", "redirect_uri", "response_type", "scope", "state",
                                                   "code_challenge", "code_challenge_method", "nonce", "prompt", "max_age"};
// Longest `max_age` accepted, in digits: up to ~317 years, far past any session.
inline constexpr std::size_t max_age_digits = 10;

/// `prompt` as a set (OIDC Core §3.1.2.1): `prompt_unsupported` for an unknown value,
/// `prompt_none_combined` for `none` with another (a repeated value counts once).
inline authorization_request::prompt_values parse_prompt(std::string_view v, std::error_code& ec) {
  authorization_request::prompt_values p;
  std::size_t count = 0;
  for (std::string_view one : oauth::split_scope(v)) {
    bool* flag = one == "none"             ? &p.none
                 : one == "login"          ? &p.login
                 : one == "consent"        ? &p.consent
                 : one == "select_account" ? &p.select_account
                                           : nullptr;
    if (!flag) {
      ec = error::prompt_unsupported;
      return {};
    }
    *flag = true;
    ++count;
  }
  if (p.none && count > 1) {
    ec = error::prompt_none_combined;
    return {};
  }
  return p;
}

/// `max_age`: absent, or a whole number of seconds (`max_age_invalid` otherwise).
inline std::optional<seconds> parse_max_age(std::string_view v, std::error_code& ec) {
  if (v.empty()) return std::nullopt;
  // Digits only: from_chars would also take a sign ("-0").
  const bool digits = std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  std::int64_t n = 0;
  auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (!digits || v.size() > max_age_digits || err != std::errc{} || end != v.data() + v.size()) {
    ec = error::max_age_invalid;
    return std::nullopt;
  }
  return seconds{n};
}

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
  out.prompt = parse_prompt(p.get("prompt"), ec);
  if (ec) return out;
  out.max_age = parse_max_age(p.get("max_age"), ec);
  if (ec) return out;
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

/// Whether a login at `auth_time` is more than `max_age` ago (none known: it is). Compared in
/// whole seconds, so a `max_age` of any size cannot overflow the clock's nanoseconds.
inline bool older_than(time_point auth_time, seconds max_age, time_point now) {
  if (auth_time == time_point{}) return true;
  return std::chrono::duration_cast<seconds>(now - auth_time) > max_age;
}

/// Whether `u`, the user of the browser's session, must log in again for `a`.
inline bool needs_new_login(const authorization_request& a, const identity::user& u, time_point now) {
  if (a.prompt.login || a.prompt.select_account) return true;
  if (!a.max_age) return false;
  return a.max_age->count() == 0 || older_than(u.auth_time, *a.max_age, now);
}

/// Whether the client skips the consent page by the operator's choice (docs/security.md row 37).
inline bool first_party_skips_consent(const server_settings& st, const client& c, std::string_view redirect_uri) {
  if (!c.first_party) return false;
  if (c.is_public && http::is_native_app_redirect(redirect_uri)) return st.first_party_native_skips_consent;
  return true;
}

/// Whether `u` must be asked before `a` gets a code: `prompt=consent`, or no remembered
/// consent of `u` for this client that covers the scope. `ec`: store failures.
template <class Server>
bool needs_consent(const Server& s, const authorization_request& a, const identity::user& u, time_point now,
                   std::error_code& ec) {
  if (a.prompt.consent) return true;
  if (first_party_skips_consent(s.settings(), *a.who, a.redirect_uri)) return false;
  auto remembered = s.store().find_consent(u.subject, a.who->id, now, ec);
  if (ec || !remembered) return !ec;
  return !oauth::scope_within(a.scope, remembered->scope);
}

/// The sealed cookie that keeps the validated request while the user logs in or decides;
/// `reauth_from`: the session's `login_id` when a new login is needed (row 35).
template <class Server>
std::string keep_request(const Server& s, const transport::request_context& ctx, const http::parameters& params,
                         std::optional<std::string_view> reauth_from, std::error_code& ec) {
  http::parameters kept;
  for (auto name : kept_params)
    if (auto v = params.get(name); !v.empty()) kept.add(name, v);
  if (reauth_from) kept.add(reauth_param, reauth_from->empty() ? std::string_view("-") : *reauth_from);
  return s.identity().browser().seal_cookie(ctx, pending_cookie, http::form_encode(kept), pending_lifetime, s.now(), ec);
}

/// A kept request, reopened and checked again, with the user now in the browser.
struct resumed_request {
  authorization_request a;
  identity::user user;
};

/// Reopens the kept request (callback, consent page): the cookie must open, the request
/// validate again (clients may have changed), a user be logged in — of a new login when the
/// request asked for one (row 35), with an `auth_time` within `max_age` otherwise. Returns the
/// answer when one of these fails.
template <class Pkce, class Server>
std::optional<response> resume_request(const Server& s, const request& req, const transport::request_context& ctx,
                                       resumed_request& out) {
  const identity::browser& b = s.identity().browser();
  std::error_code ec;
  auto kept = b.open_cookie(req, ctx, pending_cookie, s.now(), ec);
  if (ec && ec != error::cookie_malformed) return b.error_page(req, ec);
  if (ec || !kept) return b.error_page(req, error::cookie_invalid);
  auto params = http::parse_form(*kept, ec);
  if (ec) return b.error_page(req, error::cookie_invalid);
  bool page = true;
  out.a = check_authorization<Pkce>(s, params, ec, page);
  if (ec) return page ? b.error_page(req, ec) : error_redirect(s, req, out.a, ec);
  auto user = s.identity().current_user(req, ctx, ec);
  if (ec) return error_redirect(s, req, out.a, ec);
  if (!user) return error_redirect(s, req, out.a, error::login_required);
  if (params.contains(reauth_param)) {
    if (user->login_id.empty() || user->login_id == params.get(reauth_param))
      return error_redirect(s, req, out.a, error::login_required);
  } else if (out.a.max_age && older_than(user->auth_time, *out.a.max_age, s.now())) {
    return error_redirect(s, req, out.a, error::login_required);
  }
  out.user = std::move(*user);
  return std::nullopt;
}

/// Adds the `Set-Cookie` that drops the kept request to `res`.
inline response& drop_kept_request(response& res, const identity::browser& b, const transport::request_context& ctx) {
  std::error_code ec;
  auto spent = b.expire_cookie(ctx, pending_cookie, ec);
  if (!ec) res.insert(transport::http::field::set_cookie, spent);
  return res;
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
  const time_point now = s.now();
  const bool new_login = user && detail::needs_new_login(a, *user, now);
  if (!user || new_login) {
    if (a.prompt.none) return detail::error_redirect(s, req, a, error::login_required);
    // Keep the request (sealed: the browser can neither read nor change it) while the user
    // logs in; the login page authenticates even with a session when told `prompt=login`.
    std::optional<std::string_view> reauth_from;
    if (new_login) reauth_from = user->login_id;
    auto pending = detail::keep_request(s, ctx, params, reauth_from, ec);
    if (ec) return detail::error_redirect(s, req, a, ec);
    auto res = identity::browser::see_other(req, std::string(s.identity().login_path()) + "?redirect_url=" +
                                                     http::form_encode_component(detail::authorize_callback_path) +
                                                     (new_login ? "&prompt=login" : ""));
    res.insert(transport::http::field::set_cookie, pending);
    return res;
  }
  const bool ask = detail::needs_consent(s, a, *user, now, ec);
  if (ec) return detail::error_redirect(s, req, a, ec);
  if (!ask) return detail::issue_code(s, req, a, *user);
  if (a.prompt.none) return detail::error_redirect(s, req, a, error::consent_required);
  auto pending = detail::keep_request(s, ctx, params, std::nullopt, ec);
  if (ec) return detail::error_redirect(s, req, a, ec);
  auto res = identity::browser::see_other(req, detail::consent_path);
  res.insert(transport::http::field::set_cookie, pending);
  return res;
}

/// GET /oauth2/authorize_callback.
template <class Pkce, grant_context Server>
response authorize_callback_endpoint(const Server& s, const request& req, const transport::request_context& ctx) {
  detail::resumed_request r;
  if (auto refused = detail::resume_request<Pkce>(s, req, ctx, r)) return std::move(*refused);
  std::error_code ec;
  const bool ask = detail::needs_consent(s, r.a, r.user, s.now(), ec);
  if (ec) return detail::error_redirect(s, req, r.a, ec);
  if (ask) return identity::browser::see_other(req, detail::consent_path);  // the kept request stays
  auto res = detail::issue_code(s, req, r.a, r.user);
  return detail::drop_kept_request(res, s.identity().browser(), ctx);
}

}  // namespace tessera::server

#endif
