// tessera — server/authorization_server.hpp
//
// `authorization_server<Traits, Grants...>`: Flyte's built-in authorization server
// (`authServerType: Self`), composed at compile time from
//   Traits  `store` (codes, refresh tokens, ... — see store/concepts.hpp), `clock`, `identity`
//           (how people log in — see identity/concepts.hpp); derive from `server_defaults`
//   Grants  grant policies (server/grants/): each checks at compile time that the store has
//           what it needs, with one readable message
// and configured at run time by `server_settings`, a `client_registry` and a `key_set`.
//
//     using server = tessera::authorization_server<my_traits,
//         tessera::grant::authorization_code<tessera::pkce::required_for_public>,
//         tessera::grant::client_credentials,
//         tessera::grant::refresh_token<tessera::rotation::reuse_detection>,
//         tessera::grant::device_code>;
//     server s{settings, clients, keys, store, identity};
//     s.install(router);   // Flyte's paths: /oauth2/..., /.well-known/..., /config/v1/flyte_client
//
// Handlers are functions of (request, context) → response and never touch sockets; the
// server object is thread-safe once constructed (state lives in the store).
#ifndef TESSERA_SERVER_AUTHORIZATION_SERVER_HPP
#define TESSERA_SERVER_AUTHORIZATION_SERVER_HPP

#include <tessera/crypto/aead.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/server/client_authentication.hpp>
#include <tessera/server/grants/authorization_code.hpp>
#include <tessera/server/grants/client_credentials.hpp>
#include <tessera/server/grants/device_code.hpp>
#include <tessera/server/grants/refresh_token.hpp>
#include <tessera/server/responses.hpp>
#include <tessera/server/token_issuer.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/transport/router.hpp>

#include <tuple>

namespace tessera {

namespace server {

/// Options for `issue_tokens`.
struct issue_options {
  bool refresh = false;           // the grant may come with a refresh token
  std::string_view nonce;         // OIDC nonce for the ID token
  std::string refresh_token;      // use this value (rotation made it) instead of a new one
  bool for_user = true;           // a user authorized the grant: an ID token when `openid` is
                                  // granted (false for client credentials, whose `sub` is the
                                  // client: nothing to tell a relying party about)
};

template <class G>
concept issues_refresh = requires { requires G::issues_refresh_tokens; };

template <class G>
inline constexpr bool is_code_grant = false;
template <class P>
inline constexpr bool is_code_grant<grant::authorization_code<P>> = true;

/// Whether grant `G` requires PKCE of client `c` (false for grants other than the code grant).
template <class G>
constexpr bool pkce_required_by(const client& c) noexcept {
  if constexpr (is_code_grant<G>) return G::pkce_policy::applies_to(c);
  else return false;
}

}  // namespace server

/// The defaults a server's traits derive from: the memory store and the system clock. The
/// identity policy has no default here: name one (`identity::local<store::memory>` for the
/// embedded login).
struct server_defaults {
  using store = tessera::store::memory;
  using clock = tessera::system_clock;
};

namespace server {

}  // namespace server

template <class Traits, server::grant_policy... Grants>
class authorization_server {
 public:
  using traits_type = Traits;
  using store_type = typename Traits::store;
  using clock_type = typename Traits::clock;
  using identity_type = typename Traits::identity;

  static_assert(sizeof...(Grants) > 0, "tessera::authorization_server needs at least one grant policy");
  static_assert(clock<clock_type>, "tessera::authorization_server: Traits::clock must model tessera::clock");
  static_assert(identity::identity_policy<identity_type>,
                "tessera::authorization_server: Traits::identity must model tessera::identity::identity_policy");
  static_assert(store::revocation_store<store_type> && store::jti_store<store_type>,
                "tessera::authorization_server needs a store that models tessera::store::revocation_store and "
                "tessera::store::jti_store");

  template <class G>
  static constexpr bool has_grant = (std::is_same_v<G, Grants> || ...);
  static constexpr bool issues_refresh_tokens = (server::issues_refresh<Grants> || ...);
  static constexpr bool has_code_grant = (server::is_code_grant<Grants> || ...);
  static constexpr bool has_device_grant = has_grant<grant::device_code>;

  authorization_server(server::server_settings settings, server::client_registry clients, server::key_set keys,
                       store_type& store, const identity_type& identity, clock_type clock = {})
      : settings_(std::move(settings)),
        clients_(std::move(clients)),
        keys_(std::move(keys)),
        store_(&store),
        identity_(&identity),
        clock_(std::move(clock)),
        issuer_(settings_, keys_),
        authenticator_(clients_, settings_, store, clock_),
        user_code_failures_(settings_.device_user_code_failures),
        sealer_(make_sealer(settings_)) {
    (Grants::template check_store<store_type>(), ...);
    TESSERA_ASSERT(!settings_.issuer.empty() && settings_.issuer.back() != '/');
  }

  authorization_server(const authorization_server&) = delete;
  authorization_server& operator=(const authorization_server&) = delete;

  /// Registers every endpoint on `r` (and nothing of the identity policy: install that too).
  void install(transport::router& r) const;

  // --- the pieces grants and endpoints use ---------------------------------------------
  const server::server_settings& settings() const noexcept { return settings_; }
  const server::client_registry& clients() const noexcept { return clients_; }
  const server::key_set& keys() const noexcept { return keys_; }
  const server::token_issuer& issuer() const noexcept { return issuer_; }
  store_type& store() const noexcept { return *store_; }
  const identity_type& identity() const noexcept { return *identity_; }
  const clock_type& clock() const noexcept { return clock_; }
  time_point now() const noexcept { return clock_.now(); }
  const crypto::sealer& cookie_sealer() const noexcept { return sealer_; }
  /// Wrong user codes on the device page, per user (thread-safe).
  crypto::failure_rate_limiter& user_code_failures() const noexcept { return user_code_failures_; }

  server::client_authentication_result authenticate_client(const transport::request& req,
                                                           const http::parameters& params,
                                                           const transport::request_context& ctx,
                                                           std::error_code& ec) const {
    return authenticator_.authenticate(req, params, ctx.peer_address, ec);
  }

  /// The scope to grant: the requested scopes if the client may have each; all the client's
  /// scopes when none was requested (Flyte grants every requested scope of the client).
  std::string granted_scope(const server::client& c, std::string_view requested, std::error_code& ec) const {
    ec = {};
    std::string out;
    if (requested.empty()) {
      for (const auto& s : c.scopes) (out.empty() ? out : out += ' ') += s;
      return out;
    }
    for (auto s : server::split_scope(requested)) {
      if (!c.allows_scope(s)) {
        ec = error::scope_not_allowed;
        return {};
      }
      (out.empty() ? out : out += ' ') += s;
    }
    return out;
  }

  /// A requested `audience` (Auth0-style, space-separated) must be among the client's.
  bool audience_allowed(const server::client& c, std::string_view requested) const {
    for (auto a : server::split_scope(requested))
      if (std::find(c.audience.begin(), c.audience.end(), a) == c.audience.end()) return false;
    return true;
  }

  static std::string new_family_id() { return crypto::random_token<16>(); }

  /// Whether the code grant's PKCE policy requires a challenge from `c`.
  bool pkce_required(const server::client& c) const noexcept { return (server::pkce_required_by<Grants>(c) || ...); }

  /// Kills every token of an authorization: refresh tokens at their next use, access tokens
  /// at introspection and userinfo.
  void revoke_family(std::string_view family, time_point now, std::error_code& ec) const {
    store_->revoke_family(family, now + std::max(settings_.refresh_token_lifespan, settings_.access_token_lifespan), ec);
  }

  /// Issues an access token, and a refresh token and an ID token where the grant, the client
  /// and the scope call for them; records them in the store. Returns the RFC 6749 §5.1 body.
  boost::json::object issue_tokens(const store::grant_record& g, const server::client& c, time_point now,
                                   server::issue_options opt, std::error_code& ec) const {
    auto access = issuer_.access_token(g, c, now, ec);
    if (ec) return {};
    store_->put_access(access.jti, {g.family_id, access.expires_at, g.user_claims}, ec);
    if (ec) return {};
    boost::json::object body;
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
    if (opt.for_user && server::scope_contains(g.scope, "openid")) {
      body["id_token"] = issuer_.id_token(g, opt.nonce, access.token, now, ec);
      if (ec) return {};
    }
    return body;
  }

 private:
  bool wants_refresh(const store::grant_record& g, const server::client& c) const {
    if (!c.allows_grant("refresh_token")) return false;
    if (settings_.refresh_scopes.empty()) return true;
    for (const auto& s : settings_.refresh_scopes)
      if (server::scope_contains(g.scope, s)) return true;
    return false;
  }

  static crypto::sealer make_sealer(const server::server_settings& s) {
    if (s.cookie_keys.empty()) {
      std::array<unsigned char, crypto::aead_key_size> key;
      crypto::random_bytes(key);
      crypto::sealer out(std::span<const unsigned char>(key.data(), key.size()));
      OPENSSL_cleanse(key.data(), key.size());
      return out;
    }
    std::vector<std::string_view> keys(s.cookie_keys.begin(), s.cookie_keys.end());
    return crypto::sealer(std::span<const std::string_view>(keys.data(), keys.size()));
  }

  server::server_settings settings_;
  server::client_registry clients_;
  server::key_set keys_;
  store_type* store_;
  const identity_type* identity_;
  clock_type clock_;
  server::token_issuer issuer_;
  mutable server::client_authenticator<store_type, clock_type> authenticator_;
  mutable crypto::failure_rate_limiter user_code_failures_;
  crypto::sealer sealer_;
  std::tuple<Grants...> grants_;

 public:
  /// Runs the grant named by `grant_type` (for the token endpoint).
  boost::json::object run_grant(std::string_view grant_type, const server::token_request& r, std::error_code& ec) const {
    boost::json::object out;
    bool found = false;
    std::apply(
        [&](const auto&... g) {
          (void)((g.grant_type == grant_type ? (found = true, out = g.handle(*this, r, ec), true) : false) || ...);
        },
        grants_);
    if (!found) ec = error::grant_type_unsupported;
    return out;
  }

  /// The grant types served, in the order given.
  static std::vector<std::string_view> grant_types() { return {Grants::grant_type...}; }
};

}  // namespace tessera

#endif
