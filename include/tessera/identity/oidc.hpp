// tessera — identity/oidc.hpp
//
// People log in through external identity providers: `oidc_authenticator`, an authenticator
// (authenticator.hpp) of `session_identity` over one or several `upstream_provider`s
// (upstream.hpp), and `oidc<Profile, Store, Clock>`, the identity policy with one provider of
// one profile (profiles.hpp) — beside `identity::local`, and used by the authorization server
// the same way: a person logging in to flytectl's PKCE flow goes through the IdP.
//
//   GET /login?redirect_url=R[&provider=N][&prompt=login]
//       R as everywhere (a safe local redirect, else 400 with no Location; default
//       `default_redirect`). With a session and no `prompt=login`: 303 to R. Otherwise the
//       provider N (with one provider, that one; with several and no N, a page that lists them;
//       an unknown N is 400 `upstream_provider_unknown`), not yet reachable: 503
//       `upstream_unavailable` (discovery retries with backoff). Else a fresh state (256 bits),
//       nonce and PKCE verifier go into the sealed, HttpOnly, SameSite=Lax cookie
//       `tessera_oidc` (`__Host-` in secure mode) with N and R, for `login_lifetime`; and 303 to
//       the IdP's authorization endpoint (never 307).
//   GET /callback?code&state[&iss] | ?error&state
//       Every answer spends the cookie. Refused, each with its cause on the page and in `log`:
//       no cookie or one that does not open (`login_state_missing`: expired, from another
//       browser, tampered), `state` not the cookie's (`login_state_mismatch`, constant-time),
//       a state seen before (`login_state_replayed`, through the store's one-time ids when it
//       keeps them), RFC 9207 `iss` not the issuer of the provider the cookie names
//       (`upstream_issuer_mismatch`; the mix-up defence: the cookie binds the provider, so an
//       answer of the other configured IdP cannot finish this login) or missing when promised,
//       the IdP's `error` (`upstream_error`, with its code when plain), no `code`, then
//       whatever the code exchange, ID token, userinfo or person checks refuse (upstream.hpp).
//       Success: a new session (the old one ended: fixation) holding the IdP's tokens, 303 to R.
//
// The session's IdP tokens are refreshed when stale (`refreshes_upstream`, session_identity.hpp);
// logout continues at the IdP's end_session_endpoint. Browsers apply CSP `form-action` to the
// redirect after the logout form, so the IdP's origin belongs in
// `browser_settings::form_action_sources`.
//
// Pages are the browser layer's: fixed words, the cause's fixed description, never a token or
// the IdP's free text. `log` gets one line per refused sign-in: provider, cause, the IdP's
// plain error code — never a token, code, state or secret.
#ifndef TESSERA_IDENTITY_OIDC_HPP
#define TESSERA_IDENTITY_OIDC_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/compare.hpp>
#include <tessera/error.hpp>
#include <tessera/identity/authenticator.hpp>
#include <tessera/identity/browser.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/identity/html.hpp>
#include <tessera/identity/profiles.hpp>
#include <tessera/identity/session_identity.hpp>
#include <tessera/identity/upstream.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/transport/message.hpp>
#include <tessera/transport/router.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/url.hpp>

#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tessera::identity {

struct oidc_settings {
  /// The identity providers, in the order the chooser page lists them. Distinct names.
  std::vector<std::shared_ptr<const upstream_provider>> providers;
  /// The path every provider's `redirect_uri` ends in.
  std::string callback_path = "/callback";
  /// How long a sign-in may take at the IdP.
  seconds login_lifetime{std::chrono::minutes(10)};
  /// Receives one line per refused sign-in (no secrets); default: standard error.
  std::function<void(std::string_view)> log = [](std::string_view line) { std::cerr << line << std::endl; };
};

class oidc_authenticator {
 public:
  using settings_type = oidc_settings;
  /// The sign-in state cookie (plain-mode name).
  static constexpr std::string_view state_cookie = "tessera_oidc";

  /// Throws `tessera::system_error` (`config_value_invalid`) for no provider, a null one,
  /// two of one name or one `subject_prefix`, a callback path that does not start with '/', a provider whose
  /// `redirect_uri` path is not `callback_path`, or a non-positive `login_lifetime`.
  explicit oidc_authenticator(settings_type s) : settings_(checked(std::move(s))) {}

  const settings_type& settings() const noexcept { return settings_; }

  /// The provider of that name, or null.
  const upstream_provider* provider(std::string_view name) const noexcept {
    for (const auto& p : settings_.providers)
      if (p->settings().name == name) return p.get();
    return nullptr;
  }

  // --- authenticator ---------------------------------------------------------------------

  void install(transport::router& r, const login_services& s) const {
    r.get(std::string(s.login_path()),
          [this, &s](const transport::request& q, const transport::request_context& c) { return login(q, c, s); });
    r.get(settings_.callback_path,
          [this, &s](const transport::request& q, const transport::request_context& c) { return callback(q, c, s); });
  }
  /// The IdP vouched for the person at login; refresh failures end sessions instead.
  bool recognizes(const user&) const { return true; }

  // --- refreshes_upstream ----------------------------------------------------------------

  bool upstream_stale(std::string_view upstream, time_point now) const {
    auto t = upstream_tokens::from_json(upstream);
    if (!t) return false;
    const auto* p = provider(t->provider);
    if (!p || t->refresh_token.empty() || t->expires_at == time_point{}) return false;
    return now + p->settings().refresh_skew >= t->expires_at;
  }

  std::optional<std::string> refresh_upstream(std::string_view upstream, time_point, std::error_code& ec) const {
    ec = {};
    auto t = upstream_tokens::from_json(upstream);
    const upstream_provider* p = t ? provider(t->provider) : nullptr;
    if (!p) return std::nullopt;  // a provider no longer configured: the session ends
    auto next = p->refresh(*t, ec);
    if (ec) {
      if (ec != error::upstream_unavailable) report(p->settings().name, "could not refresh a session", ec, {});
      return std::nullopt;
    }
    if (!next) {
      report(p->settings().name, "refresh refused; the session ends", error::upstream_refresh_refused, {});
      return std::nullopt;
    }
    return next->to_json();
  }

  std::string logout_location(std::string_view upstream, std::string_view, const transport::request_context&) const {
    auto t = upstream_tokens::from_json(upstream);
    const upstream_provider* p = t ? provider(t->provider) : nullptr;
    return p ? p->end_session_url(*t) : std::string();
  }

  /// The person an ID token of one of the providers names, presented on its own (Flyte's
  /// `IDToken` scheme): the first provider whose issuer the token names and whose checks it
  /// passes. `ec`: the last provider's cause (`issuer_mismatch` when none is its issuer).
  std::optional<user> person_of_id_token(std::string_view token, std::error_code& ec) const {
    ec = error::issuer_mismatch;
    for (const auto& p : settings_.providers) {
      std::error_code pec;
      auto u = p->person_of_id_token(token, pec);
      if (u) {
        ec = {};
        return u;
      }
      if (pec != error::issuer_mismatch && pec != error::issuer_tenant_not_allowed) ec = pec;
    }
    return std::nullopt;
  }

  // --- the pages -------------------------------------------------------------------------

  /// GET login_path.
  transport::response login(const transport::request& req, const transport::request_context& ctx,
                            const login_services& s) const {
    const browser& b = s.browser();
    auto redirect = b.redirect_target(req, s.default_redirect());
    if (!redirect) return b.redirect_refused(req);
    std::error_code ec;
    auto query = browser::query(req, ec);
    if (ec) return b.error_page(req, transport::http::status::bad_request, "Bad request", "The sign-in link could not be read.");
    const bool reauthenticate = query.get("prompt") == "login";
    if (!reauthenticate) {
      auto u = s.current_user(req, ctx, ec);
      if (ec) return s.unavailable(req, ec);
      if (u) return browser::see_other(req, *redirect);
    }
    const std::string_view chosen = query.get("provider");
    const upstream_provider* p = nullptr;
    if (chosen.empty()) {
      if (settings_.providers.size() > 1) return chooser(req, s, *redirect, reauthenticate);
      p = settings_.providers.front().get();
    } else {
      p = provider(chosen);
      if (!p) return refused(req, s, "-", error::upstream_provider_unknown, {});
    }
    if (!p->ready(ec)) {
      report(p->settings().name, "sign-in refused", p->status().last_error ? p->status().last_error : ec, {});
      return b.error_page(req, transport::http::status::service_unavailable, "Sign-in unavailable",
                          "The identity provider cannot be reached right now. Please try again in a minute.");
    }
    auto r = p->begin(reauthenticate, ec);
    if (ec) return s.unavailable(req, ec);
    std::string location = p->authorization_url(r, query, ec);
    if (ec) return refused(req, s, p->settings().name, ec, {});
    boost::json::object st{{"p", p->settings().name}, {"s", r.state}, {"v", r.code_verifier}, {"r", *redirect}};
    if (!r.nonce.empty()) st["n"] = r.nonce;
    if (reauthenticate) st["l"] = true;
    std::string cookie = b.seal_cookie(ctx, state_cookie, boost::json::serialize(st), settings_.login_lifetime, s.now(), ec);
    if (ec) return s.unavailable(req, ec);
    auto res = browser::see_other(req, location);
    res.insert(transport::http::field::set_cookie, cookie);
    return res;
  }

  /// GET callback_path.
  transport::response callback(const transport::request& req, const transport::request_context& ctx,
                               const login_services& s) const {
    const browser& b = s.browser();
    std::error_code ec;
    std::string spent = b.expire_cookie(ctx, state_cookie, ec);
    auto with_spent = [&](transport::response res) {
      if (!spent.empty()) res.insert(transport::http::field::set_cookie, spent);
      return res;
    };
    auto query = browser::query(req, ec);
    if (ec) return with_spent(refused(req, s, "-", error::query_malformed, {}));
    std::error_code cookie_ec;
    auto sealed = b.open_cookie(req, ctx, state_cookie, s.now(), cookie_ec);
    if (!sealed) return with_spent(refused(req, s, "-", error::login_state_missing, {}));
    auto st = parse_state(*sealed);
    if (!st) return with_spent(refused(req, s, "-", error::login_state_missing, {}));
    if (!crypto::constant_time_equal(query.get("state"), st->request.state))
      return with_spent(refused(req, s, st->provider, error::login_state_mismatch, {}));
    const upstream_provider* p = provider(st->provider);
    if (!p) return with_spent(refused(req, s, st->provider, error::upstream_provider_unknown, {}));
    if (!p->ready(ec)) {  // a replica whose discovery has not succeeded yet
      report(st->provider, "sign-in failed", p->status().last_error ? p->status().last_error : ec, {});
      return with_spent(b.error_page(req, transport::http::status::service_unavailable, "Sign-in unavailable",
                                     "The identity provider cannot be reached right now. Please try again in a minute."));
    }
    // One use per state, across processes sharing the store (the cookie may have been copied).
    if (!s.use_once("oidc-state:" + store::token_hash(st->request.state), s.now() + settings_.login_lifetime, ec)) {
      if (ec) return with_spent(s.unavailable(req, ec));
      return with_spent(refused(req, s, st->provider, error::login_state_replayed, {}));
    }
    // RFC 9207: the answer must come from the IdP this sign-in went to.
    if (query.contains("iss")) {
      if (!p->response_issuer(query.get("iss")))
        return with_spent(refused(req, s, st->provider, error::upstream_issuer_mismatch, {}));
    } else if (p->promises_iss()) {
      return with_spent(refused(req, s, st->provider, error::upstream_issuer_missing, {}));
    }
    if (query.contains("error"))
      return with_spent(refused(req, s, st->provider, error::upstream_error, detail::plain_error_code(query.get("error"))));
    const std::string_view code = query.get("code");
    if (code.empty()) return with_spent(refused(req, s, st->provider, error::upstream_code_missing, {}));

    std::string idp_error;
    auto login = p->finish(code, st->request, ec, idp_error);
    if (!login) {
      if (condition_of(ec) == condition::temporarily_unavailable || ec == error::http_status_unexpected ||
          !is_tessera_error(ec)) {
        report(st->provider, "sign-in failed", ec, idp_error);
        return with_spent(b.error_page(req, transport::http::status::bad_gateway, "Sign-in failed",
                                       "The identity provider could not be reached to finish the sign-in. Please try again."));
      }
      return with_spent(refused(req, s, st->provider, ec, idp_error));
    }
    auto session = s.start_session(req, ctx, login->person, login->tokens.to_json(), ec);
    if (ec) return with_spent(s.unavailable(req, ec));
    // The redirect was checked at /login and sealed since; checked again all the same.
    const std::string target = b.is_safe_redirect(st->redirect) ? st->redirect : std::string(s.default_redirect());
    auto res = with_spent(browser::see_other(req, target));
    session.add_to(res);
    return res;
  }

 private:
  struct login_state {
    std::string provider;
    std::string redirect;
    upstream_request request;
    bool reauthenticate = false;
  };

  static std::optional<login_state> parse_state(std::string_view text) {
    std::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    auto str = [&](std::string_view k) -> std::optional<std::string> {
      const auto* p = o.if_contains(k);
      if (!p) return std::string();
      if (!p->is_string()) return std::nullopt;
      return std::string(p->get_string());
    };
    auto p = str("p"), s = str("s"), verifier = str("v"), r = str("r"), n = str("n");
    if (!p || !s || !verifier || !r || !n || p->empty() || s->empty() || verifier->empty()) return std::nullopt;
    login_state st;
    st.provider = std::move(*p);
    st.redirect = std::move(*r);
    st.request.state = std::move(*s);
    st.request.code_verifier = std::move(*verifier);
    st.request.nonce = std::move(*n);
    if (const auto* l = o.if_contains("l"); l && l->is_bool()) st.reauthenticate = st.request.reauthenticate = l->get_bool();
    return st;
  }

  static bool is_tessera_error(const std::error_code& ec) noexcept { return ec.category() == tessera::error_category(); }

  void report(std::string_view provider, std::string_view what, const std::error_code& ec, std::string_view idp_error) const {
    if (!settings_.log) return;
    std::string line = "tessera identity: provider ";
    line.append(provider).append(": ").append(what).append(": ").append(ec ? ec.message() : std::string("no cause"));
    if (!idp_error.empty()) line.append(" (identity provider error ").append(idp_error).append(")");
    settings_.log(line);
  }

  // The page for a refused sign-in: the cause's condition and fixed words, a way back to /login.
  transport::response refused(const transport::request& req, const login_services& s, std::string_view provider,
                              const std::error_code& ec, std::string_view idp_error) const {
    report(provider, "sign-in refused", ec, idp_error);
    unsigned status = http_status(condition_of(ec));
    if (status == 401 || status < 400) status = 400;
    std::string body;
    paragraph_append(body, "The sign-in did not succeed: " + ec.message() + ".", true);
    if (!idp_error.empty()) paragraph_append(body, "The identity provider said: " + std::string(idp_error) + ".");
    body.append("<p><a href=\"");
    html_escape_append(body, s.login_path());
    body.append("\">Sign in again</a></p>\n");
    return s.browser().page(req, static_cast<transport::http::status>(status), render_page("Sign-in failed", body));
  }

  // Several providers and none chosen: a page that lists them.
  transport::response chooser(const transport::request& req, const login_services& s, std::string_view redirect,
                              bool reauthenticate) const {
    std::string body;
    paragraph_append(body, "Choose how to sign in:");
    body.append("<ul>\n");
    for (const auto& p : settings_.providers) {
      boost::urls::url link;
      link.set_path(s.login_path());
      link.params().append({"provider", p->settings().name});
      link.params().append({"redirect_url", redirect});
      if (reauthenticate) link.params().append({"prompt", "login"});
      body.append("<li><a href=\"");
      html_escape_append(body, link.buffer());
      body.append("\">");
      html_escape_append(body, p->settings().name);
      body.append("</a></li>\n");
    }
    body.append("</ul>\n");
    return s.browser().page(req, transport::http::status::ok, render_page("Sign in", body));
  }

  static settings_type checked(settings_type s) {
    auto fail = [](std::string what) {
      throw tessera::system_error(error::config_value_invalid, "tessera::identity::oidc_settings: " + what);
    };
    if (s.providers.empty()) fail("no identity provider is configured");
    if (s.callback_path.empty() || s.callback_path.front() != '/' || s.callback_path.find_first_of("?#") != std::string::npos)
      fail("callback_path must start with '/' and hold no '?' or '#'");
    if (s.login_lifetime.count() <= 0) fail("login_lifetime must be positive");
    for (std::size_t i = 0; i < s.providers.size(); ++i) {
      if (!s.providers[i]) fail("providers[" + std::to_string(i) + "] is null");
      const auto& ps = s.providers[i]->settings();
      for (std::size_t j = 0; j < i; ++j) {
        if (s.providers[j]->settings().name == ps.name) fail("two providers are named " + ps.name);
        // People of two IdPs must never share a subject (and with it tokens and consents).
        if (s.providers[j]->settings().subject_prefix == ps.subject_prefix)
          fail("providers " + s.providers[j]->settings().name + " and " + ps.name +
               " need distinct subject_prefix values (e.g. \"" + ps.name + ":\")");
      }
      auto u = boost::urls::parse_absolute_uri(ps.redirect_uri);
      if (!u || u->encoded_path() != s.callback_path)
        fail("provider " + ps.name + ": redirect_uri must be this server's URL of " + s.callback_path);
    }
    return s;
  }

  settings_type settings_;
};

static_assert(authenticator<oidc_authenticator>);
static_assert(refreshes_upstream<oidc_authenticator>);

/// The identity policy of logins through one IdP of profile `Profile`.
template <class Profile, class Store = store::memory, class Clock = system_clock>
class oidc : public session_identity<Store, Clock, oidc_authenticator> {
  using base = session_identity<Store, Clock, oidc_authenticator>;

 public:
  /// Checks the settings (see `session_identity`, `upstream`, `oidc_authenticator`: throws
  /// `tessera::system_error`) and tries discovery once (a failure is retried at sign-in).
  /// `http` carries every call to the IdP; `store` and `clock` must outlive the identity.
  oidc(session_identity_settings settings, upstream_settings idp, transport::any_sync_client http, Store& store,
       const Clock& clock = base::default_clock(), oidc_settings login = {})
      : base(std::move(settings), with_provider(std::move(login), std::move(idp), std::move(http), clock), store, clock) {}

  /// The provider (for readiness).
  const upstream<Profile, Clock>& provider() const noexcept {
    return static_cast<const upstream<Profile, Clock>&>(*this->authenticator().settings().providers.front());
  }

 private:
  static oidc_settings with_provider(oidc_settings login, upstream_settings idp, transport::any_sync_client http,
                                     const Clock& clock) {
    auto p = std::make_shared<upstream<Profile, Clock>>(std::move(idp), std::move(http), clock);
    p->warm_up();
    login.providers = {std::move(p)};
    return login;
  }
};

}  // namespace tessera::identity

#endif
