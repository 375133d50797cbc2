// tessera — identity/authenticator.hpp
//
// How a person proves who they are, as a policy of `session_identity` (session_identity.hpp).
// Everything else about a browser login — the browser layer, sessions, `current_user`,
// /logout, /me — is `session_identity`'s and the same for every identity; an Authenticator
// only installs its login pages and, when someone has authenticated, asks for a session.
//
// A type A models `authenticator` when, for `const A& a`, `transport::router& r`,
// `const login_services& s` and `const user& u`:
//
//   typename A::settings_type;  A{settings_type}
//       its run-time configuration; `session_identity` builds the authenticator in place from
//       it (authenticators may hold mutexes and so need not move)
//   a.install(r, s)
//       registers its login pages at `s.login_path()`, and any others it needs (an IdP's
//       `/callback`). `s` outlives `a`'s handlers. The pages must honour `redirect_url`
//       (`s.browser().redirect_target`), `prompt=login` (authenticate again even with a session),
//       use the browser layer for every page, redirect and CSRF check, and on success answer
//       with `s.start_session(...)`'s cookie and a 303 to the redirect target
//   a.recognizes(u) -> bool
//       whether a session's user is still one this authenticator would log in; false ends
//       the session at its next use (a user removed from the users file; an IdP-backed
//       authenticator answers true, the IdP having vouched for the user at login)
//
// An authenticator whose sessions hold an identity provider's tokens (`upstream`, given to
// `login_services::start_session`) may also model `refreshes_upstream`:
//
//   a.upstream_stale(upstream, now) -> bool
//       whether the session's IdP tokens need refreshing before the session is used
//   a.refresh_upstream(upstream, now, ec) -> std::optional<std::string>
//       asks the IdP; the new upstream value, or nullopt with `ec` clear when the IdP refused
//       (the session ends: the person logs in again), or with `ec` set when it could not be
//       asked (the session stays, unrefreshed, and the next use tries again)
//   a.logout_location(upstream, redirect, ctx) -> std::string
//       where the browser goes after its session ended ("" = `redirect`): the IdP's
//       end_session_endpoint (RP-initiated logout) when it has one
//
// `session_identity` calls them, refreshing each session at most once at a time.
//
// Models: `password_authenticator` (password_authenticator.hpp: the users file and a login
// form) and `oidc_authenticator` (oidc.hpp: `/login` redirects to an external IdP, `/callback`
// comes back). Exemplar, the least an authenticator must do:
//
//     struct nobody_authenticator {
//       struct settings_type {};
//       explicit nobody_authenticator(settings_type) {}
//       void install(transport::router& r, const login_services& s) const {
//         r.get(std::string(s.login_path()), [&s](const transport::request& q) {
//           return s.browser().error_page(q, transport::http::status::forbidden, "Sign in", "Nobody may sign in.");
//         });
//       }
//       bool recognizes(const user&) const { return false; }
//     };
//
// (compiled in tests/server/identity_local.cpp).
#ifndef TESSERA_IDENTITY_AUTHENTICATOR_HPP
#define TESSERA_IDENTITY_AUTHENTICATOR_HPP

#include <tessera/clock.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera::identity {

/// What `session_identity` offers its authenticator's pages. Implemented by
/// `session_identity`; its member functions are const and thread-safe.
class login_services {
 public:
  /// The browser layer: pages, redirects, cookies, CSRF, forms, redirect targets.
  virtual const identity::browser& browser() const noexcept = 0;
  /// The path of the login page (the authenticator serves it).
  virtual std::string_view login_path() const noexcept = 0;
  /// Where a login without `redirect_url` ends (Flyte `userAuth.redirectUrl`).
  virtual std::string_view default_redirect() const noexcept = 0;
  /// The identity's clock.
  virtual time_point now() const = 0;
  /// The user of the request's session, as `identity_policy::current_user`.
  virtual std::optional<user> current_user(const transport::request& req, const transport::request_context& ctx,
                                           std::error_code& ec) const = 0;
  /// Ends the session the request carries (session fixation, row 16) and starts one for `u`:
  /// returns its `Set-Cookie` values. On a store or crypto failure `ec` is set and nothing
  /// returned; answer with `unavailable`.
  virtual set_cookie_lines start_session(const transport::request& req, const transport::request_context& ctx, const user& u,
                                    std::error_code& ec) const = 0;
  /// As above, keeping `upstream` (an external login's IdP tokens, in the authenticator's own
  /// format) sealed with the session (session.hpp); `input_too_large` past
  /// `store::session_record::max_upstream_size`.
  virtual set_cookie_lines start_session(const transport::request& req, const transport::request_context& ctx, const user& u,
                                         std::string_view upstream, std::error_code& ec) const = 0;
  /// Records the one-time value `key` (a hash, never a secret) as used until `expires_at`:
  /// true the first time. With a store that keeps one-time identifiers (`store::jti_store`)
  /// this holds across every process sharing the store; with another it is always true.
  virtual bool use_once(std::string_view key, time_point expires_at, std::error_code& ec) const = 0;
  /// The page for a failure of the store or of crypto: 503 for `temporarily_unavailable`,
  /// else 500, in fixed words.
  virtual transport::response unavailable(const transport::request& req, const std::error_code& ec) const = 0;

 protected:
  ~login_services() = default;
};

template <class A>
concept refreshes_upstream = requires(const A& a, std::string_view upstream, time_point now, std::error_code& ec,
                                      const transport::request_context& ctx) {
  { a.upstream_stale(upstream, now) } -> std::same_as<bool>;
  { a.refresh_upstream(upstream, now, ec) } -> std::same_as<std::optional<std::string>>;
  { a.logout_location(upstream, upstream, ctx) } -> std::convertible_to<std::string>;
};

template <class A>
concept authenticator = std::constructible_from<A, typename A::settings_type> &&
                        requires(const A& a, transport::router& r, const login_services& s, const user& u) {
                          { a.install(r, s) };
                          { a.recognizes(u) } -> std::same_as<bool>;
                        };

}  // namespace tessera::identity

#endif
