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
// Failed logins (docs/security.md row 19; `crypto::failure_rate_limiter`) are limited per
// (submitted user name, peer address) and per peer address (IPv6 per /64), for known and
// unknown names alike. bcrypt runs only under a reservation of both, taken before the check
// and refunded when the password is right, so concurrent wrong passwords from one address run
// at most `burst` checks. Each limit allows its burst, then delays that double per failure up
// to its `max_delay`; while one applies the answer is 429 with `Retry-After` and the form,
// without checking the password. A success clears its (user, address) pair, never the
// address. A stranger's failures therefore cost the stranger's address: the right password
// from an address that has not failed is always checked, and from a failing address it waits
// out the delay, then is checked. Failures of one user name from all addresses are counted
// too (one forgiven per pair `refill_interval`): while they reach `failed_logins_user_budget`
// the name is under attack, and each address gets one attempt before its delays start.
// Behind a reverse proxy every browser has the proxy's address: the pair becomes the user
// name and the address everyone, so one guesser delays everyone's logins. Pass the client's
// address through to the socket (TCP passthrough), or raise `failed_logins_per_address.burst`
// and limit per client address at the proxy. A request whose peer address the transport does
// not know is limited as one pair per user name, with no address limit.
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
  /// Per (user name, peer address): 5 failures, then 1 min doubling up to 15 min.
  crypto::failure_rate_limiter::options failed_logins_per_user_and_address{5, std::chrono::seconds(60), 16384,
                                                                           std::chrono::minutes(15)};
  /// Per peer address over all names: 20 failures, then 15 s doubling up to 15 min.
  crypto::failure_rate_limiter::options failed_logins_per_address{20, std::chrono::seconds(15), 16384,
                                                                  std::chrono::minutes(15)};
  /// Failures of one name from all addresses at which it is under attack (zero: never).
  unsigned failed_logins_user_budget = 50;
};

class password_authenticator {
 public:
  using settings_type = password_settings;
  /// The login form's CSRF cookie (plain-mode name; `__Host-tessera_login` in secure mode).
  static constexpr std::string_view csrf_cookie = "tessera_login";

  /// Prepares the decoy hash: one bcrypt run at the users' highest cost.
  explicit password_authenticator(password_settings settings)
      : settings_(std::move(settings)),
        by_pair_(settings_.failed_logins_per_user_and_address),
        by_address_(settings_.failed_logins_per_address),
        by_user_({std::max(settings_.failed_logins_user_budget, 1u), settings_.failed_logins_per_user_and_address.refill_interval,
                  settings_.failed_logins_per_user_and_address.max_keys}),
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

    // Reserve before bcrypt (user_authentication_rate_limited when refused: no bcrypt run).
    using limiter = crypto::failure_rate_limiter;
    const std::string address = limiter::address_key(ctx.peer_address);
    const std::string pair = limiter::pair_key(user_name, address);
    const unsigned budget = settings_.failed_logins_user_budget;
    const bool under_attack = budget > 0 && by_user_.failures(user_name, now) >= budget;
    auto pair_slot = by_pair_.reserve(pair, now, under_attack ? 1 : 0);
    limiter::reservation address_slot;
    auto wait = pair_slot.retry_after();
    if (pair_slot && !address.empty()) {
      address_slot = by_address_.reserve(address, now);
      wait = address_slot.retry_after();
    }
    if (wait.count() > 0) {  // the reservations taken are refunded on return
      auto res = form_page(req, ctx, s, transport::http::status::too_many_requests, redirect_field, user_name,
                           "Too many failed sign-in attempts. Please wait and try again.");
      res.set(transport::http::field::retry_after, std::to_string(wait.count()));
      return res;
    }

    const local_user* u = verify_password(user_name, form.get("password"));
    if (!u) {  // user_authentication_failed
      pair_slot.fail(now);
      address_slot.fail(now);
      if (budget > 0) by_user_.record_failure(user_name, now);
      return form_page(req, ctx, s, transport::http::status::unauthorized, redirect_field, user_name, "Wrong user name or password.");
    }
    pair_slot.refund();
    address_slot.refund();
    by_pair_.record_success(pair);

    auto session_cookies = s.start_session(req, ctx, to_user(*u, now), ec);
    if (ec) return s.unavailable(req, ec);
    auto res = browser::see_other(req, redirect);
    session_cookies.add_to(res);
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
  mutable crypto::failure_rate_limiter by_pair_;     // (user name, address): refuses
  mutable crypto::failure_rate_limiter by_address_;  // address, all names: refuses
  mutable crypto::failure_rate_limiter by_user_;     // user name, all addresses: a signal, never refuses
  std::string decoy_hash_;
};

static_assert(authenticator<password_authenticator>);

}  // namespace tessera::identity

#endif
