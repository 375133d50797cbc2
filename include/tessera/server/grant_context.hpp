// tessera — server/grant_context.hpp
//
// What a grant may ask of the authorization server: the `grant_context` concept. Grants are
// written against it, never against `authorization_server` itself, so a grant compiles with
// any server that models it — and `tests/server/grant_context.cpp` instantiates every shipped
// grant with the exemplar below, which proves they ask for nothing more.
//
// A type C models `grant_context` when, for `const C& c`, a client `who`, a grant record `g`,
// strings `s`, a time `t`, issue options `o`, a request `req`, its form `p`, its transport
// context `rc` and `std::error_code& ec`:
//
//   typename C::store_type, C::identity_type
//   c.settings() -> const server_settings& (or a type derived from it): lifespans, issuer, limits (run-time values)
//   c.clients()  -> const client_registry&
//   c.store()    -> C::store_type&                the store, thread-safe; grants check its
//                                                 capabilities at compile time (`check_store`)
//   c.identity() -> const C::identity_type&       who is logged in (identity_policy), and the
//                                                 deployment's browser layer (`browser()`):
//                                                 pages, cookies, CSRF
//   c.now()      -> time_point
//   c.authenticate_client(req, p, rc, ec) -> client_authentication_result
//                                                 RFC 6749 §2.3, with the server's limits
//   c.granted_scope(who, s, ec) -> std::string    the scope to grant for a requested one
//                                                 (`scope_not_allowed` when `who` may not)
//   c.audience_allowed(who, s) -> bool            a requested `audience` is among the client's
//   c.new_family_id() -> std::string              a fresh id for the tokens of one grant
//   c.revoke_family(s, t, ec)                     kills every token of a family
//   c.issue_tokens(g, who, t, o, ec) -> boost::json::object
//                                                 the RFC 6749 §5.1 body: an access token, and
//                                                 a refresh and an ID token where the grant,
//                                                 the client and the scope call for them
//
// Models: `authorization_server<Traits, Grants...>`. Exemplar: `grant_context_archetype<Store>`.
#ifndef TESSERA_SERVER_GRANT_CONTEXT_HPP
#define TESSERA_SERVER_GRANT_CONTEXT_HPP

#include <tessera/clock.hpp>
#include <tessera/http/form.hpp>
#include <tessera/identity/concepts.hpp>
#include <tessera/server/client.hpp>
#include <tessera/server/client_authentication.hpp>
#include <tessera/server/settings.hpp>
#include <tessera/store/records.hpp>
#include <tessera/transport/message.hpp>

#include <boost/json/object.hpp>

#include <concepts>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera::server {

/// Options for `issue_tokens`.
struct issue_options {
  bool refresh = false;           // the grant may come with a refresh token
  std::string_view nonce;         // OIDC nonce for the ID token
  std::string refresh_token;      // use this value (a rotation made it) instead of a new one
  bool for_user = true;           // a user authorized the grant: an ID token when `openid` is
                                  // granted (false for client credentials, whose `sub` is the
                                  // client: nothing to tell a relying party about)
};

/// A token request after client authentication: what the token endpoint hands a grant.
struct token_request {
  const client& who;
  const http::parameters& params;
  time_point now;
};

template <class C>
concept grant_context =
    requires { typename C::store_type; typename C::identity_type; } &&
    requires(const C& c, const client& who, const store::grant_record& g, std::string_view s, time_point t,
             issue_options o, const transport::request& req, const http::parameters& p,
             const transport::request_context& rc, std::error_code& ec) {
      { c.settings() } -> std::convertible_to<const server_settings&>;
      { c.clients() } -> std::same_as<const client_registry&>;
      { c.store() } -> std::same_as<typename C::store_type&>;
      { c.identity() } -> std::same_as<const typename C::identity_type&>;
      { c.now() } -> std::same_as<time_point>;
      { c.authenticate_client(req, p, rc, ec) } -> std::same_as<client_authentication_result>;
      { c.granted_scope(who, s, ec) } -> std::same_as<std::string>;
      { c.audience_allowed(who, s) } -> std::same_as<bool>;
      { c.new_family_id() } -> std::same_as<std::string>;
      { c.revoke_family(s, t, ec) } -> std::same_as<void>;
      { c.issue_tokens(g, who, t, std::move(o), ec) } -> std::same_as<boost::json::object>;
    };

/// The least a grant context must be: every member, none doing anything. Compiled with every
/// shipped grant in the tests (never run).
template <class Store, class Identity>
struct grant_context_archetype {
  using store_type = Store;
  using identity_type = Identity;
  const server_settings& settings() const;
  const client_registry& clients() const;
  Store& store() const;
  const Identity& identity() const;
  time_point now() const;
  client_authentication_result authenticate_client(const transport::request&, const http::parameters&,
                                                   const transport::request_context&, std::error_code&) const;
  std::string granted_scope(const client&, std::string_view, std::error_code&) const;
  bool audience_allowed(const client&, std::string_view) const;
  std::string new_family_id() const;
  void revoke_family(std::string_view, time_point, std::error_code&) const;
  boost::json::object issue_tokens(const store::grant_record&, const client&, time_point, issue_options,
                                   std::error_code&) const;
};

}  // namespace tessera::server

#endif
