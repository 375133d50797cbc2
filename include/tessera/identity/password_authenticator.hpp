// tessera — identity/password_authenticator.hpp
//
// `password_authenticator`: people are the users of a users file (`users_file.hpp`: htpasswd
// lines with bcrypt hashes) and log in on a plain HTML form. Models `authenticator`; with
// `session_identity` it is `identity::local` (local.hpp). Pages (at `login_services::login_path`):
//
//   GET  /login?redirect_url=R   logged in: 303 to R. Otherwise the form, with a CSRF token.
//                                With `prompt=login` (OIDC Core §3.1.2.1, passed on by the
//                                authorization endpoint) the form even with a session.
//   POST /login                  form: username, password, csrf_token, redirect_url.
//                                success: a new session, 303 (never 307: the browser must not
//                                re-POST the password, docs/security.md row 17) to R.
//                                wrong password or unknown user: the same 401 form with the
//                                same words; an unknown user costs one bcrypt run of a decoy
//                                hash, so timing does not tell which (no user enumeration).
//
// R as `session_identity` says (a safe local redirect, default `default_redirect`); an unsafe
// R is a 400 error page with no Location, on GET and POST alike (Flyte 403s).
//
// Login CSRF: the browser layer's double submit (`browser::csrf_token`/`csrf_valid`) with the
// cookie `__Host-tessera_login` (or `tessera_login` on plain-HTTP development). Missing,
// expired, swapped or different: 403 with a fresh form, and no session (`csrf_token_invalid`).
// A body that is not `application/x-www-form-urlencoded`: 415.
//
// Failed logins are rate limited per submitted user name and per peer address
// (`crypto::failure_rate_limiter`, checked before bcrypt runs): once either is used up the
// answer is 429 with `Retry-After` and the form, without checking the password, for known
// and unknown names alike. A success clears the user name's count, never the address's.
// Behind a reverse proxy every browser has the proxy's address: raise
// `failed_logins_per_address.burst` there, or one guesser slows everyone's logins. A request
// whose peer address the transport does not know is limited per user name only.
//
// A user removed from the users file loses their sessions at the next restart: `recognizes`
// accepts a session's user only while its subject is still in the directory. Passwords,
// session ids and CSRF tokens are never logged or written anywhere but where the protocol
// needs them.
#ifndef TESSERA_IDENTITY_PASSWORD_AUTHENTICATOR_HPP
#define TESSERA_IDENTITY_PASSWORD_AUTHENTICATOR_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/failure_rate_limiter.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/crypto/secret_hash.hpp>
#include <tessera/http/form.hpp>
#include <tessera/identity/authenticator.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/identity/login_page.hpp>
#include <tessera/identity/users_file.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

namespace tessera::identity {

/// Run-time configuration of `password_authenticator`.
struct password_settings {
  user_directory users;  // from `load_users_file` / `parse_users_file`
  crypto::failure_rate_limiter::options failed_logins_per_user{5, std::chrono::seconds(60), 16384};
  crypto::failure_rate_limiter::options failed_logins_per_address{20, std::chrono::seconds(15), 16384};
};

class password_authenticator {
 public:
  using settings_type = password_settings;
  /// The login form's CSRF cookie (plain-mode name; `__Host-tessera_login` in secure mode).
  static constexpr std::string_view csrf_cookie = "tessera_login";

  /// Prepares the decoy hash: one bcrypt run at the users' highest cost.
  explicit password_authenticator(password_settings settings)
      : settings_(std::move(settings)),
        by_user_(settings_.failed_logins_per_user),
        by_address_(settings_.failed_logins_per_address),
        decoy_hash_(crypto::hash_secret(crypto::random_token(), settings_.users.max_cost())) {}

  password_authenticator(const password_authenticator&) = delete;
  password_authenticator& operator=(const password_authenticator&) = delete;

  /// Registers GET and POST of the login path. `s` must outlive the router's use.
  void install(transport::router& r, const login_services& s) const {
    r.get(std::string(s.login_path()), [this, &s](const transport::request& q, const transport::request_context& c) { return login_page(q, c, s); });
    r.post(std::string(s.login_path()), [this, &s](const transport::request& q, const transport::request_context& c) { return login(q, c, s); });
  }

  /// Whether `u` is still in the users file.
  bool recognizes(const user& u) const { return settings_.users.find(u.subject) != nullptr; }

  /// GET login path.
  transport::response login_page(const transport::request& req, const transport::request_context& ctx,
                                 const login_services& s) const {
    const auto& b = s.browser();
    auto redirect = b.redirect_target(req, s.default_redirect());
    if (!redirect) return b.redirect_refused(req);
    std::error_code ec;
    const bool reauthenticate = browser::query_parameter(req, "prompt").value_or("") == "login";
    if (!reauthenticate && s.current_user(req, ctx, ec)) return browser::see_other(req, *redirect);
    if (ec) return s.unavailable(req, ec);
    return form_page(req, ctx, s, transport::http::status::ok, browser::query_parameter(req, "redirect_url").value_or(""), {}, {});
  }

  /// POST login path.
  transport::response login(const transport::request& req, const transport::request_context& ctx,
                            const login_services& s) const {
    const auto& b = s.browser();
    if (!browser::is_form(req))
      return b.error_page(req, transport::http::status::unsupported_media_type, "Bad request", "The sign-in form was not sent as a form.");
    std::error_code ec;
    const auto form = http::parse_form(req.body(), ec);
    if (ec) return b.error_page(req, transport::http::status::bad_request, "Bad request", "The sign-in form could not be read.");

    const std::string_view redirect_field = form.get("redirect_url");
    const std::string_view redirect = redirect_field.empty() ? s.default_redirect() : redirect_field;
    if (!b.is_safe_redirect(redirect)) return b.redirect_refused(req);

    const std::string_view user_name = form.get("username");
    const time_point now = s.now();
    if (!b.csrf_valid(req, ctx, csrf_cookie, form.get("csrf_token"), now))  // csrf_token_invalid
      return form_page(req, ctx, s, transport::http::status::forbidden, redirect_field, user_name,
                       "Your sign-in form has expired or did not come from this site. Please sign in again.");

    const bool count_address = !ctx.peer_address.empty();
    const auto wait = std::max(by_user_.retry_after(user_name, now),
                               count_address ? by_address_.retry_after(ctx.peer_address, now) : seconds{0});
    if (wait.count() > 0) {  // user_authentication_rate_limited: no bcrypt run
      auto res = form_page(req, ctx, s, transport::http::status::too_many_requests, redirect_field, user_name,
                           "Too many failed sign-in attempts. Please wait and try again.");
      res.set(transport::http::field::retry_after, std::to_string(wait.count()));
      return res;
    }

    const local_user* u = verify_password(user_name, form.get("password"));
    if (!u) {  // user_authentication_failed
      by_user_.record_failure(user_name, now);
      if (count_address) by_address_.record_failure(ctx.peer_address, now);
      return form_page(req, ctx, s, transport::http::status::unauthorized, redirect_field, user_name, "Wrong user name or password.");
    }
    by_user_.record_success(user_name);

    auto session_cookie = s.start_session(req, ctx, to_user(*u, now), ec);
    if (ec) return s.unavailable(req, ec);
    auto res = browser::see_other(req, redirect);
    res.insert(transport::http::field::set_cookie, session_cookie);
    auto spent = b.csrf_spent(ctx, csrf_cookie, ec);
    if (!ec) res.insert(transport::http::field::set_cookie, spent);
    return res;
  }

  /// The profile claims of a users-file user: preferred_username, and name / email when given.
  static user to_user(const local_user& lu, time_point auth_time) {
    user u;
    u.subject = lu.name;
    u.auth_time = auth_time;
    u.claims["preferred_username"] = lu.name;
    if (!lu.display_name.empty()) u.claims["name"] = lu.display_name;
    if (!lu.email.empty()) u.claims["email"] = lu.email;
    return u;
  }

  const password_settings& settings() const noexcept { return settings_; }

 private:
  // Verifies the password; nullptr for an unknown user (after a decoy bcrypt run), a wrong or
  // empty password, or a failing bcrypt.
  const local_user* verify_password(std::string_view user_name, std::string_view password) const {
    const local_user* u = settings_.users.find(user_name);
    std::error_code ec;
    if (!u) {
      (void)crypto::verify_secret(password, decoy_hash_, ec);
      return nullptr;
    }
    if (password.empty()) {  // bcrypt would run on "" too; keep the timing the same anyway
      (void)crypto::verify_secret("\x01", u->password_hash, ec);
      return nullptr;
    }
    return crypto::verify_secret(password, u->password_hash, ec) ? u : nullptr;
  }

  // The login form with a CSRF token (the browser's still-valid one, so two tabs both work).
  transport::response form_page(const transport::request& req, const transport::request_context& ctx, const login_services& s,
                                transport::http::status status, std::string_view redirect_url, std::string_view user_name,
                                std::string_view message) const {
    std::error_code ec;
    auto csrf = s.browser().csrf_token(req, ctx, csrf_cookie, s.now(), ec);
    if (ec) return s.unavailable(req, ec);
    auto res = s.browser().page(req, status, render_login_page({s.login_path(), csrf.token, redirect_url, user_name, message}));
    if (!csrf.set_cookie.empty()) res.insert(transport::http::field::set_cookie, csrf.set_cookie);
    return res;
  }

  password_settings settings_;
  mutable crypto::failure_rate_limiter by_user_;
  mutable crypto::failure_rate_limiter by_address_;
  std::string decoy_hash_;
};

static_assert(authenticator<password_authenticator>);

}  // namespace tessera::identity

#endif
