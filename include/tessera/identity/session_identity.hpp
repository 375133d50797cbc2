// tessera — identity/session_identity.hpp
//
// `session_identity<Store, Clock, Authenticator>`: an identity policy (concepts.hpp) whose
// users log in through a browser and keep a session cookie. Identities differ only in how a
// person authenticates — the `Authenticator` policy (authenticator.hpp): a users file and a
// login form (`password_authenticator`, so `identity::local`), or an external IdP. The rest
// is here, the same for all of them:
//
//  * the browser layer (browser.hpp), owned here and lent to the authorization server through
//    `browser()`: one set of cookie keys, one cookie-naming rule, one CSP per deployment;
//  * sessions (session.hpp) in `Store`; `current_user` accepts a session only while the
//    authenticator still `recognizes` its user;
//  * the authenticator's pages (`install` registers them, with `login_services`), and:
//
//   GET  /logout?redirect_url=R  with a session: a page that asks "Sign out?" — a form that
//                                POSTs here (CSRF token, R) — and ends nothing: a GET can come
//                                from any site (an <img>, a link), so it must not log anyone out
//                                (docs/security.md row 36). Without a session: expires any stale
//                                cookie and 303s to R.
//   POST /logout                 form: csrf_token, redirect_url, and `forget_consents` when the
//                                store keeps consents (the server's consent page, row 37). With a
//                                valid token: deletes the session from the store (and the
//                                person's consents when asked), expires the cookie, 303 to R
//                                (default: the login page). A missing or wrong token: 403 and
//                                the page again, nothing ended. CSRF: the browser layer's double
//                                submit, cookie `tessera_logout`.
//   GET  /me                     401 {"error":"login_required"}, or the user as Flyte's /me
//                                answers (below).
//
// R, the `redirect_url`, is optional and must be a path on this server or an URL on the
// origin of one of `authorized_uris` (`browser::redirect_target`); anything else is a 400
// error page with no Location (docs/security.md row 8; Flyte follows it unchecked on /logout). After a
// login without one the browser goes to `default_redirect` (Flyte's `userAuth.redirectUrl`).
//
// Sessions of an external login carry the IdP's tokens (session.hpp). When the authenticator
// models `refreshes_upstream` (authenticator.hpp), `current_user` refreshes them at the IdP
// once they are stale — one refresh per session at a time in this process (the session is
// read again under a lock, so concurrent requests use the first one's result instead of
// spending the refresh token twice); a refusal ends the session (the person logs in again), an
// IdP that cannot be reached leaves it as it is until the next request. POST /logout then sends
// the browser on to `logout_location` (the IdP's end_session_endpoint) when there is one.
//
// /me answers Flyte's shape: `subject` and `additional_claims` always; `name`,
// `preferred_username`, `given_name`, `family_name`, `email`, `picture` only when the session
// has them as non-empty strings (absent members, never empty strings); other claims of the
// session go to `additional_claims`. Headers `X-User-Subject` and Flyte's `X-User-Claim-*`
// (`add_claim_headers`). `Cache-Control: no-store`. A store failure is 503
// (`temporarily_unavailable`), never mistaken for a logged-out user. A request that carries a
// token (`Bearer` or `IDToken` in `authorization` or `flyte-authorization`) is answered for the
// token's person instead of the session's (`session_identity_settings::token_headers`).
#ifndef TESSERA_IDENTITY_SESSION_IDENTITY_HPP
#define TESSERA_IDENTITY_SESSION_IDENTITY_HPP

#include <tessera/clock.hpp>
#include <tessera/error.hpp>
#include <tessera/http/headers.hpp>
#include <tessera/identity/authenticator.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/identity/login_page.hpp>
#include <tessera/identity/session.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <utility>
#include <vector>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::identity {

/// Run-time configuration of a `session_identity`, beside its authenticator's own.
struct session_identity_settings {
  browser_settings browser;                    // cookie keys, Secure rule, authorized URIs, CSP
  seconds session_lifetime{std::chrono::hours(8)};
  std::string default_redirect = "/console";   // Flyte `userAuth.redirectUrl`
  std::string login_path = "/login";
  std::string logout_path = "/logout";
  std::string me_path = "/me";
  /// Where sessions live: the store (default; logout ends a session everywhere), or sealed
  /// cookies only (no shared store needed; see session.hpp for what that costs).
  session_storage storage = session_storage::store;
  /// /me also answers for a token, as Flyte's IdentityService does: the first of these
  /// request headers (Flyte: `authorization`, and `httpAuthorizationHeader`,
  /// `flyte-authorization`) that carries `Bearer <token>` or `IDToken <token>` (other schemes
  /// are not looked at: the session answers). An `IDToken` goes to the
  /// authenticator when it vouches for ID tokens (an external IdP's); otherwise, and for
  /// `Bearer`, to `token_user` (e.g. a resource validator of the access tokens this deployment
  /// accepts). Without a way to check the token, or when it is refused: 401 `invalid_token`.
  std::vector<std::string> token_headers = {"authorization", "flyte-authorization"};
  std::function<std::optional<user>(std::string_view scheme, std::string_view token, std::error_code& ec)> token_user;
};

template <class Store, class Clock, class Authenticator>
class session_identity {
  static_assert(store::session_store<Store>,
                "tessera::identity::session_identity needs a store that models tessera::store::session_store");
  static_assert(tessera::clock<Clock>, "tessera::identity::session_identity needs a Clock that models tessera::clock");
  static_assert(identity::authenticator<Authenticator>,
                "tessera::identity::session_identity needs an Authenticator that models tessera::identity::authenticator");

 public:
  using authenticator_type = Authenticator;

  /// Checks the settings and builds the browser layer (throws `tessera::system_error`, see
  /// `check_browser_settings`; `parameter_invalid` for a path that does not start with '/' or
  /// holds '?' or '#', a non-positive session lifetime, or a `default_redirect` that is not a
  /// safe local redirect), then the authenticator from `authenticator_settings`. `store` and
  /// `clock` must outlive the identity; it must not move once `install`ed (handlers refer to it).
  session_identity(session_identity_settings settings, typename Authenticator::settings_type authenticator_settings,
                   Store& store, const Clock& clock = default_clock())
      : settings_(checked(std::move(settings))),
        browser_(settings_.browser),
        sessions_(store, browser_, settings_.session_lifetime, clock, settings_.storage),
        clock_(clock),
        authenticator_(std::move(authenticator_settings)),
        services_(*this) {}

  session_identity(const session_identity&) = delete;
  session_identity& operator=(const session_identity&) = delete;

  // --- identity_policy -------------------------------------------------------------------

  /// The user of the request's session; nullopt without one (see `session_manager::find`) or
  /// when the authenticator no longer recognizes its user. `ec`: store failures only.
  std::optional<user> current_user(const transport::request& req, const transport::request_context& ctx,
                                   std::error_code& ec) const {
    std::optional<user> u;
    if constexpr (refreshes_upstream<Authenticator>) {
      auto s = live_session(req, ctx, ec, nullptr);
      if (s) u = session_type::user_of(*s);
    } else {
      u = sessions_.current_user(req, ctx, ec);
    }
    if (!u || !authenticator_.recognizes(*u)) return std::nullopt;
    return u;
  }
  std::string_view login_path() const noexcept { return settings_.login_path; }
  const identity::browser& browser() const noexcept { return browser_; }
  /// Whether `u` is still a user of this identity (optional `identity_policy` hook): the
  /// authorization server asks before it refreshes tokens issued to `u`, so a person removed
  /// from the users file (or the IdP) stops getting new tokens.
  bool recognizes(const user& u) const { return authenticator_.recognizes(u); }

  /// Ends the request's session, if any (optional `identity_policy` hook: the authorization
  /// server's RP-initiated logout): the `Set-Cookie` value that removes the cookie. On a store
  /// failure `ec` is set, "" returned, and the session is still alive.
  set_cookie_lines end_session(const transport::request& req, const transport::request_context& ctx,
                               std::error_code& ec) const {
    return end_locked(req, ctx, ec);
  }

  /// Registers the authenticator's pages, GET/POST logout and GET me.
  void install(transport::router& r) const {
    authenticator_.install(r, services_);
    r.get(settings_.logout_path, [this](const transport::request& q, const transport::request_context& c) { return logout_page(q, c); });
    r.post(settings_.logout_path, [this](const transport::request& q, const transport::request_context& c) { return logout(q, c); });
    r.get(settings_.me_path, [this](const transport::request& q, const transport::request_context& c) { return me(q, c); });
  }

  // --- the pages (public so a server can mount them elsewhere) ----------------------------

  /// The logout form's CSRF cookie (plain-mode name; `__Host-tessera_logout` in secure mode).
  static constexpr std::string_view logout_csrf_cookie = "tessera_logout";
  /// Whether the store keeps consents, so logout can offer to forget them.
  static constexpr bool forgets_consents = store::consent_store<Store>;

  /// GET logout_path: the confirmation page, or (without a session) straight to the target.
  transport::response logout_page(const transport::request& req, const transport::request_context& ctx) const {
    auto redirect = browser_.redirect_target(req, settings_.login_path);
    if (!redirect) return browser_.redirect_refused(req);
    std::error_code ec;
    auto u = current_user(req, ctx, ec);
    if (ec) return services_.unavailable(req, ec);
    if (!u) {
      auto expired = sessions_.end(req, ctx, ec);
      auto res = identity::browser::see_other(req, *redirect);
      if (!ec) expired.add_to(res);
      return res;
    }
    return logout_form(req, ctx, transport::http::status::ok, browser::query_parameter(req, "redirect_url").value_or(""), {});
  }

  /// POST logout_path: ends the session when the form's CSRF token is right.
  transport::response logout(const transport::request& req, const transport::request_context& ctx) const {
    if (!identity::browser::is_form(req))
      return browser_.error_page(req, transport::http::status::unsupported_media_type, "Bad request",
                                 "The sign-out form was not sent as a form.");
    std::error_code ec;
    const auto form = http::parse_form(req.body(), ec);
    if (ec) return browser_.error_page(req, transport::http::status::bad_request, "Bad request", "The sign-out form could not be read.");
    const std::string_view redirect_field = form.get("redirect_url");
    const std::string_view redirect = redirect_field.empty() ? std::string_view(settings_.login_path) : redirect_field;
    if (!browser_.is_safe_redirect(redirect)) return browser_.redirect_refused(req);
    if (!browser_.csrf_valid(req, ctx, logout_csrf_cookie, form.get("csrf_token"), clock_.now()))  // csrf_token_invalid
      return logout_form(req, ctx, transport::http::status::forbidden, redirect_field,
                         "This sign-out form has expired or did not come from this site. Sign out again?");
    auto s = sessions_.find(req, ctx, ec);
    if (ec) return services_.unavailable(req, ec);
    std::string location(redirect);
    if constexpr (refreshes_upstream<Authenticator>) {
      // RP-initiated logout: on to the IdP, which sends the browser back (or shows its page).
      if (s && !s->upstream.empty()) {
        std::string at_idp = authenticator_.logout_location(s->upstream, redirect, ctx);
        if (!at_idp.empty()) location = std::move(at_idp);
      }
    }
    if constexpr (forgets_consents) {
      if (s && form.get("forget_consents") == "on") {
        sessions_.store().delete_consents(s->record.subject, ec);
        if (ec) return services_.unavailable(req, ec);
      }
    }
    auto expired = end_locked(req, ctx, ec);
    if (ec) return services_.unavailable(req, ec);
    auto res = identity::browser::see_other(req, location);
    expired.add_to(res);
    auto spent = browser_.csrf_spent(ctx, logout_csrf_cookie, ec);
    if (!ec) res.insert(transport::http::field::set_cookie, spent);
    return res;
  }

  /// GET me_path.
  transport::response me(const transport::request& req, const transport::request_context& ctx) const {
    std::error_code ec;
    std::optional<user> u;
    const auto presented = presented_token(req);
    if (presented) {
      u = token_user(presented->first, presented->second, ec);
      if (!u) {
        const condition c = condition_of(ec) == condition::temporarily_unavailable ? condition::temporarily_unavailable
                                                                                  : condition::invalid_token;
        boost::json::object body{{"error", wire_name(c)}};
        return json_response(req, static_cast<transport::http::status>(http_status(c)), body);
      }
    }
    set_cookie_lines cookies;  // a stateless session refreshed here travels back in cookies
    if (!presented) {
      if constexpr (refreshes_upstream<Authenticator>) {
        auto s = live_session(req, ctx, ec, &cookies);
        if (s) u = session_type::user_of(*s);
        if (u && !authenticator_.recognizes(*u)) u.reset();
      } else {
        u = current_user(req, ctx, ec);
      }
    }
    if (ec || !u) {
      const condition c = ec ? condition_of(ec) : condition::login_required;
      boost::json::object body{{"error", wire_name(c)}};
      auto res = json_response(req, ec ? static_cast<transport::http::status>(http_status(c)) : transport::http::status::unauthorized, body);
      cookies.add_to(res);
      return res;
    }
    auto res = json_response(req, transport::http::status::ok, me_document(*u));
    cookies.add_to(res);
    if (is_header_safe(u->subject)) res.set("X-User-Subject", u->subject);
    add_claim_headers(res, *u);
    return res;
  }

  /// Flyte's `X-User-Claim-<Name>` headers: each claim of `u` (name with '_' as '-'), its value
  /// as JSON; claims whose name is not a plain token or whose value exceeds 1,024 bytes are left
  /// out, and at most 32 are sent.
  static void add_claim_headers(transport::response& res, const user& u) {
    std::size_t sent = 0;
    for (const auto& [key, value] : u.claims) {
      if (sent == 32) break;
      if (key.empty() || key.size() > 64 || key == "sub") continue;
      std::string name = "X-User-Claim-";
      bool plain = true;
      bool upper = true;
      for (char c : std::string_view(key)) {
        if (c == '_' || c == '-') {
          name += '-';
          upper = true;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          name += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
          upper = false;
        } else {
          plain = false;
          break;
        }
      }
      std::string json = boost::json::serialize(value);
      if (!plain || json.size() > 1024 || !is_header_safe(json)) continue;
      res.set(name, json);
      ++sent;
    }
  }

  /// Flyte's /me document for `u` (shape in the header comment).
  static boost::json::object me_document(const user& u) {
    static constexpr std::string_view standard[] = {"name", "preferred_username", "given_name", "family_name", "email", "picture"};
    boost::json::object doc;
    doc["subject"] = u.subject;
    boost::json::object additional;
    for (const auto& [key, value] : u.claims) {
      const bool is_standard = std::find(std::begin(standard), std::end(standard), std::string_view(key)) != std::end(standard);
      if (!is_standard) {
        if (key != "sub") additional[key] = value;
      } else if (value.is_string() && !value.as_string().empty()) {
        doc[key] = value;
      }
    }
    doc["additional_claims"] = std::move(additional);
    return doc;
  }

  const session_identity_settings& settings() const noexcept { return settings_; }
  const session_manager<Store, Clock>& sessions() const noexcept { return sessions_; }
  const Authenticator& authenticator() const noexcept { return authenticator_; }
  /// What the authenticator's pages are given (to mount them elsewhere).
  const login_services& services() const noexcept { return services_; }

 protected:
  static const Clock& default_clock() {
    static const Clock c{};
    return c;
  }

 private:
  class services_impl final : public login_services {
   public:
    explicit services_impl(const session_identity& id) : id_(id) {}
    const identity::browser& browser() const noexcept override { return id_.browser_; }
    std::string_view login_path() const noexcept override { return id_.settings_.login_path; }
    std::string_view default_redirect() const noexcept override { return id_.settings_.default_redirect; }
    time_point now() const override { return id_.clock_.now(); }
    std::optional<user> current_user(const transport::request& req, const transport::request_context& ctx,
                                     std::error_code& ec) const override {
      return id_.current_user(req, ctx, ec);
    }
    set_cookie_lines start_session(const transport::request& req, const transport::request_context& ctx, const user& u,
                                   std::error_code& ec) const override {
      return start_session(req, ctx, u, {}, ec);
    }
    set_cookie_lines start_session(const transport::request& req, const transport::request_context& ctx, const user& u,
                                   std::string_view upstream, std::error_code& ec) const override {
      (void)id_.sessions_.end(req, ctx, ec);  // its expiring Set-Cookie is superseded by the new one
      if (ec) return {};
      return id_.sessions_.start(u, req, ctx, ec, upstream);
    }
    bool use_once(std::string_view key, time_point expires_at, std::error_code& ec) const override {
      ec = {};
      if constexpr (store::jti_store<Store>) {
        return id_.sessions_.store().use_once(key, expires_at, id_.clock_.now(), ec);
      } else {
        (void)key;
        (void)expires_at;
        return true;
      }
    }
    transport::response unavailable(const transport::request& req, const std::error_code& ec) const override {
      const auto status = condition_of(ec) == condition::temporarily_unavailable ? transport::http::status::service_unavailable
                                                                                 : transport::http::status::internal_server_error;
      return id_.browser_.error_page(req, status, "Sign-in unavailable", "Sign-in is unavailable right now. Please try again later.");
    }

   private:
    const session_identity& id_;
  };

  // The "Sign out?" page with a CSRF token (the browser's still-valid one is reused).
  transport::response logout_form(const transport::request& req, const transport::request_context& ctx,
                                  transport::http::status status, std::string_view redirect_url, std::string_view notice) const {
    std::error_code ec;
    auto csrf = browser_.csrf_token(req, ctx, logout_csrf_cookie, clock_.now(), ec);
    if (ec) return services_.unavailable(req, ec);
    auto res = browser_.page(req, status,
                             render_logout_page({settings_.logout_path, csrf.token, redirect_url, notice, forgets_consents}));
    if (!csrf.set_cookie.empty()) res.insert(transport::http::field::set_cookie, csrf.set_cookie);
    return res;
  }

  using session_type = session_manager<Store, Clock>;

  std::mutex& refresh_lock(std::string_view id_hash) const {
    return refresh_locks_[std::hash<std::string_view>{}(id_hash) % refresh_locks_.size()];
  }

  // Ends the request's session under its refresh lock, so a refresh in flight cannot write the
  // session back after it ended (the refresh reads it again under the same lock).
  set_cookie_lines end_locked(const transport::request& req, const transport::request_context& ctx,
                              std::error_code& ec) const {
    auto s = sessions_.find(req, ctx, ec);
    if (ec) return {};
    if (!s) return sessions_.end(req, ctx, ec);
    std::lock_guard lk(refresh_lock(s->id_hash));
    return sessions_.end(req, ctx, ec);
  }

  // The (scheme, token) of the first `token_headers` field that carries Bearer or IDToken;
  // nullopt when none does (another scheme, e.g. a proxy's Basic, leaves the session to answer).
  std::optional<std::pair<std::string, std::string>> presented_token(const transport::request& req) const {
    for (const auto& h : settings_.token_headers) {
      auto it = req.find(h);
      if (it == req.end()) continue;
      const std::string_view v = it->value();
      const auto sp = v.find(' ');
      if (sp == std::string_view::npos || sp + 1 >= v.size()) continue;
      std::string scheme(v.substr(0, sp));
      for (char& c : scheme) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      std::string_view token = v.substr(sp + 1);
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      if (scheme == "bearer") return std::pair<std::string, std::string>{"Bearer", std::string(token)};
      if (scheme == "idtoken") return std::pair<std::string, std::string>{"IDToken", std::string(token)};
    }
    return std::nullopt;
  }

  // The person a presented token names (see `session_identity_settings::token_headers`).
  std::optional<user> token_user(std::string_view scheme, std::string_view token, std::error_code& ec) const {
    ec = error::token_scheme_unsupported;
    if (scheme.empty() || token.empty()) return std::nullopt;
    if constexpr (requires(const Authenticator& a) { a.person_of_id_token(token, ec); }) {
      if (scheme == "IDToken") return authenticator_.person_of_id_token(token, ec);
    }
    if (settings_.token_user) return settings_.token_user(scheme, token, ec);
    return std::nullopt;
  }

  // The request's live session, its upstream tokens refreshed when stale (header comment).
  // Stateless sessions (`storage == cookies`) are refreshed only when `cookies` is given: the
  // new tokens must travel in the answer's cookies (the identity's own pages). A member
  // template, so that an explicit instantiation of the class leaves it out when the
  // authenticator refreshes nothing (clang 14 instantiates constrained members regardless).
  template <class A = Authenticator>
    requires refreshes_upstream<A>
  std::optional<typename session_type::session> live_session(const transport::request& req,
                                                            const transport::request_context& ctx,
                                                            std::error_code& ec, set_cookie_lines* cookies) const {
    auto s = sessions_.find(req, ctx, ec);
    if (!s || s->upstream.empty() || !authenticator_.upstream_stale(s->upstream, clock_.now())) return s;
    if (settings_.storage == session_storage::cookies && !cookies) return s;
    std::lock_guard lk(refresh_lock(s->id_hash));
    s = sessions_.find(req, ctx, ec);  // another request may have refreshed (or ended) it meanwhile
    if (!s || s->upstream.empty() || !authenticator_.upstream_stale(s->upstream, clock_.now())) return s;
    std::error_code idp_ec;
    auto next = authenticator_.refresh_upstream(s->upstream, clock_.now(), idp_ec);
    if (idp_ec) return s;  // the IdP could not be asked: keep the session, try again next time
    if (!next) {
      auto expired = sessions_.remove(*s, req, ctx, ec);
      if (cookies) *cookies = std::move(expired);
      return std::nullopt;
    }
    auto fresh = sessions_.replace_upstream(*s, *next, req, ctx, ec);
    if (ec) return std::nullopt;
    if (cookies) *cookies = std::move(fresh);
    return s;
  }

  static session_identity_settings checked(session_identity_settings s) {
    auto fail = [](std::string_view what) {
      throw tessera::system_error(error::parameter_invalid,
                                  "tessera::identity::session_identity_settings: " + std::string(what));
    };
    for (const auto* p : {&s.login_path, &s.logout_path, &s.me_path})
      if (p->empty() || p->front() != '/' || p->find_first_of("?#") != std::string::npos)
        fail("login_path, logout_path and me_path must start with '/' and hold no '?' or '#'");
    if (s.session_lifetime.count() <= 0) fail("session_lifetime must be positive");
    if (!http::is_safe_local_redirect(s.default_redirect, s.browser.authorized_uris))
      fail("default_redirect must be a path on this server or an URL on an authorized URI's origin");
    return s;
  }

  static bool is_header_safe(std::string_view v) noexcept {
    return std::none_of(v.begin(), v.end(), [](char ch) {
      auto c = static_cast<unsigned char>(ch);
      return (c < 0x20 && c != '\t') || c == 0x7f;
    });
  }

  static transport::response json_response(const transport::request& req, transport::http::status status,
                                           const boost::json::object& body) {
    auto res = transport::make_response(req, status, boost::json::serialize(body), "application/json");
    for (auto [name, value] : http::token_response_headers) res.set(name, value);
    return res;
  }

  session_identity_settings settings_;
  identity::browser browser_;
  session_manager<Store, Clock> sessions_;
  const Clock& clock_;
  Authenticator authenticator_;
  services_impl services_;
  mutable std::array<std::mutex, 16> refresh_locks_;
};

}  // namespace tessera::identity

#endif
