// tessera — identity/concepts.hpp
//
// How people log in, as a policy of the authorization server. The server never checks a
// password or talks to an IdP itself: it asks its identity policy who the browser belongs to
// and, when nobody, sends the browser to the policy's login page with a local return path
// (`/login?redirect_url=/oauth2/authorize_callback`, as Flyte does).
//
// A type I models `identity_policy` when, for `const I& i`, `transport::router& r`, a request
// `req`, its context `ctx` and `std::error_code& ec`:
//
//   i.current_user(req, ctx, ec) -> std::optional<identity::user>
//       the user of the request's session, or nullopt (no, expired or tampered session: not an
//       error; ec is for store failures only)
//   i.login_path() -> std::string_view
//       where to send a browser without a session ("/login"); with `&prompt=login` the page
//       must authenticate again even when a session exists, and the user it then reports
//       must carry the new `auth_time` and a new `login_id` (OIDC Core §3.1.2.1; an identity
//       whose users have no `login_id` cannot satisfy `prompt=login` or `max_age`)
//   i.install(r)
//       registers the policy's own pages: /login, /logout, /me, and /callback for external
//       identity providers
//   i.recognizes(u) -> bool                               (optional)
//       whether `u` is still a user of this identity; without it, every user is. The
//       authorization server asks before a refresh, so a removed person stops getting tokens
//   i.end_session(req, ctx, ec) -> set_cookie_lines           (optional)
//       ends the request's session (deleted from the store, so a copied cookie dies too) and
//       returns the `Set-Cookie` values that remove its cookies; `ec` for store failures. The
//       authorization server's end_session_endpoint (RP-initiated logout) needs it
//   i.browser() -> const identity::browser&
//       the deployment's one browser layer (browser.hpp): the server seals its
//       pending-authorization cookie, renders its device, consent and error pages, reads
//       cookies, checks form content types and runs CSRF through it, so every page shares the
//       identity's cookie keys, cookie-naming rule and Content-Security-Policy
//
// Models: `session_identity<Store, Clock, Authenticator>` (session_identity.hpp), and so
// `identity::local` (a users file and a login page: the embedded default); the external OIDC
// relying party (Okta, Google, Azure AD, ...) is the same with another Authenticator.
// Exemplar (the least an identity must do):
//
//     identity::browser_settings one_key_browser() {   // what a test or benchmark needs
//       identity::browser_settings s;
//       s.cookie_keys = {std::string(32, 'k')};
//       return s;
//     }
//     struct header_identity {
//       identity::browser b{one_key_browser()};
//       std::optional<identity::user> current_user(const transport::request&,
//           const transport::request_context&, std::error_code& ec) const { ec = {}; return {}; }
//       std::string_view login_path() const { return "/login"; }
//       void install(transport::router&) const {}
//       const identity::browser& browser() const { return b; }
//     };
//
// (`header_identity` in tests/server/test_server.hpp; compiled in tests/server/identity_local.cpp.)
#ifndef TESSERA_IDENTITY_CONCEPTS_HPP
#define TESSERA_IDENTITY_CONCEPTS_HPP

#include <tessera/clock.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <boost/json/object.hpp>

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera::identity {

/// An authenticated person.
struct user {
  std::string subject;          // stable identifier (`sub`)
  boost::json::object claims;   // profile claims: name, preferred_username, email, ...
  time_point auth_time{};       // when they authenticated (OIDC `auth_time`)
  /// Names the login this user comes from: different after every login, the same for every
  /// request of one session; empty when the identity cannot tell logins apart. The
  /// authorization server keeps it when it asks for a new login (`prompt=login`, `max_age`)
  /// and accepts the user back only under another one (docs/security.md row 35). Opaque;
  /// not a secret, never the session id.
  std::string login_id;
};

template <class I>
concept identity_policy = requires(const I& i, transport::router& r, const transport::request& req,
                                   const transport::request_context& ctx, std::error_code& ec) {
  { i.current_user(req, ctx, ec) } -> std::same_as<std::optional<user>>;
  { i.login_path() } -> std::convertible_to<std::string_view>;
  { i.install(r) };
  { i.browser() } -> std::same_as<const browser&>;
};

/// True for identity types that are handles to an identity (`any_identity`): cheap to copy,
/// so a server keeps its own copy instead of the address of the caller's.
template <class I>
inline constexpr bool is_identity_handle = false;

/// Whether identity `I` can end a browser's session on the server's behalf (`end_session`).
template <class I>
concept ends_sessions = requires(const I& i, const transport::request& req, const transport::request_context& ctx,
                                 std::error_code& ec) {
  { i.end_session(req, ctx, ec) } -> std::same_as<set_cookie_lines>;
};

/// Whether identity `I` can say that a user no longer exists (`recognizes`).
template <class I>
concept recognizes_users = requires(const I& i, const user& u) {
  { i.recognizes(u) } -> std::same_as<bool>;
};

}  // namespace tessera::identity

#endif
