// tessera — server/authorization_server.hpp
//
// `authorization_server<Traits, Grants...>`: Flyte's built-in authorization server
// (`authServerType: Self`), composed at compile time from
//   Traits  `store` (codes, refresh tokens, ... — see store/concepts.hpp), `clock`, `identity`
//           (how people log in — see identity/concepts.hpp), optionally `settings` (a type
//           derived from `server_settings` that also holds custom grants' settings); derive
//           from `server_defaults`
//   Grants  grant modules (server/grant.hpp): each serves one `grant_type`, checks at compile
//           time that the store has what it needs, and may add endpoints, metadata, settings
//           and state of its own. The server folds over them and knows none by name.
// and configured at run time by its settings, a `client_registry` and a `key_set`.
//
//     using server = tessera::authorization_server<my_traits,
//         tessera::grant::authorization_code<tessera::pkce::required_for_public>,
//         tessera::grant::client_credentials,
//         tessera::grant::refresh_token<tessera::rotation::reuse_detection>,
//         tessera::grant::device_code>;
//     server s{settings, clients, keys, store, identity};
//     s.install(router);   // Flyte's paths: /oauth2/..., /.well-known/..., /config/v1/flyte_client
//
// The server models `grant_context` (server/grant_context.hpp): that is all a grant sees of it.
// Handlers are functions of (request, context) → response and never touch sockets; the
// server object is thread-safe once constructed (state lives in the store and in grants'
// own thread-safe state).
#ifndef TESSERA_SERVER_AUTHORIZATION_SERVER_HPP
#define TESSERA_SERVER_AUTHORIZATION_SERVER_HPP

#include <tessera/crypto/aead.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/oauth/scope.hpp>
#include <tessera/server/client_authentication.hpp>
#include <tessera/server/grant.hpp>
#include <tessera/server/grants/authorization_code.hpp>
#include <tessera/server/grants/client_credentials.hpp>
#include <tessera/server/grants/device_code.hpp>
#include <tessera/server/grants/refresh_token.hpp>
#include <tessera/server/token_issuer.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/server/revocation_cache.hpp>
#include <tessera/transport/router.hpp>

#include <array>
#include <tuple>
#include <type_traits>

namespace tessera {

/// The defaults a server's traits derive from: the memory store, the system clock and the
/// plain settings. The identity policy has no default here: name one
/// (`identity::local<store::memory>` for the embedded login).
struct server_defaults {
  using store = tessera::store::memory;
  using clock = tessera::system_clock;
  using settings = server::server_settings;
};

namespace server::detail {

/// A grant's settings: its own `settings_type` when it declares one, else the server's.
template <class G, class Settings>
struct grant_settings {
  using type = server_settings;
};
template <class G, class Settings>
  requires requires { typename G::settings_type; }
struct grant_settings<G, Settings> {
  using type = typename G::settings_type;
};

/// The server's settings type: `Traits::settings` when the traits name one.
template <class Traits>
struct traits_settings {
  using type = server_settings;
};
template <class Traits>
  requires requires { typename Traits::settings; }
struct traits_settings<Traits> {
  using type = typename Traits::settings;
};

/// One grant in the server, built in place from the settings (grants may hold state that
/// neither copies nor moves).
template <class G>
struct grant_slot {
  G grant;
  template <class Settings>
  explicit grant_slot(const Settings& s) : grant(build(s)) {}

 private:
  template <class Settings>
  static G build(const Settings& s) {
    using wanted = typename grant_settings<G, Settings>::type;
    if constexpr (std::is_constructible_v<G, const wanted&>) return G(static_cast<const wanted&>(s));
    else return G();
  }
};

/// `s`, once per grant of a pack expansion.
template <class G, class S>
const S& settings_for(const S& s) noexcept {
  return s;
}

template <class... Grants>
constexpr bool distinct_grant_types() {
  if constexpr ((grant_module<Grants> && ...)) {  // otherwise the grant_module check speaks
    constexpr std::array<std::string_view, sizeof...(Grants)> types{Grants::grant_type...};
    for (std::size_t i = 0; i < types.size(); ++i)
      for (std::size_t j = i + 1; j < types.size(); ++j)
        if (types[i] == types[j]) return false;
  }
  return true;
}

}  // namespace server::detail

template <class Traits, class... Grants>
class authorization_server {
 public:
  using traits_type = Traits;
  using store_type = typename Traits::store;
  using clock_type = typename Traits::clock;
  using identity_type = typename Traits::identity;
  using settings_type = typename server::detail::traits_settings<Traits>::type;

  // --- what the composition needs, each with its own message -----------------------------
  static_assert(sizeof...(Grants) > 0, "tessera::authorization_server needs at least one grant");
  static_assert((server::grant_module<Grants> && ...),
                "tessera::authorization_server: every Grants parameter must model tessera::server::grant_module "
                "(a static constexpr std::string_view grant_type; see server/grant.hpp)");
  static_assert(server::detail::distinct_grant_types<Grants...>(),
                "tessera::authorization_server: two grants serve the same grant_type");
  static_assert(clock<clock_type>, "tessera::authorization_server: Traits::clock must model tessera::clock");
  static_assert(identity::identity_policy<identity_type>,
                "tessera::authorization_server: Traits::identity must model tessera::identity::identity_policy");
  static_assert(std::is_base_of_v<server::server_settings, settings_type>,
                "tessera::authorization_server: Traits::settings must derive from tessera::server::server_settings");
  static_assert((std::is_base_of_v<typename server::detail::grant_settings<Grants, settings_type>::type, settings_type> && ...),
                "tessera::authorization_server: a grant's settings_type is missing from Traits::settings "
                "(derive Traits::settings from it)");
  static_assert(store::revocation_store<store_type> && store::jti_store<store_type>,
                "tessera::authorization_server needs a store that models tessera::store::revocation_store and "
                "tessera::store::jti_store");

  /// Whether a grant redeems refresh tokens, so that grants may issue them.
  static constexpr bool issues_refresh_tokens = (server::redeems_refresh_tokens<Grants> || ...);

  authorization_server(settings_type settings, server::client_registry clients, server::key_set keys,
                       store_type& store, const identity_type& identity, clock_type clock = {})
      : settings_(std::move(settings)),
        clients_(std::move(clients)),
        keys_(std::move(keys)),
        store_(&store),
        identity_(hold(identity)),
        clock_(std::move(clock)),
        issuer_(settings_, keys_),
        authenticator_(clients_, settings_, store, clock_),
        grants_(server::detail::settings_for<Grants>(settings_)...) {
    (check_grant<Grants>(), ...);
    TESSERA_ASSERT(!settings_.issuer.empty() && settings_.issuer.back() != '/');
  }

  authorization_server(const authorization_server&) = delete;
  authorization_server& operator=(const authorization_server&) = delete;

  /// Registers every endpoint on `r`: the server's own, then each grant's (and nothing of the
  /// identity policy: install that too).
  void install(transport::router& r) const;

  /// The grant of type `G` (for tests and extensions that reach a grant's own state).
  template <class G>
  const G& grant() const noexcept {
    return std::get<server::detail::grant_slot<G>>(grants_).grant;
  }

  // --- grant_context ---------------------------------------------------------------------
  const settings_type& settings() const noexcept { return settings_; }
  const server::client_registry& clients() const noexcept { return clients_; }
  store_type& store() const noexcept { return *store_; }
  const identity_type& identity() const noexcept {
    if constexpr (tessera::identity::is_identity_handle<identity_type>)
      return identity_;
    else
      return *identity_;
  }
  time_point now() const noexcept { return clock_.now(); }

  server::client_authentication_result authenticate_client(const transport::request& req,
                                                           const http::parameters& params,
                                                           const transport::request_context& ctx,
                                                           std::error_code& ec) const {
    return authenticator_.authenticate(req, params, ctx.peer_address, ec);
  }

  /// The scope to grant: the requested scopes if the client may have each; all the client's
  /// scopes when none was requested (Flyte grants every requested scope of the client).
  /// Longer than `store::limits::scope`: refused (row 21); the result is deduplicated.
  std::string granted_scope(const server::client& c, std::string_view requested, std::error_code& ec) const {
    ec = {};
    if (requested.size() > store::limits::scope) {
      ec = error::parameter_too_long;
      return {};
    }
    if (requested.empty()) return oauth::join_scope(c.scopes);
    auto wanted = oauth::split_scope(requested);
    for (auto s : wanted)
      if (!c.allows_scope(s)) {
        ec = error::scope_not_allowed;
        return {};
      }
    return oauth::join_scope(wanted);
  }

  /// A requested `audience` (Auth0-style, space-separated): each must be one of the client's,
  /// or an audience the server gives without asking — the default audience (the issuer when
  /// none is set), and what `/config/v1/flyte_client` advertises, which Flyte's clients send
  /// back (`useAudienceFromAdmin`). What is advertised must work. Longer than
  /// `store::limits::audience`: not allowed (row 21). Store `oauth::join_scope(split_scope(a))`,
  /// never the request's text: an audience of only spaces is then absent.
  bool audience_allowed(const server::client& c, std::string_view requested) const {
    if (requested.size() > store::limits::audience) return false;
    const server::server_settings& st = settings_;
    auto among = [](const std::vector<std::string>& v, std::string_view a) {
      return std::find(v.begin(), v.end(), a) != v.end();
    };
    for (auto a : oauth::split_scope(requested)) {
      const bool default_audience = st.default_audience.empty() ? a == st.issuer : among(st.default_audience, a);
      const bool advertised = a == (st.flyte_client.audience.empty() ? st.issuer : st.flyte_client.audience);
      if (!among(c.audience, a) && !default_audience && !advertised) return false;
    }
    return true;
  }

  std::string new_family_id() const { return crypto::random_token<16>(); }

  /// Kills every token of an authorization: refresh tokens at their next use, access tokens
  /// at introspection and userinfo.
  void revoke_family(std::string_view family, time_point now, std::error_code& ec) const {
    store_->revoke_family(family, now + std::max(settings_.refresh_token_lifespan, settings_.access_token_lifespan), ec);
    revocations_changed();
  }

  /// The deny-list's answer for an access token (`jti`, its `grant_id` claim, its expiry),
  /// through the revocation cache (server/revocation_cache.hpp). `ec`: store failures.
  bool access_revoked(std::string_view jti, std::string_view grant, time_point expires_at, std::error_code& ec) const {
    ec = {};
    const time_point now = clock_.now();
    if (auto known = revocations_.find(jti, grant, now)) return *known;
    const bool revoked = store_->access_revoked(jti, grant, ec);
    if (!ec) revocations_.remember(jti, grant, revoked, now, expires_at);
    return revoked;
  }

  /// Call after this process revoked anything through the store directly: cached "not
  /// revoked" answers are dropped, so the revocation takes effect here at once.
  void revocations_changed() const { revocations_.clear(); }

  /// Issues an access token, and a refresh token and an ID token where the grant, the client
  /// and the scope call for them; records them in the store. Returns the RFC 6749 §5.1 body.
  boost::json::object issue_tokens(const store::grant_record& g, const server::client& c, time_point now,
                                   server::issue_options opt, std::error_code& ec) const {
    auto access = issuer_.access_token(g, c, now, ec);
    if (ec) return {};
    // A client's token is written nowhere: it names its jti and grant, which is all revocation
    // needs. A person's token keeps its profile claims for userinfo.
    if (opt.for_user) {
      store_->put_access(access.jti, {g.family_id, access.expires_at, g.user_claims}, ec);
      if (ec) return {};
    }
    boost::json::object body;
    body.reserve(6);
    body["access_token"] = access.token;
    body["token_type"] = "Bearer";
    body["expires_in"] = std::chrono::duration_cast<seconds>(access.expires_at - now).count();
    body["scope"] = g.scope;
    if constexpr (issues_refresh_tokens) {
      // A rotation has stored its new token already and retired the presented one: it must
      // reach the client even when a narrower scope (RFC 6749 §6) lacks `offline`, or the
      // client is left without a refresh token and its family with an unreachable one.
      if (opt.refresh && (!opt.refresh_token.empty() || wants_refresh(g, c))) {
        std::string token = std::move(opt.refresh_token);
        if (token.empty()) {  // a first issue; a rotation has stored its new token already
          token = crypto::random_token<32>();
          store_->put_refresh(store::token_hash(token), {g, now + settings_.refresh_token_lifespan}, ec);
          if (ec) return {};
        }
        body["refresh_token"] = std::move(token);
      }
    }
    if (opt.for_user && oauth::scope_contains(g.scope, "openid")) {
      body["id_token"] = issuer_.id_token(g, opt.nonce, access.token, now, ec);
      if (ec) return {};
    }
    return body;
  }

  // --- keys ---------------------------------------------------------------------------------
  /// The keys now: the current one signs, all of them verify (a snapshot: a rotation does not
  /// change it under its holder).
  std::shared_ptr<const server::key_set> keys() const noexcept { return keys_.current(); }
  /// The server's key ring (validators of its tokens read `key_ring().verification()`).
  const server::key_ring& key_ring() const noexcept { return keys_; }

  /// Key rotation while serving: `next` signs every token issued after this returns. The key
  /// that signed until now stays among the verification keys and in the JWKS for as long as
  /// anything it signed can live (the longest of the access-token and ID-token lifespans), so
  /// no token already issued stops working. `next`'s own old keys verify too.
  void rotate_keys(server::key_set next) {
    const time_point now = clock_.now();
    keys_.replace(std::move(next), now, now + std::max(settings_.access_token_lifespan, settings_.id_token_lifespan));
  }

  // --- what the server's own endpoints use -----------------------------------------------
  const server::token_issuer& issuer() const noexcept { return issuer_; }
  const clock_type& clock() const noexcept { return clock_; }

  /// Runs the grant serving `grant_type` (the token endpoint's dispatch).
  boost::json::object run_grant(std::string_view grant_type, const server::token_request& r, std::error_code& ec) const {
    boost::json::object out;
    bool found = false;
    for_each_grant([&](const auto& g) {
      if (!found && g.grant_type == grant_type) {  // grant types are distinct (a static_assert)
        found = true;
        out = g.handle(*this, r, ec);
      }
    });
    if (!found) ec = error::grant_type_unsupported;
    return out;
  }

  /// Whether a grant serves `grant_type`.
  static constexpr bool serves(std::string_view grant_type) noexcept { return ((Grants::grant_type == grant_type) || ...); }

  /// The grant types served, in the order given.
  static std::vector<std::string_view> grant_types() { return {Grants::grant_type...}; }

  /// The server's metadata (RFC 8414; with `openid`, OIDC Discovery): its own entries, then
  /// what each grant adds.
  oauth::server_metadata metadata(bool openid) const;

 private:
  template <class G>
  static constexpr void check_grant() {
    static_assert(server::token_grant_for<G, authorization_server>,
                  "tessera::authorization_server: a grant's handle(context, token_request, error_code&) must accept "
                  "the server as its grant_context and return boost::json::object");
    if constexpr (server::checks_store<G, store_type>) G::template check_store<store_type>();
  }

  bool wants_refresh(const store::grant_record& g, const server::client& c) const {
    if (!c.allows_grant("refresh_token")) return false;
    if (!refresh_allowed_for(c)) return false;
    if (settings_.refresh_scopes.empty()) return true;
    for (const auto& s : settings_.refresh_scopes)
      if (oauth::scope_contains(g.scope, s)) return true;
    return false;
  }

  bool refresh_allowed_for(const server::client& c) const {
    bool allowed = false;
    for_each_grant([&](const auto& g) {
      if constexpr (server::redeems_refresh_tokens<std::decay_t<decltype(g)>>) allowed = allowed || g.refresh_allowed_for(c);
    });
    return allowed;
  }

  /// Calls `f(grant)` for each grant, in the order of the template arguments.
  template <class F>
  void for_each_grant(F&& f) const {
    std::apply([&](const auto&... slot) { (f(slot.grant), ...); }, grants_);
  }

  settings_type settings_;
  server::client_registry clients_;
  server::key_ring keys_;
  store_type* store_;
  // Whether the identity can end sessions, so /oauth2/logout is served (end_session.hpp).
  bool ends_sessions() const {
    if constexpr (!tessera::identity::ends_sessions<identity_type>)
      return false;
    else if constexpr (requires { identity().can_end_sessions(); })
      return identity().can_end_sessions();
    else
      return true;
  }

  // A handle (identity::any_identity) is kept by value, so a temporary one does not dangle;
  // an identity itself by address (it must outlive the server).
  using identity_holder = std::conditional_t<tessera::identity::is_identity_handle<identity_type>, identity_type, const identity_type*>;
  static identity_holder hold(const identity_type& i) {
    if constexpr (tessera::identity::is_identity_handle<identity_type>)
      return i;
    else
      return &i;
  }
  identity_holder identity_;
  clock_type clock_;
  server::token_issuer issuer_;
  mutable server::client_authenticator<store_type, clock_type> authenticator_;
  std::tuple<server::detail::grant_slot<Grants>...> grants_;
  mutable server::revocation_cache revocations_{settings_.revocation_cache_ttl};
};

}  // namespace tessera

#endif
