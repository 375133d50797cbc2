// tessera — identity/upstream.hpp
//
// One external identity provider as tessera's login uses it: `upstream<Profile, Clock>`, a
// relying party of one IdP (Okta, Google, Azure AD, Auth0, Keycloak, any OpenID provider, or
// GitHub's plain OAuth 2.0), configured at run time by `upstream_settings` and specialised at
// compile time by its profile (profiles.hpp). `oidc_authenticator` (oidc.hpp) drives one or
// several of them through the `upstream_provider` interface.
//
// What it does:
//  * discovery (OpenID Connect Discovery 1.0, at the profile's metadata path under `base_url`:
//    Flyte's `openId.baseUrl`) over tessera's HTTP client, https only (loopback http for
//    development, or `allow_http`). The document's issuer must be the configured one:
//    `issuer_url` (Flyte's `openId.issuerUrl`, for an IdP reached in-cluster under another URL
//    than the issuer its tokens carry) or else `base_url` (a trailing slash aside: Auth0);
//    `metadata_issuer_mismatch` otherwise. An IdP that cannot be reached does not stop
//    start-up: `ready` tries again with exponential backoff (`retry_initial` doubling to
//    `retry_max`) and reports the last cause; `status` is for readiness probes. The document
//    is fetched again after `metadata_max_age` (one caller fetches, the others go on with the
//    old one, which also stays when the fetch fails).
//  * keys: the IdP's JWKS through `oauth::remote_jwks` (cached, Cache-Control within bounds,
//    an unknown `kid` refetches at most once per cooldown, single flight — a flood of random
//    `kid`s costs one fetch: docs/security.md row 20).
//  * the authorization request: code flow with PKCE S256, `state`, `nonce` (OpenID only), the
//    scopes (`scopes`, else the profile's), `prompt=login` when re-authentication is asked,
//    the profile's parameters (Okta `idp`, Auth0 `audience`, Google `access_type=offline`) and
//    `extra_authorize_parameters`.
//  * the code exchange as a confidential client: `client_secret_basic` unless the IdP's
//    metadata lists only `client_secret_post`; `Accept: application/json` (GitHub answers a
//    form otherwise); an IdP's JSON `error` (with a 200, as GitHub does, or a 4xx) is
//    `upstream_token_refused`; a malformed, oversized or token-less answer is
//    `upstream_token_invalid`; each token at most `max_token_size` bytes.
//  * the ID token (oauth/id_token.hpp): signature by the IdP's keys with the algorithms its
//    metadata lists (RS256 when it lists none; never `none` or HMAC), `iss` (the profile's
//    rules: exact, Google's two spellings, Azure's tenant template with an allow-list and `tid`
//    agreeing), `aud`/`azp`, `exp`/`iat`, `nonce`, `at_hash`. `upstream_id_token_missing`
//    when an OpenID provider returns none.
//  * userinfo (when the IdP has an endpoint and `use_userinfo`): a JSON object; an empty or
//    absent `sub` is filled from the ID token (Google), a different one is
//    `userinfo_subject_mismatch`. GitHub's profile reads `/user` and `/user/emails` instead.
//  * the person: `sub` of the ID token (GitHub: the numeric `id`), profile claims from the ID
//    token and userinfo (protocol claims dropped; at most `max_claims` members of at most
//    `max_claim_size` bytes each, larger ones dropped), `auth_time` from the token or now.
//  * refresh (`refresh`): grant_type=refresh_token; a 4xx answer is a refusal (the session
//    ends), anything else a failure to ask (the session stays); the old refresh token is kept
//    when the IdP sends no new one (RFC 6749 §6); a new ID token must name the same `sub`.
//  * RP-initiated logout (`end_session_url`): the metadata's `end_session_endpoint` with
//    `id_token_hint`, `client_id` and `post_logout_redirect_uri` (when configured: it must be
//    registered at the IdP).
//
// `Clock` is held by value, as `oauth::remote_jwks` holds it: a copyable clock (a test's manual
// clock goes behind a shared handle). Tokens never reach a log or an error page: errors carry causes (error.hpp), and the IdP's
// `error` code is passed on only when it is a plain RFC-style token (letters, digits, '_').
#ifndef TESSERA_IDENTITY_UPSTREAM_HPP
#define TESSERA_IDENTITY_UPSTREAM_HPP

#include <tessera/clock.hpp>
#include <tessera/crypto/pkce.hpp>
#include <tessera/detail/ascii.hpp>
#include <tessera/error.hpp>
#include <tessera/http/basic_auth.hpp>
#include <tessera/http/form.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/jose/algorithm.hpp>
#include <tessera/jose/issuer.hpp>
#include <tessera/jose/jwt.hpp>
#include <tessera/oauth/discovery.hpp>
#include <tessera/oauth/id_token.hpp>
#include <tessera/oauth/metadata.hpp>
#include <tessera/oauth/remote_jwks.hpp>
#include <tessera/transport/any_client.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tessera::identity {

/// Run-time configuration of one external identity provider.
struct upstream_settings {
  /// Names this provider in `/login?provider=` and in the sign-in state (letters, digits,
  /// '-', '_', '.'; 1–64). Several providers need distinct names.
  std::string name = "idp";
  /// Flyte `openId.baseUrl`: where discovery starts (the issuer, or the URL the IdP is reached
  /// under). GitHub: "https://github.com" or a GitHub Enterprise server.
  std::string base_url;
  /// Flyte `openId.issuerUrl`: the issuer the IdP's documents and tokens name, when it is not
  /// `base_url`.
  std::string issuer_url;
  /// The discovery document, relative to `base_url` or absolute; empty: the profile's.
  std::string metadata_url;
  std::string client_id;
  /// Flyte `oidc_client_secret`. Never logged.
  std::string client_secret;
  /// Empty: the profile's defaults.
  std::vector<std::string> scopes;
  /// This server's callback as registered at the IdP (absolute; its path is the
  /// authenticator's `callback_path`): "https://flyte.example.com/callback".
  std::string redirect_uri;
  /// Where the IdP sends the browser after RP-initiated logout (registered at the IdP);
  /// empty: not sent (the IdP shows its own page).
  std::string post_logout_redirect_uri;
  /// Flyte `idpQueryParameter` (Okta: "idp"): a `/login` query parameter of this name is passed
  /// on to the IdP's authorization request under the same name.
  std::string idp_query_parameter;
  /// Auth0 (and others that need it): the API audience sent on the authorization and token
  /// requests. GCP Identity: the project id (the `aud` of its tokens).
  std::string audience;
  /// Azure AD multi-tenant (`/common`, `/organizations`): the tenants whose people may log in.
  std::vector<std::string> tenants;
  /// Audiences besides the client id an ID token may carry.
  std::vector<std::string> trusted_audiences;
  /// GitHub's API ("https://api.github.com"; GitHub Enterprise: "<base>/api/v3"); empty: derived.
  std::string api_url;
  /// Put before every subject of this IdP ("github:"), so that people of two IdPs never share a
  /// subject; required (distinct) when several IdPs are configured. Empty: the IdP's `sub`
  /// as it is (Flyte's subjects).
  std::string subject_prefix;
  /// Sent with every authorization request (after the profile's). A name set twice, or one of
  /// the protocol's own (response_type, client_id, redirect_uri, scope, state, nonce,
  /// code_challenge, code_challenge_method, prompt, max_age), is a configuration error.
  std::vector<std::pair<std::string, std::string>> extra_authorize_parameters;
  /// Fetch userinfo after the code exchange when the IdP has an endpoint.
  bool use_userinfo = true;
  /// Accept plain http to hosts other than loopback (never in production).
  bool allow_http = false;
  seconds leeway{60};
  /// Discovery retries: first after `retry_initial`, doubling up to `retry_max`.
  seconds retry_initial{1};
  seconds retry_max{60};
  /// Fetch the discovery document again after this long (the keys follow their own
  /// `keys.max_age` and rotation rules); a failed fetch keeps the old one.
  seconds metadata_max_age{std::chrono::hours(24)};
  /// After a refresh could not reach the IdP, sessions wait this long before the next try
  /// (serving their stale tokens meanwhile).
  seconds refresh_retry{30};
  /// Refresh the IdP's tokens this long before they expire.
  seconds refresh_skew{30};
  oauth::remote_jwks_options keys{};
  std::size_t max_response_bytes = 256 * 1024;
  std::size_t max_token_size = 16 * 1024;
  std::size_t max_claims = 64;
  std::size_t max_claim_size = 4096;
};

/// The IdP's tokens a session keeps (session.hpp seals them), in tessera's own JSON form.
struct upstream_tokens {
  std::string provider;       // upstream_settings::name
  std::string subject;        // the person's sub at the IdP
  std::string access_token;
  std::string refresh_token;  // empty: none
  std::string id_token;       // empty: none (GitHub)
  time_point expires_at{};    // of the access token; epoch: unknown (never refreshed on time)

  std::string to_json() const {
    boost::json::object o{{"p", provider}, {"s", subject}, {"at", access_token}};
    if (!refresh_token.empty()) o["rt"] = refresh_token;
    if (!id_token.empty()) o["it"] = id_token;
    if (expires_at != time_point{}) o["exp"] = to_unix_seconds(expires_at);
    return boost::json::serialize(o);
  }
  static std::optional<upstream_tokens> from_json(std::string_view text) {
    std::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    auto str = [&](std::string_view k, std::string& out) {
      if (const auto* p = o.if_contains(k)) {
        if (!p->is_string()) return false;
        out = p->get_string();
      }
      return true;
    };
    upstream_tokens t;
    if (!str("p", t.provider) || !str("s", t.subject) || !str("at", t.access_token) || !str("rt", t.refresh_token) ||
        !str("it", t.id_token))
      return std::nullopt;
    if (const auto* e = o.if_contains("exp")) {
      if (!e->is_int64()) return std::nullopt;
      t.expires_at = from_unix_seconds(e->get_int64());
    }
    if (t.provider.empty()) return std::nullopt;
    return t;
  }
};

/// A person as a plain OAuth 2.0 profile reads them from the IdP's API (GitHub).
struct upstream_person {
  std::string subject;
  boost::json::object claims;
};

/// What a finished sign-in yields: the person and the IdP's tokens.
struct upstream_login {
  user person;
  upstream_tokens tokens;
};

/// What the sign-in sent, to check the answer against.
struct upstream_request {
  std::string state;
  std::string nonce;          // empty for plain OAuth 2.0
  std::string code_verifier;
  bool reauthenticate = false;  // prompt=login was asked
};

/// Readiness of a provider (discovery and keys).
struct upstream_status {
  bool ready = false;
  std::error_code last_error{};  // of the last failed discovery attempt
  std::size_t attempts = 0;
};

/// One external IdP, as the authenticator drives it. Implemented by `upstream<Profile, Clock>`.
/// Member functions are const and thread-safe.
class upstream_provider {
 public:
  virtual ~upstream_provider() = default;
  virtual const upstream_settings& settings() const noexcept = 0;
  virtual std::string_view profile_name() const noexcept = 0;
  /// Whether the metadata is known; tries discovery when due (header comment). On false `ec`
  /// is `upstream_unavailable`; `status().last_error` has the cause.
  virtual bool ready(std::error_code& ec) const = 0;
  virtual upstream_status status() const = 0;
  /// The issuer the IdP's discovery document names; empty before `ready`. For a multi-tenant
  /// endpoint (Azure AD's `/organizations`) a template with `{tenantid}`.
  virtual std::string issuer() const = 0;
  /// Whether `iss`, the callback's RFC 9207 parameter, names this IdP: the issuer exactly, or,
  /// when the issuer is a tenant template, that template filled with an allowed tenant
  /// (`settings().tenants`; the template itself is no tenant). False before `ready`.
  virtual bool response_issuer(std::string_view iss) const {
    const std::string mine = issuer();
    if (mine.empty()) return false;
    if (mine.find(jose::tenant_issuer::placeholder) == std::string::npos) return iss == mine;
    if (settings().tenants.empty()) return false;  // never "any tenant"
    std::error_code ec;
    auto allowed = jose::tenant_issuer::allow(mine, settings().tenants, ec);
    return !ec && !allowed.check(iss);
  }
  /// Whether the IdP promises `iss` in every authorization response (RFC 9207 §3).
  virtual bool promises_iss() const = 0;
  /// A fresh sign-in: state, nonce (OpenID), PKCE verifier. `random_failure` on failure.
  virtual upstream_request begin(bool reauthenticate, std::error_code& ec) const = 0;
  /// The authorization URL for `r`; `login_query` is the `/login` request's query (for the
  /// `idp_query_parameter`). `upstream_unavailable` before `ready`.
  virtual std::string authorization_url(const upstream_request& r, const http::parameters& login_query,
                                        std::error_code& ec) const = 0;
  /// Exchanges `code`, validates what comes back, reads userinfo (header comment). On failure
  /// `ec` says why and `idp_error` holds the IdP's `error` code when it sent one.
  virtual std::optional<upstream_login> finish(std::string_view code, const upstream_request& r, std::error_code& ec,
                                               std::string& idp_error) const = 0;
  /// Refreshes `t` at the IdP: new tokens, or nullopt with `ec` clear when the IdP refused,
  /// or with `ec` set when it could not be asked.
  virtual std::optional<upstream_tokens> refresh(const upstream_tokens& t, std::error_code& ec) const = 0;
  /// Where RP-initiated logout sends the browser; "" when the IdP has no end_session_endpoint.
  virtual std::string end_session_url(const upstream_tokens& t) const = 0;
  /// An ID token of this IdP presented on its own (Flyte's `IDToken` scheme): its person, or
  /// nullopt with the cause (OpenID profiles only; `token_scheme_unsupported` for GitHub).
  virtual std::optional<user> person_of_id_token(std::string_view id_token, std::error_code& ec) const = 0;
};

namespace detail {

inline constexpr std::string_view protocol_claims[] = {"iss",    "aud",      "exp", "iat", "nbf",  "nonce", "at_hash",
                                                       "c_hash", "azp",      "jti", "sid", "auth_time", "acr", "amr",
                                                       "s_hash", "uti",      "rh",  "typ", "ver",  "_claim_names",
                                                       "_claim_sources", "updated_at"};

inline bool is_protocol_claim(std::string_view k) noexcept {
  return std::find(std::begin(protocol_claims), std::end(protocol_claims), k) != std::end(protocol_claims);
}

/// `e` when it is a plain error code (letters, digits, '_', '.', '-'; 1–64), else "error".
inline std::string plain_error_code(std::string_view e) {
  const bool ok = !e.empty() && e.size() <= 64 && std::all_of(e.begin(), e.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
  return ok ? std::string(e) : std::string("error");
}

inline bool is_provider_name(std::string_view n) noexcept {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

/// GET `url` with `Authorization: Bearer <access_token>`: the JSON document of a 200 answer of
/// at most `s.max_response_bytes` (16 levels deep at most). `userinfo_failed` for any other
/// answer; the client's error when it could not ask.
inline boost::json::value get_json_with_token(const transport::any_sync_client& http, const std::string& url,
                                              std::string_view access_token, std::string_view accept,
                                              const upstream_settings& s, std::error_code& ec) {
  transport::request req{transport::http::verb::get, "/", 11};
  req.set(transport::http::field::accept, accept);
  req.set(transport::http::field::authorization, "Bearer " + std::string(access_token));
  auto res = http.send(std::move(req), url, ec);
  if (ec) return {};
  if (res.result() != transport::http::status::ok || res.body().size() > s.max_response_bytes) {
    ec = error::userinfo_failed;
    return {};
  }
  boost::json::parse_options popts;
  popts.max_depth = 16;
  std::error_code json_ec;
  auto v = boost::json::parse(res.body(), json_ec, {}, popts);
  if (json_ec) {
    ec = error::userinfo_failed;
    return {};
  }
  return v;
}

/// Copies into `out` the members of `in` that are profile claims, within the bounds.
inline void merge_profile_claims(boost::json::object& out, const boost::json::object& in, const upstream_settings& s) {
  for (const auto& [k, v] : in) {
    if (k == "sub" || is_protocol_claim(k)) continue;
    if (boost::json::serialize(v).size() > s.max_claim_size || k.size() > 128) continue;
    if (!out.contains(k) && out.size() >= s.max_claims) continue;
    out[k] = v;
  }
}

}  // namespace detail

template <class Profile, clock Clock = system_clock>
class upstream final : public upstream_provider {
 public:
  using profile_type = Profile;

  /// Checks `s` (throws `tessera::system_error`: `config_value_invalid` naming the setting, or
  /// the profile's rule) and fetches nothing yet: the first `ready` (or `warm_up`) does.
  upstream(upstream_settings s, transport::any_sync_client http, Clock clk = {})
      : settings_(checked(std::move(s))), http_(std::move(http)), clock_(std::move(clk)) {}

  /// Tries discovery once now (start-up); the result is in `status`.
  void warm_up() const {
    std::error_code ec;
    (void)ready(ec);
  }

  const upstream_settings& settings() const noexcept override { return settings_; }
  std::string_view profile_name() const noexcept override { return Profile::name; }

  bool ready(std::error_code& ec) const override {
    ec = {};
    if (auto st = current()) {
      if (clock_.now() >= st->loaded_at + settings_.metadata_max_age) reload();
      return true;
    }
    // One discovery at a time; callers meanwhile fail fast instead of queueing behind it.
    std::unique_lock fetching(fetch_mutex_, std::try_to_lock);
    if (!fetching.owns_lock()) {
      ec = error::upstream_unavailable;
      return false;
    }
    if (current()) return true;
    if (attempted_ && clock_.now() < next_attempt_) {
      ec = error::upstream_unavailable;
      return false;
    }
    attempted_ = true;
    if (!fetch_and_install()) {
      ec = error::upstream_unavailable;
      return false;
    }
    return true;
  }

  // A stale document is fetched again by one caller, without blocking the others; on failure
  // the old one stays and the next try waits out the backoff.
  void reload() const {
    std::unique_lock fetching(fetch_mutex_, std::try_to_lock);
    if (!fetching.owns_lock()) return;
    const time_point now = clock_.now();
    {
      std::lock_guard lk(state_mutex_);
      if (!state_ || now < state_->loaded_at + settings_.metadata_max_age || now < next_attempt_) return;
    }
    (void)fetch_and_install();
  }

  // One discovery (under fetch_mutex_): installs the new state, or keeps the old one and
  // schedules the next try after the backoff, counted from the end of this one so that its
  // timeouts do not eat the wait.
  bool fetch_and_install() const {
    std::error_code why;
    auto st = load(why);
    const time_point after = clock_.now();
    std::lock_guard lk(state_mutex_);
    ++status_.attempts;
    status_.last_error = why;
    if (why) {
      next_attempt_ = after + backoff_;
      backoff_ = std::min(backoff_ * 2, settings_.retry_max);
      return false;
    }
    backoff_ = settings_.retry_initial;
    state_ = std::move(st);
    return true;
  }

  upstream_status status() const override {
    std::lock_guard lk(state_mutex_);
    upstream_status s = status_;
    s.ready = state_ != nullptr;
    return s;
  }

  std::string issuer() const override {
    auto st = current();
    return st ? st->metadata.issuer : std::string();
  }
  bool promises_iss() const override {
    auto st = current();
    return st && st->metadata.authorization_response_iss_parameter_supported;
  }
  /// The discovered metadata (after `ready`).
  std::optional<oauth::server_metadata> metadata() const {
    auto st = current();
    if (!st) return std::nullopt;
    return st->metadata;
  }

  upstream_request begin(bool reauthenticate, std::error_code& ec) const override {
    upstream_request r;
    r.reauthenticate = reauthenticate;
    r.state = random(ec);
    if (!ec && Profile::openid) r.nonce = random(ec);
    if (!ec) r.code_verifier = crypto::pkce::make_verifier(ec);
    if (ec) return {};
    return r;
  }

  std::string authorization_url(const upstream_request& r, const http::parameters& login_query,
                                std::error_code& ec) const override {
    ec = {};
    auto st = current();
    if (!st) {
      ec = error::upstream_unavailable;
      return {};
    }
    if constexpr (!Profile::interactive) {
      (void)r;
      (void)login_query;
      ec = error::upstream_not_interactive;
      return {};
    }
    auto u = boost::urls::parse_absolute_uri(st->metadata.authorization_endpoint);
    if (!u) {
      ec = error::metadata_invalid;
      return {};
    }
    boost::urls::url url(*u);
    auto params = url.params();
    params.append({"response_type", "code"});
    params.append({"client_id", settings_.client_id});
    params.append({"redirect_uri", settings_.redirect_uri});
    params.append({"scope", scope_of(st->metadata)});
    params.append({"state", r.state});
    if (!r.nonce.empty()) params.append({"nonce", r.nonce});
    params.append({"code_challenge", crypto::pkce::s256_challenge(r.code_verifier)});
    params.append({"code_challenge_method", "S256"});
    if (r.reauthenticate) {
      // OIDC Core 3.1.2.1: max_age=0 makes the IdP authenticate again and name auth_time,
      // which the ID token must then prove (finish); plain OAuth 2.0 can only ask.
      params.append({"prompt", "login"});
      if (Profile::openid) params.append({"max_age", "0"});
    }
    std::vector<std::pair<std::string, std::string>> extra;
    Profile::authorize_parameters(settings_, extra);
    for (const auto& p : settings_.extra_authorize_parameters) extra.push_back(p);
    if (!settings_.idp_query_parameter.empty()) {
      const std::string_view v = login_query.get(settings_.idp_query_parameter);
      if (!v.empty() && v.size() <= 256) extra.emplace_back(settings_.idp_query_parameter, std::string(v));
    }
    for (const auto& [k, v] : extra) {
      if (url.params().contains(k)) continue;  // never overrides the protocol's own
      params.append({k, v});
    }
    return std::string(url.buffer());
  }

  std::optional<upstream_login> finish(std::string_view code, const upstream_request& r, std::error_code& ec,
                                       std::string& idp_error) const override {
    ec = {};
    idp_error.clear();
    auto st = current();
    if (!st) {
      ec = error::upstream_unavailable;
      return std::nullopt;
    }
    transport::form_fields form{{"grant_type", "authorization_code"},
                                {"code", std::string(code)},
                                {"redirect_uri", settings_.redirect_uri},
                                {"code_verifier", r.code_verifier}};
    auto answer = token_request(*st, std::move(form), ec, idp_error);
    if (ec) return std::nullopt;
    const time_point now = clock_.now();

    upstream_login out;
    out.tokens.provider = settings_.name;
    out.tokens.access_token = answer.access_token;
    out.tokens.refresh_token = answer.refresh_token;
    out.tokens.id_token = answer.id_token;
    if (answer.expires_in) out.tokens.expires_at = now + *answer.expires_in;
    out.person.auth_time = now;

    if constexpr (Profile::openid) {
      if (answer.id_token.empty()) {
        ec = error::upstream_id_token_missing;
        return std::nullopt;
      }
      oauth::id_token_expectations expect;
      expect.nonce = r.nonce;
      expect.access_token = answer.access_token;
      if (r.reauthenticate) expect.max_age = settings_.leeway;  // a fresh auth_time is required
      auto jwt = st->id_tokens->validate(answer.id_token, expect, ec, clock_);
      if (ec) return std::nullopt;
      if (auto e = Profile::check_id_token(settings_, jwt)) {
        ec = e;
        return std::nullopt;
      }
      out.tokens.subject = std::string(jwt.claims.at("sub").get_string());
      if (auto at = jwt.date_claim("auth_time")) out.person.auth_time = *at;
      detail::merge_profile_claims(out.person.claims, jwt.claims, settings_);
      if (settings_.use_userinfo && !st->metadata.userinfo_endpoint.empty()) {
        auto info = userinfo(st->metadata.userinfo_endpoint, answer.access_token, ec);
        if (ec) return std::nullopt;
        if (const auto* sub = info.if_contains("sub"); sub && !(sub->is_string() && sub->get_string().empty())) {
          if (!sub->is_string() || sub->get_string() != out.tokens.subject) {
            ec = error::userinfo_subject_mismatch;
            return std::nullopt;
          }
        }
        detail::merge_profile_claims(out.person.claims, info, settings_);
      }
    } else {
      // Plain OAuth 2.0: the profile reads the person from its API.
      auto person = Profile::fetch_person(http_, settings_, answer.access_token, ec);
      if (ec) return std::nullopt;
      out.tokens.subject = std::move(person.subject);
      detail::merge_profile_claims(out.person.claims, person.claims, settings_);
    }
    Profile::adjust_claims(out.person.claims);
    out.person.subject = settings_.subject_prefix + out.tokens.subject;
    return out;
  }

  std::optional<upstream_tokens> refresh(const upstream_tokens& t, std::error_code& ec) const override {
    ec = {};
    if (t.refresh_token.empty()) return std::nullopt;  // nothing to refresh with: refused
    // After a failure to reach the IdP, wait out the backoff instead of asking on every request.
    if (clock_.now().time_since_epoch().count() < next_refresh_.load(std::memory_order_acquire)) {
      ec = error::upstream_unavailable;
      return std::nullopt;
    }
    std::error_code ready_ec;
    if (!ready(ready_ec)) {
      ec = ready_ec;
      return std::nullopt;
    }
    auto st = current();
    transport::form_fields form{{"grant_type", "refresh_token"}, {"refresh_token", t.refresh_token}};
    std::string idp_error;
    auto answer = token_request(*st, std::move(form), ec, idp_error);
    // Only invalid_grant says the refresh token is dead (RFC 6749 5.2): the session ends. Any
    // other refusal (a rotated client secret, rate limits) or failure is the IdP's trouble:
    // the session stays, and the next try waits.
    if (ec == error::upstream_token_refused && idp_error == "invalid_grant") {
      ec = {};
      return std::nullopt;
    }
    if (ec) {
      next_refresh_.store((clock_.now() + settings_.refresh_retry).time_since_epoch().count(), std::memory_order_release);
      return std::nullopt;
    }
    upstream_tokens next = t;
    next.access_token = answer.access_token;
    if (!answer.refresh_token.empty()) next.refresh_token = answer.refresh_token;
    next.expires_at = answer.expires_in ? clock_.now() + *answer.expires_in : time_point{};
    if constexpr (Profile::openid) {
      if (!answer.id_token.empty()) {
        // OIDC Core §12.2: the same person, from the same issuer, for this client.
        oauth::id_token_expectations expect;
        expect.from_this_login = false;
        expect.access_token = answer.access_token;
        std::error_code id_ec;
        auto jwt = st->presented->validate(answer.id_token, expect, id_ec, clock_);
        if (id_ec && condition_of(id_ec) == condition::temporarily_unavailable) {  // keys out of reach
          ec = id_ec;
          return std::nullopt;
        }
        if (id_ec || Profile::check_id_token(settings_, jwt) || jwt.claims.at("sub").get_string() != t.subject)
          return std::nullopt;  // refused: the session ends
        next.id_token = answer.id_token;
      }
    }
    return next;
  }

  std::optional<user> person_of_id_token(std::string_view id_token, std::error_code& ec) const override {
    ec = {};
    if constexpr (!Profile::openid) {
      (void)id_token;
      ec = error::token_scheme_unsupported;
      return std::nullopt;
    } else {
      if (!ready(ec)) return std::nullopt;
      auto st = current();
      oauth::id_token_expectations expect;
      expect.from_this_login = false;
      auto jwt = st->presented->validate(id_token, expect, ec, clock_);  // any age until exp
      if (ec) return std::nullopt;
      if (auto e = Profile::check_id_token(settings_, jwt)) {
        ec = e;
        return std::nullopt;
      }
      user u;
      u.subject = settings_.subject_prefix + std::string(jwt.claims.at("sub").get_string());
      u.auth_time = jwt.date_claim("auth_time").value_or(time_point{});
      detail::merge_profile_claims(u.claims, jwt.claims, settings_);
      Profile::adjust_claims(u.claims);
      return u;
    }
  }

  std::string end_session_url(const upstream_tokens& t) const override {
    auto st = current();
    if (!st || st->metadata.end_session_endpoint.empty()) return {};
    auto u = boost::urls::parse_absolute_uri(st->metadata.end_session_endpoint);
    if (!u) return {};
    boost::urls::url url(*u);
    if (!t.id_token.empty()) url.params().append({"id_token_hint", t.id_token});
    url.params().append({"client_id", settings_.client_id});
    if (!settings_.post_logout_redirect_uri.empty())
      url.params().append({"post_logout_redirect_uri", settings_.post_logout_redirect_uri});
    return std::string(url.buffer());
  }

 private:
  struct state {
    time_point loaded_at{};
    oauth::server_metadata metadata;
    std::unique_ptr<oauth::id_token_validator<oauth::remote_jwks<Clock>>> id_tokens;  // OpenID only
    // ID tokens presented on their own (Flyte's IDToken): valid until exp, whatever their age.
    std::unique_ptr<oauth::id_token_validator<oauth::remote_jwks<Clock>>> presented;
    bool post_only = false;  // the IdP lists client_secret_post and not client_secret_basic
  };

  struct token_answer {
    std::string access_token;
    std::string refresh_token;
    std::string id_token;
    std::optional<seconds> expires_in;
  };

  static upstream_settings checked(upstream_settings s) {
    auto fail = [](std::string what) {
      throw tessera::system_error(error::config_value_invalid, "tessera::identity::upstream_settings: " + what);
    };
    if (!detail::is_provider_name(s.name)) fail("name must be 1-64 letters, digits, '-', '_' or '.'");
    if (s.client_id.empty()) fail("client_id is empty");
    std::error_code ec;
    for (const auto* url : {&s.base_url, &s.redirect_uri}) {
      oauth::detail::require_secure(*url, s.allow_http, ec);
      if (ec) fail((url == &s.base_url ? "base_url" : "redirect_uri") + std::string(" is not an https URL (or loopback http)"));
    }
    if (!s.post_logout_redirect_uri.empty()) {
      oauth::detail::require_secure(s.post_logout_redirect_uri, s.allow_http, ec);
      if (ec) fail("post_logout_redirect_uri is not an https URL (or loopback http)");
    }
    if (!s.api_url.empty()) {
      oauth::detail::require_secure(s.api_url, s.allow_http, ec);
      if (ec) fail("api_url is not an https URL (or loopback http)");
    }
    if (s.subject_prefix.size() > 64) fail("subject_prefix is longer than 64 bytes");
    static constexpr std::string_view reserved[] = {"response_type", "client_id", "redirect_uri", "scope", "state",
                                                    "nonce", "code_challenge", "code_challenge_method", "prompt", "max_age"};
    for (std::size_t i = 0; i < s.extra_authorize_parameters.size(); ++i) {
      const auto& name = s.extra_authorize_parameters[i].first;
      if (name.empty() || std::find(std::begin(reserved), std::end(reserved), name) != std::end(reserved))
        fail("extra_authorize_parameters names the protocol's own parameter \"" + name + "\"");
      for (std::size_t j = 0; j < i; ++j)
        if (s.extra_authorize_parameters[j].first == name) fail("extra_authorize_parameters names \"" + name + "\" twice");
    }
    if (s.retry_initial.count() <= 0 || s.retry_max < s.retry_initial) fail("retry_initial must be positive and at most retry_max");
    if (s.metadata_max_age < s.retry_max) fail("metadata_max_age must be at least retry_max");
    if (s.max_token_size == 0 || s.max_response_bytes == 0) fail("size limits must be positive");
    std::string why;
    Profile::check(s, why);
    if (!why.empty()) fail(why);
    return s;
  }

  std::shared_ptr<const state> current() const {
    std::lock_guard lk(state_mutex_);
    return state_;
  }

  static std::string random(std::error_code& ec) {
    std::array<unsigned char, 32> raw;
    crypto::random_bytes(raw, ec);
    return ec ? std::string() : crypto::base64url_encode(raw);
  }

  std::string scope_of(const oauth::server_metadata& m) const {
    std::vector<std::string> scopes = settings_.scopes.empty() ? Profile::default_scopes(m) : settings_.scopes;
    std::string out;
    for (const auto& s : scopes) {
      if (!out.empty()) out += ' ';
      out += s;
    }
    return out;
  }

  std::shared_ptr<state> load(std::error_code& ec) const {
    auto st = std::make_shared<state>();
    st->loaded_at = clock_.now();
    if constexpr (Profile::openid) {
      oauth::discovery_options d;
      d.metadata_url = settings_.metadata_url.empty() ? std::string(Profile::metadata_path) : settings_.metadata_url;
      d.expected_issuer = Profile::discovery_issuer(settings_);
      d.allow_http = settings_.allow_http;
      d.max_document_bytes = settings_.max_response_bytes;
      st->metadata = oauth::discover(http_, settings_.base_url, d, ec);
      if (ec) return nullptr;
      for (const auto* url : {&st->metadata.authorization_endpoint, &st->metadata.token_endpoint, &st->metadata.jwks_uri}) {
        if (url->empty() && (Profile::interactive || url == &st->metadata.jwks_uri)) {
          ec = error::metadata_invalid;
          return nullptr;
        }
      }
      for (const auto* url : {&st->metadata.authorization_endpoint, &st->metadata.token_endpoint, &st->metadata.jwks_uri,
                              &st->metadata.userinfo_endpoint, &st->metadata.end_session_endpoint}) {
        if (url->empty()) continue;
        oauth::detail::require_secure(*url, settings_.allow_http, ec);
        if (ec) return nullptr;
      }
      oauth::id_token_options o;
      o.client_id = Profile::id_token_audience(settings_);
      o.trusted_audiences = settings_.trusted_audiences;
      o.leeway = settings_.leeway;
      o.algorithms.clear();
      for (const auto& name : st->metadata.id_token_signing_alg_values_supported) {
        std::error_code alg_ec;
        auto alg = jose::parse_algorithm(name, alg_ec);
        if (!alg_ec && alg && !jose::is_hmac(*alg)) o.algorithms.push_back(*alg);
      }
      if (o.algorithms.empty()) o.algorithms.push_back(jose::algorithm::RS256);
      Profile::token_issuers(settings_, st->metadata, o, ec);
      if (ec) return nullptr;
      oauth::remote_jwks<Clock> keys(st->metadata.jwks_uri, http_, settings_.keys, clock_);
      std::error_code key_ec;
      (void)keys.refresh(key_ec);  // keys now when the IdP serves them; else at the first token
      try {
        oauth::id_token_options any_age = o;
        any_age.max_issued_age = std::chrono::years(100);
        st->presented = std::make_unique<oauth::id_token_validator<oauth::remote_jwks<Clock>>>(keys, std::move(any_age));
        st->id_tokens = std::make_unique<oauth::id_token_validator<oauth::remote_jwks<Clock>>>(std::move(keys), std::move(o));
      } catch (const tessera::system_error& e) {
        ec = e.code();
        return nullptr;
      }
    } else {
      st->metadata = Profile::static_metadata(settings_);
    }
    const auto& methods = st->metadata.token_endpoint_auth_methods_supported;
    st->post_only = std::find(methods.begin(), methods.end(), "client_secret_post") != methods.end() &&
                    std::find(methods.begin(), methods.end(), "client_secret_basic") == methods.end();
    return st;
  }

  token_answer token_request(const state& st, transport::form_fields form, std::error_code& ec,
                             std::string& idp_error) const {
    Profile::token_parameters(settings_, form);
    transport::http::fields headers;
    headers.set(transport::http::field::accept, "application/json");
    if (settings_.client_secret.empty()) {  // a public client: PKCE alone (RFC 7636)
      form.emplace_back("client_id", settings_.client_id);
    } else if (st.post_only) {
      form.emplace_back("client_id", settings_.client_id);
      form.emplace_back("client_secret", settings_.client_secret);
    } else {
      headers.set(transport::http::field::authorization, http::basic_authorization(settings_.client_id, settings_.client_secret));
    }
    auto res = http_.post_form(st.metadata.token_endpoint, form, headers, ec);
    for (auto& [k, v] : form) OPENSSL_cleanse(v.data(), v.size());
    if (ec) return {};  // could not ask
    token_answer a;
    if (res.body().size() > settings_.max_response_bytes) {
      ec = error::upstream_token_invalid;
      return {};
    }
    std::error_code json_ec;
    auto doc = boost::json::parse(res.body(), json_ec);
    const auto status = static_cast<unsigned>(res.result_int());
    const boost::json::object* o = (!json_ec && doc.is_object()) ? &doc.get_object() : nullptr;
    if (o) {
      if (const auto* e = o->if_contains("error"); e && e->is_string()) {
        idp_error = detail::plain_error_code(e->get_string());
        ec = status >= 500 ? std::error_code(error::http_status_unexpected) : std::error_code(error::upstream_token_refused);
        return {};
      }
    }
    if (status >= 400 && status < 500) {
      ec = error::upstream_token_refused;
      return {};
    }
    if (status != 200) {
      ec = error::http_status_unexpected;
      return {};
    }
    if (!o) {
      ec = error::upstream_token_invalid;
      return {};
    }
    auto str = [&](std::string_view k, std::string& out) {
      const auto* p = o->if_contains(k);
      if (!p) return true;
      if (!p->is_string() || p->get_string().size() > settings_.max_token_size) return false;
      out = p->get_string();
      return true;
    };
    std::string token_type;
    if (!str("access_token", a.access_token) || !str("refresh_token", a.refresh_token) || !str("id_token", a.id_token) ||
        !str("token_type", token_type) || a.access_token.empty() ||
        !(token_type.empty() || tessera::detail::iequals_ascii(token_type, "bearer"))) {
      ec = error::upstream_token_invalid;
      return {};
    }
    if (const auto* e = o->if_contains("expires_in")) {
      // A number (some IdPs send a string of digits).
      std::int64_t v = -1;
      if (e->is_int64()) v = e->get_int64();
      else if (e->is_uint64() && e->get_uint64() < (1ull << 40)) v = static_cast<std::int64_t>(e->get_uint64());
      else if (e->is_string() && !e->get_string().empty() && e->get_string().size() <= 12 &&
               std::all_of(e->get_string().begin(), e->get_string().end(), [](char c) { return c >= '0' && c <= '9'; }))
        v = std::stoll(std::string(e->get_string()));
      if (v < 0 || v > (std::int64_t(1) << 40)) {
        ec = error::upstream_token_invalid;
        return {};
      }
      a.expires_in = seconds(v);
    }
    return a;
  }

  boost::json::object userinfo(const std::string& endpoint, const std::string& access_token, std::error_code& ec) const {
    auto doc = detail::get_json_with_token(http_, endpoint, access_token, "application/json", settings_, ec);
    if (!ec && !doc.is_object()) ec = error::userinfo_failed;
    if (ec) return {};
    return std::move(doc.get_object());
  }

  upstream_settings settings_;
  transport::any_sync_client http_;
  Clock clock_;
  mutable std::mutex fetch_mutex_;
  mutable bool attempted_ = false;           // under fetch_mutex_
  mutable time_point next_attempt_{};        // under fetch_mutex_
  mutable seconds backoff_{settings_.retry_initial};  // under fetch_mutex_
  mutable std::atomic<time_point::rep> next_refresh_{0};  // no refresh before (after a failure)
  mutable std::mutex state_mutex_;
  mutable std::shared_ptr<const state> state_;  // under state_mutex_
  mutable upstream_status status_{};           // under state_mutex_
};

}  // namespace tessera::identity

#endif
