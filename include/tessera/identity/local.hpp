// tessera — identity/local.hpp
//
// `identity::local<Store, Clock>`: the embedded identity, so a server needs no outside IdP.
// People are the users of a users file (`users_file.hpp`: htpasswd lines with bcrypt
// hashes); they log in on a plain HTML form and get a session (`session.hpp`). Models
// `identity_policy`; the external-IdP relying party plugs in at the same point.
//
// Pages (`install` registers them; paths from `local_settings`):
//
//   GET  /login?redirect_url=R   logged in: 303 to R. Otherwise the form, with a CSRF token.
//   POST /login                  form: username, password, csrf_token, redirect_url.
//                                success: a new session, 303 (never 307: the browser must not
//                                re-POST the password, attack row 17) to R.
//                                wrong password or unknown user: the same 401 form with the
//                                same words; an unknown user costs one bcrypt run of a decoy
//                                hash, so timing does not tell which (no user enumeration).
//   GET|POST /logout?redirect_url=R   deletes the session from the store, expires the cookie,
//                                303 to R (default: the login page).
//   GET  /me                     401 {"error":"login_required"}, or the user as Flyte's /me
//                                answers (below).
//
// R, the `redirect_url`, is optional (default `default_redirect`, Flyte's
// `userAuth.redirectUrl`, "/console") and must be a path on this server or an URL on the
// origin of one of `authorized_uris` (`http::is_safe_local_redirect`); anything else is a 400
// error page with no Location, on /login and on /logout alike (attack row 8; Flyte 403s on
// /login and follows it unchecked on /logout).
//
// Login CSRF: double submit. The form carries a random token; the same token travels in a
// sealed, short-lived, HttpOnly, SameSite=Strict cookie (`__Host-tessera_login`, or
// `tessera_login` on plain-HTTP development, as for the session cookie), and the POST is
// accepted only when both are present and equal (`crypto::constant_time_equal`). Missing,
// expired, swapped or different: 403 with a fresh form, and no session (`csrf_token_invalid`).
//
// Failed logins are rate limited per submitted user name and per peer address
// (`crypto::failure_rate_limiter`, checked before bcrypt runs): once either is used up the
// answer is 429 with `Retry-After` and the form, without checking the password, for known
// and unknown names alike. A success clears the user name's count, never the address's.
// Behind a reverse proxy every browser has the proxy's address: raise
// `failed_logins_per_address.burst` there, or one guesser slows everyone's logins. A request
// whose peer address the transport does not know is limited per user name only.
//
// Pages carry `http::interactive_page_headers` (no-store, no-referrer, X-Frame-Options DENY,
// nosniff) and a strict CSP without script (`login_page_csp`). Passwords, session ids and CSRF
// tokens are never logged or written anywhere but where the protocol needs them.
//
// /me answers Flyte's shape: `subject` and `additional_claims` always; `name`,
// `preferred_username`, `given_name`, `family_name`, `email`, `picture` only when the session
// has them as non-empty strings (absent members, never empty strings); other claims of the
// session go to `additional_claims`. Header `X-User-Subject`. `Cache-Control: no-store`.
//
// A user removed from the users file loses their sessions at the next restart: `current_user`
// accepts a session only while its subject is still in the directory.
#ifndef TESSERA_IDENTITY_LOCAL_HPP
#define TESSERA_IDENTITY_LOCAL_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/aead.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/crypto/failure_rate_limiter.hpp>
#include <tessera/crypto/random.hpp>
#include <tessera/crypto/secret_hash.hpp>
#include <tessera/error.hpp>
#include <tessera/http/form.hpp>
#include <tessera/http/headers.hpp>
#include <tessera/http/redirect_uri.hpp>
#include <tessera/http/sealed_cookie.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/identity/login_page.hpp>
#include <tessera/identity/session.hpp>
#include <tessera/identity/users_file.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::identity {

/// Run-time configuration of `local`.
struct local_settings {
  user_directory users;                        // from `load_users_file` / `parse_users_file`
  std::vector<std::string> cookie_keys;        // 32 bytes each; the first seals, all open (rotation)
  seconds session_lifetime{std::chrono::hours(8)};
  seconds login_form_lifetime{std::chrono::minutes(30)};  // how long a rendered form stays usable
  bool secure_cookies = true;                  // false: plain-HTTP loopback development only (session.hpp)
  std::vector<std::string> authorized_uris;    // Flyte `authorizedUris`: origins allowed in redirect_url
  // CSP sources the login form's redirects may end at, beyond 'self' and `authorized_uris`:
  // a login inside an authorization request ends in a redirect to the client, and browsers
  // apply `form-action` to it. Give `server::client_registry::redirect_csp_sources()`.
  std::vector<std::string> form_action_sources;
  std::string default_redirect = "/console";   // Flyte `userAuth.redirectUrl`
  std::string login_path = "/login";
  std::string logout_path = "/logout";
  std::string me_path = "/me";
  crypto::failure_rate_limiter::options failed_logins_per_user{5, std::chrono::seconds(60), 16384};
  crypto::failure_rate_limiter::options failed_logins_per_address{20, std::chrono::seconds(15), 16384};
};

template <class Store, class Clock = system_clock>
class local {
  static_assert(store::session_store<Store>, "tessera::identity::local needs a store that models tessera::store::session_store");
  static_assert(tessera::clock<Clock>, "tessera::identity::local needs a Clock that models tessera::clock");

 public:
  static constexpr std::string_view secure_login_cookie_name = "__Host-tessera_login";
  static constexpr std::string_view plain_login_cookie_name = "tessera_login";

  /// Checks the settings and prepares the decoy hash (one bcrypt run at the users' highest
  /// cost). Throws `tessera::system_error`: `aead_key_invalid` for a missing or wrong-size
  /// cookie key, `url_invalid` for an authorized URI that is not an absolute URI,
  /// `parameter_invalid` for a path that does not start with '/', a non-positive lifetime or
  /// a `default_redirect` that is not a safe local redirect, a form-action source that is empty
  /// or could split the policy (space, `;`, `,`, quotes). `store` and `clock` must outlive
  /// the policy; the policy must not move once `install`ed (handlers refer to it).
  local(local_settings settings, Store& store, const Clock& clock = default_clock())
      : settings_(checked(std::move(settings))),
        sealer_(std::span<const std::string>(settings_.cookie_keys)),
        sessions_(store, sealer_, session_options{settings_.session_lifetime, settings_.secure_cookies}, clock),
        clock_(clock),
        by_user_(settings_.failed_logins_per_user),
        by_address_(settings_.failed_logins_per_address),
        decoy_hash_(crypto::hash_secret(crypto::random_token(), settings_.users.max_cost())),
        csp_(login_page_csp(form_action_origins(settings_.authorized_uris, settings_.form_action_sources))) {}

  local(const local&) = delete;
  local& operator=(const local&) = delete;

  // --- identity_policy -------------------------------------------------------------------

  /// The user of the request's session; nullopt without one (see `session_manager::find`) or
  /// when its subject is no longer in the users file. `ec`: store failures only.
  std::optional<user> current_user(const transport::request& req, const transport::request_context& ctx,
                                   std::error_code& ec) const {
    auto u = sessions_.current_user(req, ctx, ec);
    if (!u || !settings_.users.find(u->subject)) return std::nullopt;
    return u;
  }
  std::string_view login_path() const noexcept { return settings_.login_path; }

  /// Registers GET/POST login, GET/POST logout and GET me.
  void install(transport::router& r) const {
    r.get(settings_.login_path, [this](const transport::request& q, const transport::request_context& c) { return login_page(q, c); });
    r.post(settings_.login_path, [this](const transport::request& q, const transport::request_context& c) { return login(q, c); });
    r.add({transport::http::verb::get, transport::http::verb::post}, settings_.logout_path,
          [this](const transport::request& q, const transport::request_context& c) { return logout(q, c); });
    r.get(settings_.me_path, [this](const transport::request& q, const transport::request_context& c) { return me(q, c); });
  }

  // --- the pages (public so a server can mount them elsewhere) ----------------------------

  /// GET login_path.
  transport::response login_page(const transport::request& req, const transport::request_context& ctx) const {
    auto redirect = redirect_target(req, settings_.default_redirect);
    if (!redirect) return bad_redirect(req);
    std::error_code ec;
    // `prompt=login` (OIDC Core §3.1.2.1, passed on by the authorization endpoint): show the
    // form even to a browser with a session; the new login's auth_time proves it happened.
    const bool reauthenticate = query_param(req, "prompt").value_or("") == "login";
    if (!reauthenticate && current_user(req, ctx, ec)) return see_other(req, *redirect);
    if (ec) return unavailable(req, ec);
    return form_page(req, ctx, transport::http::status::ok, redirect_field(req), {}, {});
  }

  /// POST login_path.
  transport::response login(const transport::request& req, const transport::request_context& ctx) const {
    namespace bh = transport::http;
    if (!is_form(req))
      return error_page(req, bh::status::unsupported_media_type, "Bad request", "The sign-in form was not sent as a form.");
    std::error_code ec;
    const auto form = http::parse_form(req.body(), ec);
    if (ec) return error_page(req, bh::status::bad_request, "Bad request", "The sign-in form could not be read.");

    const std::string_view redirect_field_value = form.get("redirect_url");
    const std::string_view redirect = redirect_field_value.empty() ? std::string_view(settings_.default_redirect) : redirect_field_value;
    if (!http::is_safe_local_redirect(redirect, settings_.authorized_uris)) return bad_redirect(req);

    const std::string_view user_name = form.get("username");
    if (!csrf_token_matches(req, ctx, form.get("csrf_token")))  // csrf_token_invalid
      return form_page(req, ctx, bh::status::forbidden, redirect_field_value, user_name,
                       "Your sign-in form has expired or did not come from this site. Please sign in again.");

    const time_point now = clock_.now();
    const bool count_address = !ctx.peer_address.empty();
    const auto wait = std::max(by_user_.retry_after(user_name, now),
                               count_address ? by_address_.retry_after(ctx.peer_address, now) : seconds{0});
    if (wait.count() > 0) {  // user_authentication_rate_limited: no bcrypt run
      auto res = form_page(req, ctx, bh::status::too_many_requests, redirect_field_value, user_name,
                           "Too many failed sign-in attempts. Please wait and try again.");
      res.set(bh::field::retry_after, std::to_string(wait.count()));
      return res;
    }

    const local_user* u = verify_password(user_name, form.get("password"));
    if (!u) {  // user_authentication_failed
      by_user_.record_failure(user_name, now);
      if (count_address) by_address_.record_failure(ctx.peer_address, now);
      return form_page(req, ctx, bh::status::unauthorized, redirect_field_value, user_name, "Wrong user name or password.");
    }
    by_user_.record_success(user_name);

    // Session fixation: whatever session the browser had ends; the new one gets a fresh id.
    auto end_old = sessions_.end(req, ctx, ec);
    if (ec) return unavailable(req, ec);
    (void)end_old;
    auto session_cookie = sessions_.start(to_user(*u, now), ctx, ec);
    if (ec) return unavailable(req, ec);
    auto res = see_other(req, redirect);
    res.insert(bh::field::set_cookie, session_cookie);
    auto clear_login = http::expire_cookie(login_cookie_name(ctx), login_cookie_attributes(ctx, seconds{0}), ec);
    if (!ec) res.insert(bh::field::set_cookie, clear_login);
    return res;
  }

  /// GET or POST logout_path.
  transport::response logout(const transport::request& req, const transport::request_context& ctx) const {
    auto redirect = redirect_target(req, settings_.login_path);
    if (!redirect) return bad_redirect(req);
    std::error_code ec;
    auto expired = sessions_.end(req, ctx, ec);
    if (ec) return unavailable(req, ec);
    auto res = see_other(req, *redirect);
    res.insert(transport::http::field::set_cookie, expired);
    return res;
  }

  /// GET me_path.
  transport::response me(const transport::request& req, const transport::request_context& ctx) const {
    namespace bh = transport::http;
    std::error_code ec;
    auto u = current_user(req, ctx, ec);
    if (ec || !u) {
      const condition c = ec ? condition_of(ec) : condition::login_required;
      boost::json::object body{{"error", wire_name(c)}};
      auto res = json_response(req, ec ? static_cast<bh::status>(http_status(c)) : bh::status::unauthorized, body);
      return res;
    }
    auto res = json_response(req, bh::status::ok, me_document(*u));
    if (is_header_safe(u->subject)) res.set("X-User-Subject", u->subject);
    return res;
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

  const local_settings& settings() const noexcept { return settings_; }
  const session_manager<Store, Clock>& sessions() const noexcept { return sessions_; }

 private:
  static const Clock& default_clock() {
    static const Clock c{};
    return c;
  }

  static local_settings checked(local_settings s) {
    auto fail = [](error e) { tessera::detail::throw_error(e); };
    if (s.cookie_keys.empty()) fail(error::aead_key_invalid);
    for (const auto* p : {&s.login_path, &s.logout_path, &s.me_path})
      if (p->empty() || p->front() != '/' || p->find_first_of("?#") != std::string::npos) fail(error::parameter_invalid);
    if (s.session_lifetime.count() <= 0 || s.login_form_lifetime.count() <= 0) fail(error::parameter_invalid);
    for (const auto& a : s.authorized_uris) {
      auto u = boost::urls::parse_absolute_uri(a);
      if (!u || !u->has_authority() || u->encoded_host().empty() || u->has_userinfo()) fail(error::url_invalid);
    }
    if (!http::is_safe_local_redirect(s.default_redirect, s.authorized_uris)) fail(error::parameter_invalid);
    for (const auto& src : s.form_action_sources)  // one source each: nothing that splits or ends the policy
      if (src.empty() || !is_header_safe(src) || src.find_first_of(" \t;,'\"") != std::string::npos)
        fail(error::parameter_invalid);
    return s;
  }

  // The origins (scheme://host[:port]) of the authorized URIs and the extra sources, for the
  // CSP's form-action.
  static std::string form_action_origins(const std::vector<std::string>& uris, const std::vector<std::string>& sources) {
    std::string out;
    for (const auto& src : sources) {
      if (!out.empty()) out.push_back(' ');
      out.append(src);
    }
    for (const auto& a : uris) {
      auto u = boost::urls::parse_absolute_uri(a);
      if (!u) continue;
      std::string origin = std::string(u->scheme()) + "://" + std::string(u->encoded_host());
      if (u->has_port()) origin += ":" + std::string(u->port());
      if (!is_header_safe(origin) || origin.find_first_of(" ;,'") != std::string::npos) continue;
      if (!out.empty()) out.push_back(' ');
      out.append(origin);
    }
    return out;
  }

  static bool is_header_safe(std::string_view v) noexcept {
    return std::none_of(v.begin(), v.end(), [](char ch) {
      auto c = static_cast<unsigned char>(ch);
      return (c < 0x20 && c != '\t') || c == 0x7f;
    });
  }

  static bool is_form(const transport::request& req) {
    auto ct = req[transport::http::field::content_type];
    constexpr std::string_view form_type = "application/x-www-form-urlencoded";
    if (ct.size() < form_type.size()) return false;
    for (std::size_t i = 0; i < form_type.size(); ++i) {
      char c = ct[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != form_type[i]) return false;
    }
    return ct.size() == form_type.size() || ct[form_type.size()] == ';' || ct[form_type.size()] == ' ';
  }

  // One query parameter of the request ("" when absent); nullopt when the query is malformed.
  static std::optional<std::string> query_param(const transport::request& req, std::string_view name) {
    std::string_view target = req.target();
    auto q = target.find('?');
    if (q == std::string_view::npos) return std::string{};
    std::string_view query = target.substr(q + 1);
    query = query.substr(0, query.find('#'));
    std::error_code ec;
    auto params = http::parse_query(query, ec);
    if (ec) return std::nullopt;
    return std::string(params.get(name));
  }
  // The raw redirect_url of the query (empty when absent); nullopt when the query is malformed.
  static std::optional<std::string> query_redirect(const transport::request& req) { return query_param(req, "redirect_url"); }

  // Where to send the browser: the query's redirect_url when safe, `fallback` when absent;
  // nullopt when present but unsafe (or the query is malformed).
  std::optional<std::string> redirect_target(const transport::request& req, std::string_view fallback) const {
    auto raw = query_redirect(req);
    if (!raw) return std::nullopt;
    if (raw->empty()) return std::string(fallback);
    if (!http::is_safe_local_redirect(*raw, settings_.authorized_uris)) return std::nullopt;
    return raw;
  }
  // The redirect_url to carry in the form's hidden field: the validated query value or "".
  std::string redirect_field(const transport::request& req) const {
    auto raw = query_redirect(req);
    return raw ? *raw : std::string{};
  }

  std::string_view login_cookie_name(const transport::request_context& ctx) const noexcept {
    return sessions_.secure(ctx) ? secure_login_cookie_name : plain_login_cookie_name;
  }
  http::cookie_attributes login_cookie_attributes(const transport::request_context& ctx, seconds max_age) const {
    return browser_cookie_attributes(sessions_.secure(ctx), max_age, http::same_site_policy::strict);
  }

  // The CSRF token of the request's login cookie, when it opens and has not expired.
  std::optional<std::string> login_cookie_token(const transport::request& req, const transport::request_context& ctx) const {
    std::error_code ec;
    auto token = http::open_cookie(sealer_, request_cookies_of(req), login_cookie_name(ctx), clock_.now(), ec);
    if (ec || !token || token->empty()) return std::nullopt;
    return token;
  }

  bool csrf_token_matches(const transport::request& req, const transport::request_context& ctx, std::string_view form_token) const {
    auto cookie_token = login_cookie_token(req, ctx);
    return cookie_token && !form_token.empty() && crypto::constant_time_equal(*cookie_token, form_token);
  }

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

  // The login form with a CSRF token: the one of a still-valid login cookie (so two tabs
  // both work), else a fresh one in a new cookie.
  transport::response form_page(const transport::request& req, const transport::request_context& ctx,
                                transport::http::status status, std::string_view redirect_url,
                                std::string_view user_name, std::string_view message) const {
    std::string set_cookie_value;
    auto token = login_cookie_token(req, ctx);
    if (!token) {
      token = crypto::random_token();
      std::error_code ec;
      const time_point expires = std::chrono::floor<seconds>(clock_.now()) + settings_.login_form_lifetime;
      auto sealed = http::seal_cookie(sealer_, login_cookie_name(ctx), *token, expires, ec);
      if (!ec) set_cookie_value = http::set_cookie(login_cookie_name(ctx), sealed, login_cookie_attributes(ctx, settings_.login_form_lifetime), ec);
      if (ec) return unavailable(req, ec);
    }
    auto body = render_login_page({settings_.login_path, *token, redirect_url, user_name, message});
    auto res = page(req, status, std::move(body));
    if (!set_cookie_value.empty()) res.insert(transport::http::field::set_cookie, set_cookie_value);
    return res;
  }

  transport::response page(const transport::request& req, transport::http::status status, std::string body) const {
    auto res = transport::make_response(req, status, std::move(body), "text/html; charset=utf-8");
    for (auto [name, value] : http::interactive_page_headers) res.set(name, value);
    res.set("Content-Security-Policy", csp_);
    return res;
  }

  transport::response error_page(const transport::request& req, transport::http::status status, std::string_view title,
                                 std::string_view text) const {
    return page(req, status, render_error_page(title, text));
  }

  transport::response bad_redirect(const transport::request& req) const {
    return error_page(req, transport::http::status::bad_request, "Bad request",
                      "The redirect_url is not a page of this site or of an authorized URI.");
  }

  transport::response unavailable(const transport::request& req, const std::error_code& ec) const {
    const auto status = condition_of(ec) == condition::temporarily_unavailable ? transport::http::status::service_unavailable
                                                                               : transport::http::status::internal_server_error;
    return error_page(req, status, "Sign-in unavailable", "Sign-in is unavailable right now. Please try again later.");
  }

  static transport::response see_other(const transport::request& req, std::string_view location) {
    auto res = transport::make_response(req, transport::http::status::see_other, {});
    res.set(transport::http::field::location, location);
    for (auto [name, value] : http::callback_response_headers) res.set(name, value);
    return res;
  }

  static transport::response json_response(const transport::request& req, transport::http::status status,
                                           const boost::json::object& body) {
    auto res = transport::make_response(req, status, boost::json::serialize(body), "application/json");
    for (auto [name, value] : http::token_response_headers) res.set(name, value);
    return res;
  }

  local_settings settings_;
  crypto::sealer sealer_;
  session_manager<Store, Clock> sessions_;
  const Clock& clock_;
  mutable crypto::failure_rate_limiter by_user_;
  mutable crypto::failure_rate_limiter by_address_;
  std::string decoy_hash_;
  std::string csp_;
};

static_assert(identity_policy<local<store::memory>>);

}  // namespace tessera::identity

#endif
