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
//       must carry the new `auth_time` (OIDC Core §3.1.2.1)
//   i.install(r)
//       registers the policy's own pages: /login, /logout, /me, and /callback for external
//       identity providers
//
// Models: `identity::local` (a users file and a login page: the embedded default). The
// external OIDC relying party (Okta, Google, Azure AD, ...) plugs in at the same point.
// Exemplar: `identity::archetype` in tests/server.
#ifndef TESSERA_IDENTITY_CONCEPTS_HPP
#define TESSERA_IDENTITY_CONCEPTS_HPP

#include <tessera/clock.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <boost/json/object.hpp>

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
};

template <class I>
concept identity_policy = requires(const I& i, transport::router& r, const transport::request& req,
                                   const transport::request_context& ctx, std::error_code& ec) {
  { i.current_user(req, ctx, ec) } -> std::same_as<std::optional<user>>;
  { i.login_path() } -> std::convertible_to<std::string_view>;
  { i.install(r) };
};

}  // namespace tessera::identity

#endif
