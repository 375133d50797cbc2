// tessera — identity/local.hpp
//
// `identity::local<Store, Clock>`: the embedded identity, so a server needs no outside IdP.
// It is `session_identity<Store, Clock, password_authenticator>`: people are the users of a
// users file (`users_file.hpp`: htpasswd lines with bcrypt hashes); they log in on a plain
// HTML form and get a session (`session.hpp`). Models `identity_policy`; the external-IdP
// relying party is the same `session_identity` with another authenticator.
//
// Pages (`install` registers them; paths from `local_settings`):
//
//   GET  /login?redirect_url=R   logged in: 303 to R. Otherwise the form, with a CSRF token.
//   POST /login                  form: username, password, csrf_token, redirect_url.
//                                success: a new session, 303 (never 307) to R; wrong password
//                                or unknown user: the same 401 form with the same words;
//                                rate limited per user name and per address (429).
//                                (password_authenticator.hpp)
//   GET|POST /logout?redirect_url=R   deletes the session from the store, expires the cookie,
//                                303 to R (default: the login page).      (session_identity.hpp)
//   GET  /me                     401 {"error":"login_required"}, or the user as Flyte's /me
//                                answers.                                 (session_identity.hpp)
//
// R, the `redirect_url`, is optional (default `default_redirect`, Flyte's
// `userAuth.redirectUrl`, "/console") and must be a path on this server or an URL on the
// origin of one of `browser.authorized_uris` (`http::is_safe_local_redirect`); anything else
// is a 400 error page with no Location, on /login and on /logout alike (docs/security.md row 8).
//
// Login CSRF: the browser layer's double submit (browser.hpp): a random token in the form and
// in a sealed, short-lived, HttpOnly, SameSite=Strict cookie (`__Host-tessera_login`, or
// `tessera_login` on plain-HTTP development); the POST is accepted only when both are present
// and equal. Missing, expired, swapped or different: 403 with a fresh form, and no session.
//
// Pages carry `http::interactive_page_headers` (no-store, no-referrer, X-Frame-Options DENY,
// nosniff) and the browser layer's one strict CSP without script or 'unsafe-inline'
// (`page_csp`). Passwords, session ids and CSRF tokens are never logged or written anywhere
// but where the protocol needs them.
//
// A user removed from the users file loses their sessions at the next restart: `current_user`
// accepts a session only while its subject is still in the directory.
#ifndef TESSERA_IDENTITY_LOCAL_HPP
#define TESSERA_IDENTITY_LOCAL_HPP

#include <tessera/clock.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/identity/password_authenticator.hpp>
#include <tessera/identity/session_identity.hpp>
#include <tessera/identity/users_file.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/transport/message.hpp>

#include <utility>

namespace tessera::identity {

/// Run-time configuration of `local`: the browser layer and sessions (`browser`,
/// `session_lifetime`, paths, `default_redirect`), and the users file with its rate limits.
struct local_settings : session_identity_settings {
  user_directory users;  // from `load_users_file` / `parse_users_file`
  /// Failed-login limits: see `password_settings` and password_authenticator.hpp.
  crypto::failure_rate_limiter::options failed_logins_per_user_and_address =
      password_settings{}.failed_logins_per_user_and_address;
  crypto::failure_rate_limiter::options failed_logins_per_address = password_settings{}.failed_logins_per_address;
  unsigned failed_logins_user_budget = password_settings{}.failed_logins_user_budget;
};

template <class Store, class Clock = system_clock>
class local : public session_identity<Store, Clock, password_authenticator> {
  using base = session_identity<Store, Clock, password_authenticator>;

 public:
  /// Checks the settings (see `session_identity` and `check_browser_settings`: throws
  /// `tessera::system_error`) and prepares the decoy hash (one bcrypt run at the users'
  /// highest cost). `store` and `clock` must outlive the policy; it must not move once
  /// `install`ed.
  local(local_settings settings, Store& store, const Clock& clock = base::default_clock())
      : base(std::move(static_cast<session_identity_settings&>(settings)),
             password_settings{std::move(settings.users), settings.failed_logins_per_user_and_address,
                               settings.failed_logins_per_address, settings.failed_logins_user_budget},
             store, clock) {}

  /// GET login_path.
  transport::response login_page(const transport::request& req, const transport::request_context& ctx) const {
    return this->authenticator().login_page(req, ctx, this->services());
  }
  /// POST login_path.
  transport::response login(const transport::request& req, const transport::request_context& ctx) const {
    return this->authenticator().login(req, ctx, this->services());
  }

  /// The profile claims of a users-file user: preferred_username, and name / email when given.
  static user to_user(const local_user& lu, time_point auth_time) { return password_authenticator::to_user(lu, auth_time); }
};

static_assert(identity_policy<local<store::memory>>);

}  // namespace tessera::identity

#endif
